// 2-D pooling over the last two dims of a [planes, H, W] view (planes = N·C), forward and
// backward. One thread per output element in the forward kernels. The backward kernels run one
// thread per *input* element and gather from the output windows that contain it, so every input
// gradient is written once, in a fixed order: no atomics, deterministic.
//
// Window of output (oh, ow): rows oh·sh − ph + ki·dh for ki in [0, kh), likewise for columns.

struct Params {
  n: u32,            // threads: output elements (forward) or input elements (backward)
  planes: u32,
  h: u32,
  w: u32,
  oh: u32,
  ow: u32,
  kh: u32,
  kw: u32,
  sh: u32,
  sw: u32,
  ph: u32,
  pw: u32,
  dh: u32,
  dw: u32,
  count_include_pad: u32, // avg pool: 1 = divide by the window size clipped to the padded input
  neg_inf_bits: u32,      // -inf as f32 bits (a WGSL constant cannot be infinite)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;        // forward input
@group(0) @binding(2) var<storage, read> grad: array<f32>;     // gradient of the output
@group(0) @binding(3) var<storage, read> argmax: array<f32>;   // max pool: plane-local flat index h·W + w
@group(0) @binding(4) var<storage, read_write> out: array<f32>; // output, or the input's gradient
@group(0) @binding(5) var<storage, read_write> argmax_out: array<f32>;

fn thread_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * 64u;
}

// ---- max pool ----

// By bits: compilers may fold `v != v` to false (lavapipe does).
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

@compute @workgroup_size(64)
fn max_pool_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = thread_index(gid, nwg);
  if (i >= p.n) { return; }
  let ow = i % p.ow;
  let oh = (i / p.ow) % p.oh;
  let plane = i / (p.ow * p.oh);
  let base = plane * p.h * p.w;
  let h0 = i32(oh * p.sh) - i32(p.ph);
  let w0 = i32(ow * p.sw) - i32(p.pw);
  var best = bitcast<f32>(p.neg_inf_bits);
  var best_at = -1;
  // Scan order (rows, then columns) and a strict '>' keep the first maximum, as PyTorch does;
  // a NaN wins and propagates (PyTorch: `val > max || isnan(val)`, so the last NaN).
  for (var ki = 0u; ki < p.kh; ki++) {
    let ih = h0 + i32(ki * p.dh);
    if (ih < 0 || ih >= i32(p.h)) { continue; }
    for (var kj = 0u; kj < p.kw; kj++) {
      let iw = w0 + i32(kj * p.dw);
      if (iw < 0 || iw >= i32(p.w)) { continue; }
      let at = ih * i32(p.w) + iw;
      let v = x[base + u32(at)];
      if (v > best || is_nan(v) || best_at < 0) {
        best = v;
        best_at = at;
      }
    }
  }
  out[i] = best;
  argmax_out[i] = f32(best_at);
}

// Output index along one axis whose window holds input coordinate `c` through kernel tap `k`,
// or -1. t = c + pad − k·dil must be a non-negative multiple of the stride below `n_out`.
fn window_of(c: u32, k: u32, pad: u32, dil: u32, stride: u32, n_out: u32) -> i32 {
  let t = i32(c + pad) - i32(k * dil);
  if (t < 0 || u32(t) % stride != 0u) { return -1; }
  let o = u32(t) / stride;
  return select(-1, i32(o), o < n_out);
}

@compute @workgroup_size(64)
fn max_pool_bwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = thread_index(gid, nwg);
  if (i >= p.n) { return; }
  let iw = i % p.w;
  let ih = (i / p.w) % p.h;
  let plane = i / (p.w * p.h);
  let here = f32(ih * p.w + iw);
  let obase = plane * p.oh * p.ow;
  var acc = 0.0;
  for (var ki = 0u; ki < p.kh; ki++) {
    let oh = window_of(ih, ki, p.ph, p.dh, p.sh, p.oh);
    if (oh < 0) { continue; }
    for (var kj = 0u; kj < p.kw; kj++) {
      let ow = window_of(iw, kj, p.pw, p.dw, p.sw, p.ow);
      if (ow < 0) { continue; }
      let o = obase + u32(oh) * p.ow + u32(ow);
      if (argmax[o] == here) { acc += grad[o]; }
    }
  }
  out[i] = acc;
}

// ---- average pool ----

// An output's window clipped to the input, and PyTorch's divisor: the window's size clipped to
// the padded input (count_include_pad), or to the input itself.
struct Window {
  h0: i32,
  h1: i32,
  w0: i32,
  w1: i32,
  divisor: f32,
}

