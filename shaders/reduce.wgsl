// Reductions (sum, max) over any set of axes. The host merges adjacent axes so the input is
// seen as up to 4 kept dims (one output per combination) and up to 4 reduced dims, each with
// its element stride: no transpose is ever materialized.
//
// Two strategies, chosen by the host from the shape:
//  - reduce_rows: one thread per output, a serial loop over the reduced elements (many small
//    reductions; no barriers, which are costly on CPU adapters);
//  - reduce_split: one 64-thread workgroup per (output, chunk of the reduced range), tree
//    reduction in workgroup memory; writes [n_out, n_chunks] partials that a second pass
//    reduces (few large reductions).

struct Params {
  n_out: u32,
  n_red: u32,
  chunk: u32,       // reduce_split: reduced elements per workgroup
  n_chunks: u32,
  kept_shape: vec4<u32>,
  kept_strides: vec4<u32>,
  red_shape: vec4<u32>,
  red_strides: vec4<u32>,
  scale: f32,       // multiplies the result (1/n for a mean in its last pass)
  init_bits: u32,   // the op's identity as f32 bits (±inf cannot be a WGSL constant)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

override OP: u32 = 0u; // 0 sum, 1 max, 2 min

fn identity() -> f32 {
  return bitcast<f32>(p.init_bits);
}

// The compiler may assume no NaNs and fold `v != v` away, so test the bits.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn combine(acc: f32, v: f32) -> f32 {
  if (OP != 0u) {
    if (is_nan(acc)) { return acc; } // NaN propagates (as torch.max)
    if (is_nan(v)) { return v; }
  }
  switch OP {
    case 1u: { return max(acc, v); }
    case 2u: { return min(acc, v); }
    default: { return acc + v; }
  }
}

fn base_offset(o: u32) -> u32 {
  var rem = o;
  var off = 0u;
  for (var d = 3; d >= 0; d--) {
    let c = rem % p.kept_shape[d];
    rem = rem / p.kept_shape[d];
    off += c * p.kept_strides[d];
  }
  return off;
}

fn red_offset(r: u32) -> u32 {
  var rem = r;
  var off = 0u;
  for (var d = 3; d >= 0; d--) {
    let c = rem % p.red_shape[d];
    rem = rem / p.red_shape[d];
    off += c * p.red_strides[d];
  }
  return off;
}

@compute @workgroup_size(64)
fn reduce_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = gid.x + gid.y * nwg.x * 64u;
  if (o >= p.n_out) { return; }
  let base = base_offset(o);
  var acc = identity();
  // Fast path: the reduced dims merged into one run of stride 1.
  if (p.red_strides[3] == 1u && p.red_shape[3] == p.n_red) {
    for (var r = 0u; r < p.n_red; r++) { acc = combine(acc, x[base + r]); }
  } else {
    for (var r = 0u; r < p.n_red; r++) { acc = combine(acc, x[base + red_offset(r)]); }
  }
  out[o] = acc * p.scale;
}

var<workgroup> partial: array<f32, 64>;

@compute @workgroup_size(64)
fn reduce_split(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
                @builtin(num_workgroups) nwg: vec3<u32>) {
  let w = wid.x + wid.y * nwg.x;          // (output, chunk) pair
  let valid = w < p.n_out * p.n_chunks;
  var acc = identity();
  if (valid) {
    let o = w / p.n_chunks;
    let c = w % p.n_chunks;
    let base = base_offset(o);
    let inner = p.red_shape[3];
    if (p.red_strides[3] == 1u && inner >= 64u && p.chunk % inner == 0u) {
      // Contiguous inner runs (e.g. the H·W of a conv bias gradient): the host aligned the
      // chunk to whole runs, so each run's offset is decoded once and threads read along it.
      let rows = p.chunk / inner;
      let row_end = min((c + 1u) * rows, p.n_red / inner);
      for (var row = c * rows; row < row_end; row++) {
        let rbase = base + red_offset(row * inner);
        for (var k = lid; k < inner; k += 64u) { acc = combine(acc, x[rbase + k]); }
      }
    } else {
      let start = c * p.chunk;
      let end = min(start + p.chunk, p.n_red);
      for (var r = start + lid; r < end; r += 64u) { acc = combine(acc, x[base + red_offset(r)]); }
    }
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] = combine(partial[lid], partial[lid + s]); }
    workgroupBarrier();
  }
  if (lid == 0u && valid) { out[w] = partial[0] * p.scale; }
}
