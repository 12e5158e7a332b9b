// 2-D convolution as a tiled implicit GEMM for GPUs: the loaders of the tile core
// (shaders/gemm_tiled.wgsl, appended by engine/ops/conv2d.ts after this file) for the three
// GEMMs of a convolution, chosen by the MODE override. Each loaded element is decoded from its
// GEMM coordinates (no im2col buffer); the tile core stages it in workgroup memory and reuses it
// across the tile. Problem z is a group (forward, input gradient) or a split and a group
// (weight gradient: z = split · groups + group, splits summed by the host).
//
//  MODE 0, forward:      M = cout_g, N = n·oh·ow, K = cin_g·kh·kw; A = weights, B = x gathered
//  MODE 1, input grad:   M = cin_g,  N = n·h·w,   K = cout_g·kh·kw; A = weights, B = dy gathered
//                        where the tap reaches the pixel (stride phases that do not: 0)
//  MODE 2, weight grad:  M = cout_g, N = cin_g·kh·kw, K = n·oh·ow;  A = dy, B = x gathered
//
// Every mode binds every buffer (static use ignores MODE); the host binds read-only stand-ins.
// struct Params: shaders/conv2d_common.wgsl (prepended)

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> wt: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

override MODE: u32 = 0u;
override RELU: bool = false;   // forward: max(·, 0) at the store
override A_K_CONTIG: bool = true;
override B_N_CONTIG: bool = MODE != 2u;

fn ksize() -> u32 { return p.kh * p.kw; }
fn opix() -> u32 { return p.out_h * p.out_w; }

fn gemm_m(z: u32) -> u32 { return select(p.cout_g, p.cin_g, MODE == 1u); }

fn gemm_n(z: u32) -> u32 {
  if (MODE == 0u) { return p.n * opix(); }
  if (MODE == 1u) { return p.n * p.in_h * p.in_w; }
  return p.cin_g * ksize();
}

fn gemm_k_range(z: u32) -> vec2<u32> {
  if (MODE == 0u) { return vec2<u32>(0u, p.cin_g * ksize()); }
  if (MODE == 1u) { return vec2<u32>(0u, p.cout_g * ksize()); }
  let s = z / p.groups;
  let k0 = s * p.rows_per_split;
  return vec2<u32>(k0, min(k0 + p.rows_per_split, p.n * opix()));
}

/** x[img, channel, iy, ix] or 0 outside the image (zero padding). */
fn x_at(img: u32, ch: u32, iy: i32, ix: i32) -> f32 {
  if (iy < 0 || ix < 0 || iy >= i32(p.in_h) || ix >= i32(p.in_w)) { return 0.0; }
  return x[((img * p.cin + ch) * p.in_h + u32(iy)) * p.in_w + u32(ix)];
}

/** x at tap t = (ci, ky, kx) of group g for output pixel q = (img, oy, ox). */
fn x_tap(g: u32, t: u32, q: u32) -> f32 {
  let ks = ksize();
  let ci = t / ks;
  let r = t % ks;
  let img = q / opix();
  let pix = q % opix();
  let iy = i32((pix / p.out_w) * p.stride_h + (r / p.kw) * p.dil_h) - i32(p.pad_h);
  let ix = i32((pix % p.out_w) * p.stride_w + (r % p.kw) * p.dil_w) - i32(p.pad_w);
  return x_at(img, g * p.cin_g + ci, iy, ix);
}

fn gemm_a(z: u32, m: u32, k: u32, kend: u32) -> f32 {
  if (k >= kend) { return 0.0; }
  let g = z % p.groups;
  let ks = ksize();
  if (MODE == 0u) { return wt[(g * p.cout_g + m) * p.cin_g * ks + k]; }
  if (MODE == 1u) {
    let co = k / ks;
    return wt[((g * p.cout_g + co) * p.cin_g + m) * ks + k % ks];
  }
  let img = k / opix();
  return dy[(img * p.cout + g * p.cout_g + m) * opix() + k % opix()];
}

fn gemm_b(z: u32, k: u32, n: u32, kend: u32) -> f32 {
  if (k >= kend) { return 0.0; }
  let g = z % p.groups;
  if (MODE == 0u) { return x_tap(g, k, n); }
  if (MODE == 2u) { return x_tap(g, n, k); }
  // input gradient: dy[img, co, oy, ox] where iy + pad − ky·dil = oy·stride (and likewise x)
  let ks = ksize();
  let co = k / ks;
  let r = k % ks;
  let plane = p.in_h * p.in_w;
  let img = n / plane;
  let pix = n % plane;
  let ny = i32(pix / p.in_w + p.pad_h) - i32((r / p.kw) * p.dil_h);
  let nx = i32(pix % p.in_w + p.pad_w) - i32((r % p.kw) * p.dil_w);
  if (ny < 0 || nx < 0) { return 0.0; }
  let oy = u32(ny) / p.stride_h;
  let ox = u32(nx) / p.stride_w;
  if (u32(ny) % p.stride_h != 0u || u32(nx) % p.stride_w != 0u || oy >= p.out_h || ox >= p.out_w) { return 0.0; }
  return dy[((img * p.cout + g * p.cout_g + co) * p.out_h + oy) * p.out_w + ox];
}

fn gemm_store(z: u32, m: u32, n: u32, v: f32) {
  let g = z % p.groups;
  if (MODE == 0u) {
    let img = n / opix();
    let co = g * p.cout_g + m;
    var y = v;
    if (p.has_bias != 0u) { y += bias[co]; }
    if (RELU) { y = max(y, 0.0); }
    out[(img * p.cout + co) * opix() + n % opix()] = y;
  } else if (MODE == 1u) {
    let plane = p.in_h * p.in_w;
    out[((n / plane) * p.cin + g * p.cin_g + m) * plane + n % plane] = v;
  } else {
    let kg = p.cin_g * ksize();
    out[(z / p.groups) * p.cout * kg + (g * p.cout_g + m) * kg + n] = v;
  }
}
