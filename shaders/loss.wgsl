// Softmax, log-softmax and the losses: cross-entropy (fused per row), and the pointwise
// BCE-with-logits, logistic and MSE losses with their importance weights and gradients.
//
// Row kernels see their input as [outer, c, inner]: row r starts at
// (r / inner)·c·inner + r % inner and its elements are `inner` apart. Two strategies, picked by
// the host from the row length and the adapter:
//  - *_rows:  one thread per row, serial loops (CPU adapters: barriers are costly there);
//  - *_group: one 64-thread workgroup per row, tree reductions in workgroup memory (GPUs, long rows).
//
// Every row reduction finds the row max m, the index of its first maximum, and
// rest = Σ_{j ≠ argmax} exp(x_j − m), so Σ exp(x_j − m) = 1 + rest and log of it is
// log1p(rest): accurate when one class dominates (WGSL's log is only 2^-21-accurate near 1).

struct Params {
  n: u32,          // rows (row kernels) or elements (pointwise kernels)
  c: u32,          // row length: classes / size of the softmax dim
  inner: u32,      // distance between a row's elements
  nan_bits: u32,   // NaN as f32 bits (const-expressions cannot make NaN or ±inf)
  smoothing: f32,  // cross-entropy label smoothing ε
  scale: f32,      // backward: 1/n for a mean, else 1
  g_stride: u32,   // backward: 0 when the upstream gradient is a scalar, 1 when it is per row/element
  site: u32,       // error-flag site of a validating dispatch (shaders/error_flag.wgsl, prepended)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;       // logits / input
@group(0) @binding(2) var<storage, read> labels: array<f32>;  // CE class indices as f32
@group(0) @binding(3) var<storage, read> t: array<f32>;       // pointwise targets / ±1 labels
@group(0) @binding(4) var<storage, read> y: array<f32>;       // softmax backward: forward output
@group(0) @binding(5) var<storage, read> g: array<f32>;       // upstream gradient
@group(0) @binding(6) var<storage, read> lse: array<f32>;     // CE backward: log Σ exp per row
@group(0) @binding(7) var<storage, read> lambda: array<f32>;  // CE backward: 1 − p(y) per row
@group(0) @binding(8) var<storage, read_write> out: array<f32>;
@group(0) @binding(9) var<storage, read_write> loss: array<f32>;
@group(0) @binding(10) var<storage, read_write> lse_out: array<f32>;
@group(0) @binding(11) var<storage, read_write> weights: array<f32>;

override OP: u32 = 0u;

fn nan() -> f32 {
  return bitcast<f32>(p.nan_bits);
}

// By bits: compilers may assume no NaN, fold `v != v` to false (lavapipe does) or rewrite
// `!(v >= 0)` as `v < 0`.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// log(1 + u) for u >= 0, accurate near 0 (2·atanh(u / (2 + u)) series).
fn log1p_acc(u: f32) -> f32 {
  if (u < 0.0625) {
    let s = u / (2.0 + u);
    let s2 = s * s;
    return 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (0.2 + s2 / 7.0)));
  }
  return log(1.0 + u);
}

fn sigmoid(z: f32) -> f32 {
  let e = exp(-abs(z));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), z >= 0.0);
}

// log(1 + e^u), stable for any u.
fn softplus(u: f32) -> f32 {
  return max(u, 0.0) + log1p_acc(exp(-abs(u)));
}

fn row_base(r: u32) -> u32 {
  return (r / p.inner) * p.c * p.inner + r % p.inner;
}

struct Stats {
  m: f32,      // row max
  imax: u32,   // index of its first occurrence
  rest: f32,   // Σ_{j ≠ imax} exp(x_j − m)
  sum_x: f32,  // Σ x_j (label smoothing)
}

fn stats_serial(base: u32) -> Stats {
  var m = x[base];
  var im = 0u;
  for (var j = 1u; j < p.c; j++) {
    let v = x[base + j * p.inner];
    if (v > m) { m = v; im = j; }
  }
  var rest = 0.0;
  var sx = 0.0;
  for (var j = 0u; j < p.c; j++) {
    let v = x[base + j * p.inner];
    sx += v;
    if (j != im) { rest += exp(v - m); }
  }
  return Stats(m, im, rest, sx);
}

// ---- workgroup reductions (64 threads per row) ----

var<workgroup> wm: array<f32, 64>;
var<workgroup> wi: array<u32, 64>;
var<workgroup> ws: array<f32, 64>;
var<workgroup> wx: array<f32, 64>;

// Sums ws[] and wx[] over the workgroup; the totals land in ws[0], wx[0].
fn wg_sum2(lid: u32) {
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (lid < s) {
      ws[lid] += ws[lid + s];
      wx[lid] += wx[lid + s];
    }
    workgroupBarrier();
  }
}

// Index of the workgroup's first maximum, from each thread's (max, first index) pair.
fn wg_argmax(lid: u32, m: f32, im: u32) -> u32 {
  wm[lid] = m;
  wi[lid] = im;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (lid < s) {
      let bm = wm[lid + s];
      let bi = wi[lid + s];
      if (bm > wm[lid] || (bm == wm[lid] && bi < wi[lid])) { wm[lid] = bm; wi[lid] = bi; }
    }
    workgroupBarrier();
  }
  let r = wi[0];
  workgroupBarrier();
  return r;
}

