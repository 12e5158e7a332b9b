// SAM's GPU passes over the flat parameter and gradient buffers (no CPU round trip):
//   sumsq_partial: Σ (T·g)² per chunk of one perturbed range → partials (T = |θ|+η if adaptive, else 1)
//   finalize:      ‖g‖ = √Σ partials; scale = ρ / (‖g‖ + ε)        → state[0], state[1]
//   ascend:        θ ← θ + scale · T² · g  over one perturbed range   (θ itself was copied aside)
//   add_l2:        g ← g + λ·θ  (weight decay placed in the loss, as google-research/sam)
// `g` here includes the L2 term when l2 > 0, in both passes.

struct Params {
  start: u32,        // first element of the range in the flat buffers
  n: u32,            // elements in the range
  part_offset: u32,  // where this range's partial sums go
  n_parts: u32,      // finalize: total partials
  rho: f32,
  eps: f32,
  eta: f32,
  adaptive: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> theta_r: array<f32>;
@group(0) @binding(2) var<storage, read> grad_r: array<f32>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;
@group(0) @binding(4) var<storage, read_write> theta: array<f32>;
@group(0) @binding(5) var<storage, read> state: array<f32>;
@group(0) @binding(6) var<storage, read_write> state_w: array<f32>;
@group(0) @binding(7) var<storage, read_write> grad: array<f32>;
@group(0) @binding(8) var<storage, read> saved: array<f32>;

const CHUNK: u32 = 4096u;
var<workgroup> wsum: array<f32, 64>;

fn tree(lid: u32, v: f32) -> f32 {
  wsum[lid] = v;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (lid < s) { wsum[lid] += wsum[lid + s]; }
    workgroupBarrier();
  }
  return wsum[0];
}

@compute @workgroup_size(64)
fn sumsq_partial(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let begin = wid.x * CHUNK;
  let end = min(begin + CHUNK, p.n);
  var acc = 0.0;
  for (var k = begin + lid; k < end; k += 64u) {
    let i = p.start + k;
    var v = grad_r[i];
    if (p.adaptive != 0u) { v *= abs(theta_r[i]) + p.eta; }
    acc += v * v;
  }
  let total = tree(lid, acc);
  if (lid == 0u) { partials[p.part_offset + wid.x] = total; }
}

@compute @workgroup_size(64)
fn finalize(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var k = lid; k < p.n_parts; k += 64u) { acc += partials[k]; }
  let total = tree(lid, acc);
  if (lid == 0u) {
    let norm = sqrt(total);
    state_w[0] = norm;
    state_w[1] = p.rho / (norm + p.eps);
  }
}

@compute @workgroup_size(64)
fn ascend(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let k = gid.x + gid.y * nwg.x * 64u;
  if (k >= p.n) { return; }
  let i = p.start + k;
  let th = theta[i];
  var e = state[1] * grad_r[i];
  if (p.adaptive != 0u) {
    let t = abs(th) + p.eta;
    e *= t * t;
  }
  theta[i] = th + e;
}

@compute @workgroup_size(64)
fn add_l2(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let k = gid.x + gid.y * nwg.x * 64u;
  if (k >= p.n) { return; }
  let i = p.start + k;
  grad[i] = grad[i] + p.rho * theta_r[i]; // rho carries λ here
}

// Diagnostics: Σ (θ̃ − θ)² over one parameter's range → partials[part_offset] (one workgroup per parameter).
@compute @workgroup_size(64)
fn ascent_sumsq(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var k = lid; k < p.n; k += 64u) {
    let d = theta_r[p.start + k] - saved[p.start + k];
    acc += d * d;
  }
  let total = tree(lid, acc);
  if (lid == 0u) { partials[p.part_offset] = total; }
}
