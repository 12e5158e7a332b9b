// Training-time image augmentation on the GPU, torchvision's tensor semantics (float math on
// x/255): per example, a crop box resized to the output with the antialiased bilinear filter
// (torch's interpolate(antialias=True), PIL's BILINEAR), an optional horizontal flip, then the
// ColorJitter operations in the example's order, RandomGrayscale, and Normalize.
//   crop_resize: one thread per output value; 8-bit source images packed 4 per u32 word (CHW).
//   color:       one workgroup per image (contrast needs the image's mean grey level after the
//                operations before it), in place on the crop_resize output, then normalizes.
// Per-example parameters, 16 floats each (experiments/data/augment.ts writes them):
//   0 top, 1 left, 2 height, 3 width (the crop box in source pixels), 4 flip (0/1),
//   5 brightness, 6 contrast, 7 saturation, 8 hue factors, 9 grayscale (0/1),
//   10–13 the jitter operations in order (0 brightness, 1 contrast, 2 saturation, 3 hue; < 0: none).

struct Params {
  n: u32,
  channels: u32,
  out_h: u32,
  out_w: u32,
  src_h: u32,
  src_w: u32,
  _pad0: u32,
  _pad1: u32,
  mean: vec4<f32>,
  stdev: vec4<f32>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read> ex: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn src_value(b: u32, c: u32, y: u32, x: u32) -> f32 {
  let k = ((b * p.channels + c) * p.src_h + y) * p.src_w + x;
  let byte = (src[k >> 2u] >> ((k & 3u) * 8u)) & 0xffu;
  return f32(byte) / 255.0;
}

// torch's _compute_indices_weights_aa for one output index: the first tap and the tap count.
struct Taps { first: i32, count: i32, center: f32, inv_scale: f32 }

fn taps(o: u32, in_size: f32, out_size: u32) -> Taps {
  let scale = in_size / f32(out_size);
  let support = select(1.0, scale, scale >= 1.0);
  let inv_scale = select(1.0, 1.0 / scale, scale >= 1.0);
  let center = scale * (f32(o) + 0.5);
  // C's int64 casts truncate toward zero, as WGSL's i32() does.
  let first = max(i32(center - support + 0.5), 0);
  let last = min(i32(center + support + 0.5), i32(in_size));
  return Taps(first, last - first, center, inv_scale);
}

fn tri(x: f32) -> f32 {
  let a = abs(x);
  return select(0.0, 1.0 - a, a < 1.0);
}

@compute @workgroup_size(64)
fn crop_resize(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  let plane = p.out_h * p.out_w;
  if (i >= p.n * p.channels * plane) { return; }
  let b = i / (p.channels * plane);
  let c = (i / plane) % p.channels;
  let oy = (i % plane) / p.out_w;
  var ox = i % p.out_w;
  let e = b * 16u;
  if (ex[e + 4u] != 0.0) { ox = p.out_w - 1u - ox; }
  let top = u32(ex[e]);
  let left = u32(ex[e + 1u]);
  let ty = taps(oy, ex[e + 2u], p.out_h);
  let tx = taps(ox, ex[e + 3u], p.out_w);
  var acc = 0.0;
  var wy_sum = 0.0;
  var wx_sum = 0.0;
  for (var kx = 0; kx < tx.count; kx++) {
    wx_sum += tri((f32(kx + tx.first) - tx.center + 0.5) * tx.inv_scale);
  }
  for (var ky = 0; ky < ty.count; ky++) {
    let wy = tri((f32(ky + ty.first) - ty.center + 0.5) * ty.inv_scale);
    wy_sum += wy;
    var row = 0.0;
    for (var kx = 0; kx < tx.count; kx++) {
      let wx = tri((f32(kx + tx.first) - tx.center + 0.5) * tx.inv_scale);
      row += wx * src_value(b, c, top + u32(ky + ty.first), left + u32(kx + tx.first));
    }
    acc += wy * row;
  }
  out[i] = acc / (wy_sum * wx_sum);
}

// ---- colour: one workgroup of 64 threads per image ----

var<workgroup> wsum: array<f32, 64>;

fn grey(r: f32, g: f32, b: f32) -> f32 {
  return 0.2989 * r + 0.587 * g + 0.114 * b;
}

fn blend(a: vec3<f32>, b: vec3<f32>, ratio: f32) -> vec3<f32> {
  return clamp(ratio * a + (1.0 - ratio) * b, vec3(0.0), vec3(1.0));
}

// torchvision's _rgb2hsv → shift h → _hsv2rgb, on one pixel.
fn hue_shift(px: vec3<f32>, hue: f32) -> vec3<f32> {
  let r = px.x; let g = px.y; let b = px.z;
  let maxc = max(r, max(g, b));
  let minc = min(r, min(g, b));
  let eqc = maxc == minc;
  let cr = maxc - minc;
  let s = cr / select(maxc, 1.0, eqc);
  let crd = select(cr, 1.0, eqc);
  let rc = (maxc - r) / crd;
  let gc = (maxc - g) / crd;
  let bc = (maxc - b) / crd;
  var h = 0.0;
  if (maxc == r) { h = bc - gc; }
  else if (maxc == g) { h = 2.0 + rc - bc; }
  else { h = 4.0 + gc - rc; }
  h = h / 6.0 + 1.0;
  h = h - trunc(h);            // torch.fmod(h/6 + 1, 1): positive here
  h = h + hue;
  h = h - floor(h);            // (h + hue) % 1.0, Python's sign rule
  let v = maxc;
  let fi = floor(h * 6.0);
  let f = h * 6.0 - fi;
  let pp = clamp(v * (1.0 - s), 0.0, 1.0);
  let q = clamp(v * (1.0 - s * f), 0.0, 1.0);
  let t = clamp(v * (1.0 - s * (1.0 - f)), 0.0, 1.0);
  let k = ((i32(fi) % 6) + 6) % 6;
  switch k {
    case 0: { return vec3(v, t, pp); }
    case 1: { return vec3(q, v, pp); }
    case 2: { return vec3(pp, v, t); }
    case 3: { return vec3(pp, q, v); }
    case 4: { return vec3(t, pp, v); }
    default: { return vec3(v, pp, q); }
  }
}

fn load_px(base: u32, plane: u32, k: u32) -> vec3<f32> {
  return vec3(out[base + k], out[base + plane + k], out[base + 2u * plane + k]);
}

fn store_px(base: u32, plane: u32, k: u32, v: vec3<f32>) {
  out[base + k] = v.x;
  out[base + plane + k] = v.y;
  out[base + 2u * plane + k] = v.z;
}

@compute @workgroup_size(64)
fn color(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = wid.x;
  let plane = p.out_h * p.out_w;
  let base = b * p.channels * plane;
  let e = b * 16u;
  if (p.channels == 3u) {
    for (var step = 0u; step < 4u; step++) {
      let op = ex[e + 10u + step];
      if (op < 0.0) { continue; }
      let f = ex[e + 5u + u32(op)];
      var mean = 0.0;
      if (op == 1.0) {
        // contrast blends with the mean grey level of the image as it is now
        var acc = 0.0;
        for (var k = lid; k < plane; k += 64u) {
          let px = load_px(base, plane, k);
          acc += grey(px.x, px.y, px.z);
        }
        wsum[lid] = acc;
        workgroupBarrier();
        for (var s = 32u; s > 0u; s >>= 1u) {
          if (lid < s) { wsum[lid] += wsum[lid + s]; }
          workgroupBarrier();
        }
        mean = wsum[0] / f32(plane);
        workgroupBarrier();
      }
      for (var k = lid; k < plane; k += 64u) {
        let px = load_px(base, plane, k);
        var v = px;
        if (op == 0.0) { v = blend(px, vec3(0.0), f); }
        else if (op == 1.0) { v = blend(px, vec3(mean), f); }
        else if (op == 2.0) { v = blend(px, vec3(grey(px.x, px.y, px.z)), f); }
        else { v = hue_shift(px, f); }
        store_px(base, plane, k, v);
      }
    }
  }
  let to_grey = p.channels == 3u && ex[e + 9u] != 0.0;
  for (var k = lid; k < plane; k += 64u) {
    if (p.channels == 3u) {
      var px = load_px(base, plane, k);
      if (to_grey) { px = vec3(grey(px.x, px.y, px.z)); }
      store_px(base, plane, k, (px - p.mean.xyz) / p.stdev.xyz);
    } else {
      for (var c = 0u; c < p.channels; c++) {
        let j = base + c * plane + k;
        out[j] = (out[j] - p.mean[c]) / p.stdev[c];
      }
    }
  }
}
