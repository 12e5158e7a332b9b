// Batch normalization over a [N, C, S] view of the input (S = L, H·W, or 1 for [N, C]);
// each channel reduces over M = N·S values.
//
//  - bn_stats / bn_stats_running: one workgroup of WG threads per channel, two passes (mean,
//    then the mean of squared deviations: no cancellation), workgroup reductions; writes mean and
//    1/sqrt(var + eps). The _running variant also updates the running stats in place with the
//    unbiased variance (PyTorch's rule), so SAM's second pass can simply use bn_stats.
//  - bn_eval_stats: one thread per channel: the same two outputs from the running stats
//    (a snapshot, so backward sees the stats the forward used).
//  - bn_apply: one thread per element, normalization and the affine map fused.
//  - bn_bwd_reduce: one workgroup per channel: Σg and Σg·x̂ (these are dbias and dweight).
//  - bn_bwd_apply_train / _eval: one thread per element: dx.

struct Params {
  c: u32,        // channels
  s: u32,        // spatial size per (n, c)
  m: u32,        // values per channel, N·S
  total: u32,    // N·C·S
  eps: f32,
  momentum: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> invstd: array<f32>;
@group(0) @binding(5) var<storage, read> weight: array<f32>;
@group(0) @binding(6) var<storage, read> bias: array<f32>;
@group(0) @binding(7) var<storage, read> sum_g: array<f32>;
@group(0) @binding(8) var<storage, read> sum_gxhat: array<f32>;
@group(0) @binding(9) var<storage, read_write> out: array<f32>;
@group(0) @binding(10) var<storage, read_write> mean_out: array<f32>;
@group(0) @binding(11) var<storage, read_write> invstd_out: array<f32>;
@group(0) @binding(12) var<storage, read_write> running_mean: array<f32>;
@group(0) @binding(13) var<storage, read_write> running_var: array<f32>;
@group(0) @binding(14) var<storage, read_write> sum_g_out: array<f32>;
@group(0) @binding(15) var<storage, read_write> sum_gxhat_out: array<f32>;

// Without a weight (bias), the host binds a stand-in buffer that is never read.
override HAS_WEIGHT: bool = true;
override HAS_BIAS: bool = true;

// The reductions' variants (engine/tune/variants/rows.ts): WG threads per channel (a power of
// two), summed by a tree in workgroup memory, or with SG_REDUCE by subgroupAdd within each
// subgroup of SG_SIZE lanes (the adapter's one subgroup size; invocations numbered consecutively
// within subgroups) and then across the WG / SG_SIZE partial sums. The host provides
// `sub_add(v)`: subgroupAdd where the module enables subgroups, the identity elsewhere.
override WG: u32 = 64u;
override SG_REDUCE: bool = false;
override SG_SIZE: u32 = 8u;
var<workgroup> red: array<vec2<f32>, WG>;

/** Index of the j-th value (j < M) of channel c. */
fn at(j: u32, c: u32) -> u32 {
  let n = j / p.s;
  return (n * p.c + c) * p.s + (j - n * p.s);
}

/** Workgroup-wide sum of v (every thread receives it). Call from uniform control flow. */
fn wg_sum(lid: u32, v: vec2<f32>) -> vec2<f32> {
  if (SG_REDUCE) {
    let s = sub_add(v);
    if (lid % SG_SIZE == 0u) { red[lid / SG_SIZE] = s; }
    workgroupBarrier();
    var t = vec2(0.0, 0.0);
    for (var i = 0u; i < WG / SG_SIZE; i++) { t += red[i]; }
    workgroupBarrier(); // red is reused by the next call
    return t;
  }
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier(); // red is reused by the next call
  return r;
}

fn channel_of(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.x + wid.y * nwg.x;
}

/** (mean, biased variance) of channel c, two-pass. */
fn channel_stats(c: u32, lid: u32) -> vec2<f32> {
  var s = 0.0;
  for (var j = lid; j < p.m; j += WG) { s += x[at(j, c)]; }
  let mu = wg_sum(lid, vec2(s, 0.0)).x / f32(p.m);
  var q = 0.0;
  for (var j = lid; j < p.m; j += WG) {
    let d = x[at(j, c)] - mu;
    q += d * d;
  }
  return vec2(mu, wg_sum(lid, vec2(q, 0.0)).x / f32(p.m));
}

// The channel's batch mean and 1/√(var + eps) into mean_out/invstd_out; returns (mean, biased var).
fn store_stats(c: u32, lid: u32) -> vec2<f32> {
  let st = channel_stats(c, lid);
  if (lid == 0u) {
    mean_out[c] = st.x;
    invstd_out[c] = 1.0 / sqrt(st.y + p.eps);
  }
  return st;
}

@compute @workgroup_size(WG)
fn bn_stats(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let c = channel_of(wid, nwg);
  if (c >= p.c) { return; }
  store_stats(c, lid);
}

@compute @workgroup_size(WG)
fn bn_stats_running(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                    @builtin(local_invocation_index) lid: u32) {
  let c = channel_of(wid, nwg);
  if (c >= p.c) { return; }
  let st = store_stats(c, lid);
  if (lid == 0u) {
    let unbiased = st.y * (f32(p.m) / f32(p.m - 1u));
    running_mean[c] = (1.0 - p.momentum) * running_mean[c] + p.momentum * st.x;
    running_var[c] = (1.0 - p.momentum) * running_var[c] + p.momentum * unbiased;
  }
}

@compute @workgroup_size(64)
fn bn_eval_stats(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= p.c) { return; }
  mean_out[c] = running_mean[c];
  invstd_out[c] = 1.0 / sqrt(running_var[c] + p.eps);
}

