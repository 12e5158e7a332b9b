// Elementwise ops. OP (an override constant) picks the function, so each op is its own
// specialized pipeline; shapes travel in the uniform buffer, so one pipeline serves every size.
// Threads: one per output element, 64 per workgroup, workgroups on a 2-D grid (65535 limit).

struct Params {
  n: u32,            // elements in the output
  rank: u32,         // rank of the output (broadcast kernels)
  alpha: f32,        // scalar operand of scalar ops
  beta: f32,
  shape: array<vec4<u32>, 2>,     // output shape, up to rank 8
  strides_a: array<vec4<u32>, 2>, // element strides of a per output dim (0 = broadcast)
  strides_b: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

override OP: u32 = 0u;
// Both inputs have the output's shape: no index arithmetic.
override SAME_SHAPE: bool = true;

fn index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * 64u;
}

// WGSL only promises log to 2^-21 absolute near 1 and tanh to a few ulp of its exp-based
// formula, so both lose all relative accuracy near zero. Short series keep it there.
fn log_accurate(x: f32) -> f32 {
  let y = x - 1.0; // exact for x in [0.5, 2]
  if (abs(y) < 0.0625) {
    let s = y / (2.0 + y); // log(1+y) = 2 atanh(s)
    let s2 = s * s;
    return 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (0.2 + s2 / 7.0)));
  }
  return log(x);
}

fn tanh_accurate(x: f32) -> f32 {
  if (abs(x) < 0.125) {
    let x2 = x * x;
    return x * (1.0 + x2 * (-1.0 / 3.0 + x2 * (2.0 / 15.0 + x2 * (-17.0 / 315.0))));
  }
  return tanh(clamp(x, -15.0, 15.0)); // beyond ±15 tanh is ±1 in f32; avoids inf/inf
}

fn unary_op(x: f32) -> f32 {
  switch OP {
    case 0u: { return -x; }
    case 1u: { return exp(x); }
    case 2u: { return log_accurate(x); }
    case 3u: { return max(x, 0.0); }
    case 4u: { return 1.0 / (1.0 + exp(-x)); }
    case 5u: { return tanh_accurate(x); }
    case 6u: { return sqrt(x); }
    case 7u: { return abs(x); }
    case 8u: { return p.alpha * x + p.beta; }                 // affine: scalar add / mul
    case 10u: { return x * x; }                                // square
    case 11u: { return 1.0 / x; }                              // reciprocal
    case 12u: { return select(0.0, 1.0, x > 0.0); }            // step (relu's derivative)
    case 13u: { return pow(x, p.alpha); }                      // pow by a scalar (x >= 0)
    case 14u: { return sign(x); }
    case 15u: { return x; }                                    // copy
    default: { return x; }
  }
}

fn binary_op(x: f32, y: f32) -> f32 {
  switch OP {
    case 0u: { return x + y; }
    case 1u: { return x - y; }
    case 2u: { return x * y; }
    case 3u: { return x / y; }
    case 4u: { return max(x, y); }
    case 5u: { return min(x, y); }
    case 6u: { return select(0.0, 1.0, x == y); }                 // eq
    case 7u: { return select(0.0, 1.0, x > y); }                  // gt
    case 8u: { return select(0.0, 1.0, x >= y); }                 // ge
    case 9u: { return select(0.0, 1.0, x < y); }                  // lt
    // Gradient helpers of maximum/minimum: 1 where x wins, 1/2 on ties (PyTorch's rule).
    case 10u: { return select(select(0.0, 0.5, x == y), 1.0, x > y); }
    case 11u: { return select(select(0.0, 0.5, x == y), 1.0, x < y); }
    case 12u: { return select(0.0, x, y > 0.0); }                 // relu backward: g where the input > 0
    default: { return x; }
  }
}

@compute @workgroup_size(64)
fn unary(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= p.n) { return; }
  out[i] = unary_op(a[i]);
}

@compute @workgroup_size(64)
fn fill(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= p.n) { return; }
  out[i] = p.alpha;
}

// In place: out += a (gradient accumulation into an existing .grad, e.g. a flat-parameter view).
@compute @workgroup_size(64)
fn add_into(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= p.n) { return; }
  out[i] = out[i] + a[i];
}

// In place: out ← a, as a dispatch (a copy command would end the compute pass).
@compute @workgroup_size(64)
fn copy_into(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= p.n) { return; }
  out[i] = a[i];
}

fn offsets(i: u32) -> vec2<u32> {
  var rem = i;
  var oa = 0u;
  var ob = 0u;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let dim = p.shape[d / 4][d % 4];
    let c = rem % dim;
    rem = rem / dim;
    oa += c * p.strides_a[d / 4][d % 4];
    ob += c * p.strides_b[d / 4][d % 4];
  }
  return vec2<u32>(oa, ob);
}

@compute @workgroup_size(64)
fn binary(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= p.n) { return; }
  if (SAME_SHAPE) {
    out[i] = binary_op(a[i], b[i]);
  } else {
    let o = offsets(i);
    out[i] = binary_op(a[o.x], b[o.y]);
  }
}