fn avg_window(oh: u32, ow: u32) -> Window {
  var h0 = i32(oh * p.sh) - i32(p.ph);
  var w0 = i32(ow * p.sw) - i32(p.pw);
  var h1 = min(h0 + i32(p.kh), i32(p.h + p.ph));
  var w1 = min(w0 + i32(p.kw), i32(p.w + p.pw));
  let padded = (h1 - h0) * (w1 - w0);
  h0 = max(h0, 0);
  w0 = max(w0, 0);
  h1 = min(h1, i32(p.h));
  w1 = min(w1, i32(p.w));
  let d = select((h1 - h0) * (w1 - w0), padded, p.count_include_pad != 0u);
  return Window(h0, h1, w0, w1, f32(d));
}

@compute @workgroup_size(64)
fn avg_pool_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = thread_index(gid, nwg);
  if (i >= p.n) { return; }
  let ow = i % p.ow;
  let oh = (i / p.ow) % p.oh;
  let base = (i / (p.ow * p.oh)) * p.h * p.w;
  let win = avg_window(oh, ow);
  var acc = 0.0;
  for (var ih = win.h0; ih < win.h1; ih++) {
    for (var iw = win.w0; iw < win.w1; iw++) { acc += x[base + u32(ih) * p.w + u32(iw)]; }
  }
  out[i] = acc / win.divisor;
}

@compute @workgroup_size(64)
fn avg_pool_bwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = thread_index(gid, nwg);
  if (i >= p.n) { return; }
  let iw = i % p.w;
  let ih = (i / p.w) % p.h;
  let obase = (i / (p.w * p.h)) * p.oh * p.ow;
  var acc = 0.0;
  for (var ki = 0u; ki < p.kh; ki++) {
    let oh = window_of(ih, ki, p.ph, 1u, p.sh, p.oh);
    if (oh < 0) { continue; }
    for (var kj = 0u; kj < p.kw; kj++) {
      let ow = window_of(iw, kj, p.pw, 1u, p.sw, p.ow);
      if (ow < 0) { continue; }
      let win = avg_window(u32(oh), u32(ow));
      acc += grad[obase + u32(oh) * p.ow + u32(ow)] / win.divisor;
    }
  }
  out[i] = acc;
}

// ---- adaptive average pool: window i of an axis of n inputs and m outputs is
// [floor(i·n/m), ceil((i+1)·n/m)); input c lies in windows [floor(c·m/n), ceil((c+1)·m/n)). ----

@compute @workgroup_size(64)
fn adaptive_avg_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = thread_index(gid, nwg);
  if (i >= p.n) { return; }
  let ow = i % p.ow;
  let oh = (i / p.ow) % p.oh;
  let base = (i / (p.ow * p.oh)) * p.h * p.w;
  let h0 = oh * p.h / p.oh;
  let h1 = ((oh + 1u) * p.h + p.oh - 1u) / p.oh;
  let w0 = ow * p.w / p.ow;
  let w1 = ((ow + 1u) * p.w + p.ow - 1u) / p.ow;
  var acc = 0.0;
  for (var ih = h0; ih < h1; ih++) {
    for (var iw = w0; iw < w1; iw++) { acc += x[base + ih * p.w + iw]; }
  }
  out[i] = acc / f32((h1 - h0) * (w1 - w0));
}

@compute @workgroup_size(64)
fn adaptive_avg_bwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = thread_index(gid, nwg);
  if (i >= p.n) { return; }
  let iw = i % p.w;
  let ih = (i / p.w) % p.h;
  let obase = (i / (p.w * p.h)) * p.oh * p.ow;
  let oh0 = ih * p.oh / p.h;
  let oh1 = ((ih + 1u) * p.oh + p.h - 1u) / p.h;
  let ow0 = iw * p.ow / p.w;
  let ow1 = ((iw + 1u) * p.ow + p.w - 1u) / p.w;
  var acc = 0.0;
  for (var oh = oh0; oh < oh1; oh++) {
    let rows = ((oh + 1u) * p.h + p.oh - 1u) / p.oh - oh * p.h / p.oh;
    for (var ow = ow0; ow < ow1; ow++) {
      let cols = ((ow + 1u) * p.w + p.ow - 1u) / p.ow - ow * p.w / p.ow;
      acc += grad[obase + oh * p.ow + ow] / f32(rows * cols);
    }
  }
  out[i] = acc;
}

// Global average pool's backward: every input of a plane gets grad[plane] / (H·W).
@compute @workgroup_size(64)
fn global_avg_bwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = thread_index(gid, nwg);
  if (i >= p.n) { return; }
  out[i] = grad[i / (p.h * p.w)] / f32(p.h * p.w);
}