fn element_channel(gid: vec3<u32>, nwg: vec3<u32>) -> vec2<u32> {
  let i = gid.x + gid.y * nwg.x * 64u;
  return vec2(i, (i / p.s) % p.c);
}

@compute @workgroup_size(64)
fn bn_apply(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let ic = element_channel(gid, nwg);
  let i = ic.x;
  let c = ic.y;
  if (i >= p.total) { return; }
  let xhat = (x[i] - mean[c]) * invstd[c];
  var y = xhat;
  if (HAS_WEIGHT) { y *= weight[c]; }
  if (HAS_BIAS) { y += bias[c]; }
  out[i] = y;
}

@compute @workgroup_size(WG)
fn bn_bwd_reduce(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32) {
  let c = channel_of(wid, nwg);
  if (c >= p.c) { return; }
  let mu = mean[c];
  var acc = vec2(0.0, 0.0);
  for (var j = lid; j < p.m; j += WG) {
    let k = at(j, c);
    acc += vec2(grad[k], grad[k] * (x[k] - mu));
  }
  let r = wg_sum(lid, acc);
  if (lid == 0u) {
    sum_g_out[c] = r.x;
    sum_gxhat_out[c] = r.y * invstd[c];
  }
}

// Training: the batch statistics depend on x, so
// dx = w·invstd·(g − Σg/M − x̂·Σ(g·x̂)/M).
@compute @workgroup_size(64)
fn bn_bwd_apply_train(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let ic = element_channel(gid, nwg);
  let i = ic.x;
  let c = ic.y;
  if (i >= p.total) { return; }
  var scale = invstd[c];
  if (HAS_WEIGHT) { scale *= weight[c]; }
  let xhat = (x[i] - mean[c]) * invstd[c];
  let inv_m = 1.0 / f32(p.m);
  out[i] = scale * (grad[i] - sum_g[c] * inv_m - xhat * sum_gxhat[c] * inv_m);
}

// Eval: a per-channel affine map, dx = w·invstd·g.
@compute @workgroup_size(64)
fn bn_bwd_apply_eval(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let ic = element_channel(gid, nwg);
  let i = ic.x;
  let c = ic.y;
  if (i >= p.total) { return; }
  var scale = invstd[c];
  if (HAS_WEIGHT) { scale *= weight[c]; }
  out[i] = scale * grad[i];
}
