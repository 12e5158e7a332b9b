// 2-D convolution forward (NCHW, PyTorch's F.conv2d): out[n, co, oy, ox] = bias[co] +
// Σ_{ci in co's group, ky, kx} x[n, ci, oy·s − p + ky·d, ox·s − p + kx·d] · w[co, ci, ky, kx].
//
// Implicit GEMM, register-blocked, no workgroup memory and no barriers (barriers are costly on
// CPU adapters; on GPUs the block still reuses each loaded input across TC channels): every
// thread owns TC output channels of one group × 4 neighbouring output pixels of one row, kept
// as TC vec4 accumulators. The loops run over the kernel taps (ky, kx) outside and the group's
// input channels inside, so bounds checks (zero padding) happen once per tap, not per channel.
//
// Grid: x·y = pixel blocks (row-major over n, oy, ox/4), z = channel blocks (groups × cblocks).
// The shape struct (Params) is shared by the three conv2d shader files: shaders/conv2d_common.wgsl.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> wt: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

override TC: u32 = 4u;   // output channels per thread (1..8)
override WG: u32 = 64u;  // threads per workgroup
override RELU: bool = false; // fused epilogue: out = max(conv + bias, 0), the relu op's formula

fn epilogue(v: f32) -> f32 {
  if (RELU) { return max(v, 0.0); }
  return v;
}

@compute @workgroup_size(WG)
fn conv2d_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                  @builtin(local_invocation_index) li: u32) {
  let blk = (wid.x + wid.y * nwg.x) * WG + li;
  if (blk >= p.n_blocks) { return; }
  let g = wid.z / p.cblocks;
  let cg0 = (wid.z % p.cblocks) * TC;     // first channel within the group
  let nc = min(TC, p.cout_g - cg0);       // channels this thread stores
  let co0 = g * p.cout_g + cg0;
  let row = blk / p.row_blocks;           // n·out_h + oy
  let ox0 = (blk % p.row_blocks) * 4u;
  let n = row / p.out_h;
  let oy = row % p.out_h;
  let iy0 = i32(oy * p.stride_h) - i32(p.pad_h);
  let ix0 = i32(ox0 * p.stride_w) - i32(p.pad_w);
  let plane = p.in_h * p.in_w;
  let xbase = (n * p.cin + g * p.cin_g) * plane;
  let ksize = p.kh * p.kw;
  let kg = p.cin_g * ksize;
  // Channels past the group's end reuse the last one's weights (computed, never stored).
  var wrow: array<u32, 8>;
  for (var c = 0u; c < TC; c++) { wrow[c] = (co0 + min(c, nc - 1u)) * kg; }
  let lanes = vec4<i32>(0, 1, 2, 3) * i32(p.stride_w);
  let wmax = vec4<i32>(i32(p.in_w) - 1);
  var acc: array<vec4<f32>, 8>;
  for (var ky = 0u; ky < p.kh; ky++) {
    let iy = iy0 + i32(ky * p.dil_h);
    if (iy < 0 || iy >= i32(p.in_h)) { continue; }
    let rbase = xbase + u32(iy) * p.in_w;
    for (var kx = 0u; kx < p.kw; kx++) {
      let cols = vec4<i32>(ix0 + i32(kx * p.dil_w)) + lanes;
      let ok = (cols >= vec4<i32>(0)) & (cols <= wmax);
      if (!any(ok)) { continue; }
      // Out-of-range columns read a clamped address and are replaced by 0 (zero padding).
      let idx = vec4<u32>(clamp(cols, vec4<i32>(0), wmax)) + rbase;
      let tap = ky * p.kw + kx;
      for (var ci = 0u; ci < p.cin_g; ci++) {
        let o = ci * plane;
        let xv = select(vec4<f32>(0.0), vec4<f32>(x[idx.x + o], x[idx.y + o], x[idx.z + o], x[idx.w + o]), ok);
        let wo = ci * ksize + tap;
        for (var c = 0u; c < TC; c++) { acc[c] = fma(vec4<f32>(wt[wrow[c] + wo]), xv, acc[c]); }
      }
    }
  }
  let oplane = p.out_h * p.out_w;
  let obase = (n * p.cout + co0) * oplane + oy * p.out_w + ox0;
  for (var c = 0u; c < TC; c++) {
    if (c >= nc) { break; }
    var b = 0.0;
    if (p.has_bias != 0u) { b = bias[co0 + c]; }
    for (var j = 0u; j < 4u; j++) {
      if (ox0 + j < p.out_w) { out[obase + c * oplane + j] = epilogue(acc[c][j] + b); }
    }
  }
}

// out[n, c, :, :] += bias[c], in place (after the 1×1 convolutions done by matmul; no epilogue).
@compute @workgroup_size(64)
fn add_bias(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  let plane = p.out_h * p.out_w;
  if (i >= p.n * p.cout * plane) { return; }
  out[i] += bias[(i / plane) % p.cout];
}

// ==== SUBGROUP KERNELS ========================================================================
// Everything below needs `enable subgroups;`, which the host prepends (conv2d.ts compiles this
// file twice: the part above for every adapter, the whole file where 8-wide subgroups exist).
//
// conv2d_forward_sg, for CPU adapters (lavapipe: a subgroup is 8 SIMD lanes; every storage
// load costs about the same per component whether or not its address is uniform, see
// bench/NOTES.md). A workgroup is one cluster of CW lanes (conv2d_common.wgsl): each lane owns 4
// output pixels (as in conv2d_forward), the lanes share 16 output channels. Per step of 4 input
// channels a lane loads its 4×4 inputs and 64/CW of the 64 weights of the block, which share()
// hands to every lane (with CW = 8: 24 loads per 256 FMAs per lane).
// Lanes past the end compute on clamped addresses and store nothing: all lanes must reach
// every broadcast.

