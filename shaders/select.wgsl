// argmax along a dim, and per-row correctness for accuracy. One thread per row (rows are
// short: classes), the input seen as [outer, c, inner] as in loss.wgsl. Invalid labels are
// reported on the error flag (shaders/error_flag.wgsl, prepended).

struct Params {
  n: u32,         // rows
  c: u32,         // row length
  inner: u32,     // distance between a row's elements
  nan_bits: u32,  // NaN as f32 bits (const-expressions cannot make NaN)
  site: u32,      // error-flag site (accuracy)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

// By bits: compilers may assume no NaN and fold `v != v` to false (lavapipe does).
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// Integer in [0, c) (NaN fails).
fn valid_label(lab: f32) -> bool {
  return !is_nan(lab) && lab >= 0.0 && lab < f32(p.c) && floor(lab) == lab;
}

// First index of the row's maximum; a NaN counts as the maximum (as in PyTorch).
fn row_argmax(r: u32) -> u32 {
  let base = (r / p.inner) * p.c * p.inner + r % p.inner;
  var m = x[base];
  var im = 0u;
  for (var j = 1u; j < p.c; j++) {
    let v = x[base + j * p.inner];
    if (!is_nan(m) && (v > m || is_nan(v))) { m = v; im = j; }
  }
  return im;
}

@compute @workgroup_size(64)
fn argmax_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = gid.x + gid.y * nwg.x * 64u;
  if (r >= p.n) { return; }
  out[r] = f32(row_argmax(r));
}

// 1 where argmax(logits row) equals the label, else 0; a label that is not an integer in
// [0, c) is reported and gives NaN, so a mean over the batch cannot count it as a miss.
@compute @workgroup_size(64)
fn correct_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = gid.x + gid.y * nwg.x * 64u;
  if (r >= p.n) { return; }
  let lab = labels[r];
  if (!valid_label(lab)) {
    report_invalid(p.site, r, lab);
    out[r] = bitcast<f32>(p.nan_bits);
    return;
  }
  out[r] = select(0.0, 1.0, f32(row_argmax(r)) == lab);
}