fn stats_group(base: u32, lid: u32) -> Stats {
  // Each thread starts from element 0, so strict `>` keeps the first maximum.
  var m = x[base];
  var im = 0u;
  for (var j = lid; j < p.c; j += 64u) {
    let v = x[base + j * p.inner];
    if (v > m) { m = v; im = j; }
  }
  let gi = wg_argmax(lid, m, im);
  let gm = x[base + gi * p.inner];
  var rest = 0.0;
  var sx = 0.0;
  for (var j = lid; j < p.c; j += 64u) {
    let v = x[base + j * p.inner];
    sx += v;
    if (j != gi) { rest += exp(v - gm); }
  }
  ws[lid] = rest;
  wx[lid] = sx;
  wg_sum2(lid);
  let st = Stats(gm, gi, ws[0], wx[0]);
  workgroupBarrier(); // ws/wx are reused by the caller
  return st;
}

fn row_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.x + wid.y * nwg.x;
}

fn thread_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * 64u;
}

// ---- softmax (OP 0) and log-softmax (OP 1) ----

fn softmax_value(v: f32, st: Stats) -> f32 {
  if (OP == 1u) { return v - st.m - log1p_acc(st.rest); }
  return exp(v - st.m) / (1.0 + st.rest);
}

@compute @workgroup_size(64)
fn softmax_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = thread_index(gid, nwg);
  if (r >= p.n) { return; }
  let base = row_base(r);
  let st = stats_serial(base);
  for (var j = 0u; j < p.c; j++) {
    let k = base + j * p.inner;
    out[k] = softmax_value(x[k], st);
  }
}

@compute @workgroup_size(64)
fn softmax_group(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
                 @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = row_index(wid, nwg);
  if (r >= p.n) { return; }
  let base = row_base(r);
  let st = stats_group(base, lid);
  for (var j = lid; j < p.c; j += 64u) {
    let k = base + j * p.inner;
    out[k] = softmax_value(x[k], st);
  }
}

// Backward from the forward output y: softmax dx = y·(g − Σ g·y); log-softmax dx = g − e^y·Σ g.
// Softmax's Jacobian annihilates constants (Σ y = 1), so g is shifted by its value c at the
// row's largest y: where y ≈ 1 the bracket becomes −Σ_{k≠argmax} y_k (g_k − c) instead of a
// difference of two nearly equal numbers. (Log-softmax has no such invariance: c = 0.)
fn softmax_grad_term(k: u32, c: f32) -> f32 {
  if (OP == 1u) { return g[k]; }
  return y[k] * (g[k] - c);
}

fn softmax_grad(k: u32, dot: f32, c: f32) -> f32 {
  if (OP == 1u) { return g[k] - exp(y[k]) * dot; }
  return y[k] * ((g[k] - c) - dot);
}

@compute @workgroup_size(64)
fn softmax_backward_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = thread_index(gid, nwg);
  if (r >= p.n) { return; }
  let base = row_base(r);
  var c = 0.0;
  if (OP == 0u) {
    var m = y[base];
    var im = 0u;
    for (var j = 1u; j < p.c; j++) {
      let v = y[base + j * p.inner];
      if (v > m) { m = v; im = j; }
    }
    c = g[base + im * p.inner];
  }
  var dot = 0.0;
  for (var j = 0u; j < p.c; j++) { dot += softmax_grad_term(base + j * p.inner, c); }
  for (var j = 0u; j < p.c; j++) {
    let k = base + j * p.inner;
    out[k] = softmax_grad(k, dot, c);
  }
}

@compute @workgroup_size(64)
fn softmax_backward_group(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
                          @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = row_index(wid, nwg);
  if (r >= p.n) { return; }
  let base = row_base(r);
  var c = 0.0;
  if (OP == 0u) {
    var m = y[base];
    var im = 0u;
    for (var j = lid; j < p.c; j += 64u) {
      let v = y[base + j * p.inner];
      if (v > m) { m = v; im = j; }
    }
    c = g[base + wg_argmax(lid, m, im) * p.inner];
  }
  var dot = 0.0;
  for (var j = lid; j < p.c; j += 64u) { dot += softmax_grad_term(base + j * p.inner, c); }
  ws[lid] = dot;
  wx[lid] = 0.0;
  wg_sum2(lid);
  let total = ws[0];
  for (var j = lid; j < p.c; j += 64u) {
    let k = base + j * p.inner;
    out[k] = softmax_grad(k, total, c);
  }
}

// ---- cross-entropy: logits [n, c] (inner = 1), labels [n] ----
// Writes the per-example loss, log Σ exp (for the backward) and λ = 1 − p(y) (importance
// weight; exact-ish in both limits: rest/(1+rest) when y is the argmax, else p(y) ≤ 1/2).
// A label that is not an integer in [0, c) is reported on the error flag and makes all three
// NaN for that row.