// share(): shaders/conv2d_common.wgsl

@compute @workgroup_size(CW)
fn conv2d_forward_sg(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                     @builtin(local_invocation_index) lane: u32, @builtin(subgroup_invocation_id) sid: u32) {
  let src0 = sid - lane;
  let raw = (wid.x + wid.y * nwg.x) * CW + lane;
  let live = raw < p.n_blocks;
  let blk = min(raw, p.n_blocks - 1u);
  let g = wid.z / p.cblocks;
  let cg0 = (wid.z % p.cblocks) * 16u;
  let co0 = g * p.cout_g + cg0;
  let clast = p.cout_g - 1u - cg0;        // last channel of the group, relative to co0
  let row = blk / p.row_blocks;
  let ox0 = (blk % p.row_blocks) * 4u;
  let n = row / p.out_h;
  let oy = row % p.out_h;
  let iy0 = i32(oy * p.stride_h) - i32(p.pad_h);
  let ix0 = i32(ox0 * p.stride_w) - i32(p.pad_w);
  let plane = p.in_h * p.in_w;
  let xbase = (n * p.cin + g * p.cin_g) * plane;
  let ksize = p.kh * p.kw;
  let kg = p.cin_g * ksize;
  // This lane's items of the weight block: item q·8 + lane = (input channel step kk, channel
  // quad cq) → channels co0 + 4·cq + i at input channel ci + kk.
  var wkk: array<u32, 4>;
  var wrow: array<u32, 16>;
  for (var q = 0u; q < ITEMS_PER_LANE; q++) {
    let item = q * CW + lane;
    wkk[q] = item / 4u;
    for (var i = 0u; i < 4u; i++) { wrow[q * 4u + i] = (co0 + min(4u * (item % 4u) + i, clast)) * kg; }
  }
  let lanes = vec4<i32>(0, 1, 2, 3) * i32(p.stride_w);
  let wmax = vec4<i32>(i32(p.in_w) - 1);
  var acc: array<array<vec4<f32>, 4>, 4>;  // [pixel][channel quad]
  // One flat loop over (ky, kx, input channel step): a nested loop costs lavapipe about as much
  // per entry as a whole step, which hurts convolutions with few input channels.
  var ky = 0u;
  var kx = 0u;
  var ci = 0u;
  let steps = p.kh * p.kw * ((p.cin_g + 3u) / 4u);
  for (var it = 0u; it < steps; it++) {
    let iy = iy0 + i32(ky * p.dil_h);
    let cols = vec4<i32>(ix0 + i32(kx * p.dil_w)) + lanes;
    let rowok = iy >= 0 && iy < i32(p.in_h);
    let ok = vec4<bool>(rowok) & (cols >= vec4<i32>(0)) & (cols <= wmax);
    let idx = vec4<u32>(clamp(cols, vec4<i32>(0), wmax)) + xbase + u32(clamp(iy, 0, i32(p.in_h) - 1)) * p.in_w;
    let tap = ky * p.kw + kx;
    var wv: array<vec4<f32>, 4>;
    for (var q = 0u; q < ITEMS_PER_LANE; q++) {
      let c = ci + wkk[q];
      let o = min(c, p.cin_g - 1u) * ksize + tap;
      let v = vec4<f32>(wt[wrow[q * 4u] + o], wt[wrow[q * 4u + 1u] + o], wt[wrow[q * 4u + 2u] + o], wt[wrow[q * 4u + 3u] + o]);
      wv[q] = select(vec4<f32>(0.0), v, c < p.cin_g);
    }
    let t = share(wv, src0);
    for (var kk = 0u; kk < 4u; kk++) {
      let c = ci + kk;
      let o = min(c, p.cin_g - 1u) * plane;
      let xv = select(vec4<f32>(0.0), vec4<f32>(x[idx.x + o], x[idx.y + o], x[idx.z + o], x[idx.w + o]), ok & vec4<bool>(c < p.cin_g));
      for (var j = 0u; j < 4u; j++) {
        for (var cq = 0u; cq < 4u; cq++) { acc[j][cq] = fma(vec4<f32>(xv[j]), t[kk * 4u + cq], acc[j][cq]); }
      }
    }
    ci += 4u;
    let next_tap = ci >= p.cin_g;
    ci = select(ci, 0u, next_tap);
    kx = select(kx, kx + 1u, next_tap);
    let next_row = kx == p.kw;
    kx = select(kx, 0u, next_row);
    ky = select(ky, ky + 1u, next_row);
  }
  if (!live) { return; }
  let oplane = p.out_h * p.out_w;
  let obase = (n * p.cout + co0) * oplane + oy * p.out_w + ox0;
  // Constant loop bounds (unrolled): a dynamic index would put acc in memory.
  for (var cq = 0u; cq < 4u; cq++) {
    for (var i = 0u; i < 4u; i++) {
      let c = 4u * cq + i;
      if (c > clast) { return; }
      var b = 0.0;
      if (p.has_bias != 0u) { b = bias[co0 + c]; }
      for (var j = 0u; j < 4u; j++) {
        if (ox0 + j < p.out_w) { out[obase + c * oplane + j] = epilogue(acc[j][cq][i] + b); }
      }
    }
  }
}