fn ce_row(r: u32, st: Stats) {
  let lab = labels[r];
  if (is_nan(lab) || !(lab >= 0.0 && lab < f32(p.c) && floor(lab) == lab)) {
    report_invalid(p.site, r, lab);
    loss[r] = nan();
    lse_out[r] = nan();
    weights[r] = nan();
    return;
  }
  let yi = u32(lab);
  let xy = x[r * p.c + yi];
  let l1p = log1p_acc(st.rest);
  let nll = (st.m - xy) + l1p;
  // −(1/c) Σ_j log p_j = lse − mean(x)
  let smoothed = (st.m - st.sum_x / f32(p.c)) + l1p;
  loss[r] = (1.0 - p.smoothing) * nll + p.smoothing * smoothed;
  lse_out[r] = st.m + l1p;
  let denom = 1.0 + st.rest;
  weights[r] = select(1.0 - exp(xy - st.m) / denom, st.rest / denom, yi == st.imax);
}

@compute @workgroup_size(64)
fn ce_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = thread_index(gid, nwg);
  if (r >= p.n) { return; }
  ce_row(r, stats_serial(r * p.c));
}

@compute @workgroup_size(64)
fn ce_group(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
            @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = row_index(wid, nwg);
  if (r >= p.n) { return; }
  let st = stats_group(r * p.c, lid);
  if (lid == 0u) { ce_row(r, st); }
}

// dlogits = (softmax − smoothed one-hot)·g·scale, one thread per element. At the label,
// p − (1 − ε) − ε/c is written −λ + ε(1 − 1/c) to avoid cancelling p against 1. Rows with an
// invalid label have NaN λ and lse, so their whole gradient row is NaN.
@compute @workgroup_size(64)
fn ce_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = thread_index(gid, nwg);
  if (i >= p.n * p.c) { return; }
  let r = i / p.c;
  let j = i % p.c;
  let eps = p.smoothing;
  var d: f32;
  if (f32(j) == labels[r]) {
    d = -lambda[r] + eps * (1.0 - 1.0 / f32(p.c));
  } else {
    d = exp(x[i] - lse[r]) - eps / f32(p.c);
  }
  out[i] = d * g[r * p.g_stride] * p.scale;
}

// ---- pointwise losses: OP 0 BCE with logits (x, t ∈ [0,1]), 1 logistic (x = f, t = y ∈ ±1),
// 2 MSE (x = prediction, t = target), 3 logistic importance weight σ(−y f). ----
// Invalid labels and targets are reported on the error flag: logistic labels other than ±1
// (which also give NaN: a 0/1 label would otherwise silently give log 2) and BCE targets
// outside [0, 1] (PyTorch computes a value for those; a ±1 label there is a bug we catch).

fn pm1(v: f32) -> bool { // false for NaN: == compares are never true for it
  return v == 1.0 || v == -1.0;
}

fn in_unit(v: f32) -> bool {
  return !is_nan(v) && v >= 0.0 && v <= 1.0;
}

@compute @workgroup_size(64)
fn pointwise(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = thread_index(gid, nwg);
  if (i >= p.n) { return; }
  let a = x[i];
  let b = t[i];
  var v: f32;
  switch OP {
    case 0u: {
      if (!in_unit(b)) { report_invalid(p.site, i, b); }
      v = max(a, 0.0) - a * b + log1p_acc(exp(-abs(a)));
    }
    case 1u: {
      if (!pm1(b)) { report_invalid(p.site, i, b); }
      v = select(nan(), softplus(-b * a), pm1(b));
    }
    case 2u: { v = (a - b) * (a - b); }
    default: {
      if (!pm1(b)) { report_invalid(p.site, i, b); }
      v = select(nan(), sigmoid(-b * a), pm1(b));
    }
  }
  out[i] = v;
}

// The logistic loss and its importance weight σ(−y f) in one pass (logisticLossWithWeights).
@compute @workgroup_size(64)
fn logistic_with_weights(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = thread_index(gid, nwg);
  if (i >= p.n) { return; }
  let a = x[i];
  let b = t[i];
  if (!pm1(b)) {
    report_invalid(p.site, i, b);
    out[i] = nan();
    weights[i] = nan();
    return;
  }
  out[i] = softplus(-b * a);
  weights[i] = sigmoid(-b * a);
}

// Gradient with respect to the first operand (x).
@compute @workgroup_size(64)
fn pointwise_grad_x(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = thread_index(gid, nwg);
  if (i >= p.n) { return; }
  let a = x[i];
  let b = t[i];
  var d: f32;
  switch OP {
    case 0u: { d = sigmoid(a) - b; }
    case 1u: { d = select(nan(), -b * sigmoid(-b * a), pm1(b)); }
    default: { d = 2.0 * (a - b); }
  }
  out[i] = d * g[i * p.g_stride] * p.scale;
}

// Gradient with respect to the second operand (t): BCE −x, MSE −2(x − t).
@compute @workgroup_size(64)
fn pointwise_grad_t(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = thread_index(gid, nwg);
  if (i >= p.n) { return; }
  let a = x[i];
  let b = t[i];
  let d = select(-2.0 * (a - b), -a, OP == 0u);
  out[i] = d * g[i * p.g_stride] * p.scale;
}
