// 2-D convolution, gradient w.r.t. the weight:
// dw[co, ci, ky, kx] = Σ_{n, oy, ox} dy[n, co, oy, ox] · x[n, g·cin_g + ci, oy·s − p + ky·d, ox·s − p + kx·d].
//
// Implicit GEMM (M = output channels, N = taps ci·kh·kw of the group, K = output pixels), split
// over K: split s sums the output rows (n, oy) in [s·rows_per_split, (s+1)·rows_per_split) and
// writes partial[s, co, tap]; the host sums the splits (one split writes dw directly). Each
// thread owns TC output channels × 4 consecutive taps, register-blocked, no workgroup memory.
// Thread order: tap blocks fastest, then channel blocks (groups × cblocks), then splits.

// struct Params: shaders/conv2d_common.wgsl (prepended by engine/ops/conv2d.ts)

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;

override TC: u32 = 4u;   // output channels per thread (1..8)
override WG: u32 = 64u;

@compute @workgroup_size(WG)
fn conv2d_backward_weight(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                          @builtin(local_invocation_index) li: u32) {
  let t = (wid.x + wid.y * nwg.x) * WG + li;
  let nch = p.groups * p.cblocks;
  if (t >= p.tap_blocks * nch * p.split) { return; }
  let tb = t % p.tap_blocks;
  let cb = (t / p.tap_blocks) % nch;
  let s = t / (p.tap_blocks * nch);
  let g = cb / p.cblocks;
  let cg0 = (cb % p.cblocks) * TC;
  let nc = min(TC, p.cout_g - cg0);
  let co0 = g * p.cout_g + cg0;
  let ksize = p.kh * p.kw;
  let kg = p.cin_g * ksize;
  let plane = p.in_h * p.in_w;
  let oplane = p.out_h * p.out_w;
  // The 4 taps: input channel offset and (ky, kx) displacement; taps past the end repeat the
  // last one (computed, never stored).
  let t0 = tb * 4u;
  let ntap = min(4u, kg - t0);
  var choff = vec4<u32>();
  var offy = vec4<i32>();
  var offx = vec4<i32>();
  for (var j = 0u; j < 4u; j++) {
    let k = min(t0 + j, kg - 1u);
    let r = k % ksize;
    choff[j] = (g * p.cin_g + k / ksize) * plane;
    offy[j] = i32((r / p.kw) * p.dil_h) - i32(p.pad_h);
    offx[j] = i32((r % p.kw) * p.dil_w) - i32(p.pad_w);
  }
  let hmax = vec4<i32>(i32(p.in_h) - 1);
  let wmax = vec4<i32>(i32(p.in_w) - 1);
  let sw = i32(p.stride_w);
  var acc: array<vec4<f32>, 8>;
  let r0 = s * p.rows_per_split;
  let r1 = min(r0 + p.rows_per_split, p.n * p.out_h);
  for (var row = r0; row < r1; row++) {
    let n = row / p.out_h;
    let oy = row % p.out_h;
    let iy = vec4<i32>(i32(oy * p.stride_h)) + offy;
    let rowok = (iy >= vec4<i32>(0)) & (iy <= hmax);
    if (!any(rowok)) { continue; }
    let xrow = choff + n * p.cin * plane + vec4<u32>(clamp(iy, vec4<i32>(0), hmax)) * p.in_w;
    let gbase = (n * p.cout + co0) * oplane + oy * p.out_w;
    var ix = offx;
    for (var ox = 0u; ox < p.out_w; ox++) {
      let ok = rowok & (ix >= vec4<i32>(0)) & (ix <= wmax);
      let idx = xrow + vec4<u32>(clamp(ix, vec4<i32>(0), wmax));
      let xv = select(vec4<f32>(0.0), vec4<f32>(x[idx.x], x[idx.y], x[idx.z], x[idx.w]), ok);
      for (var c = 0u; c < TC; c++) {
        acc[c] = fma(vec4<f32>(dy[gbase + min(c, nc - 1u) * oplane + ox]), xv, acc[c]);
      }
      ix += vec4<i32>(sw);
    }
  }
  let obase = s * p.cout * kg + co0 * kg + t0;
  for (var c = 0u; c < TC; c++) {
    if (c >= nc) { break; }
    for (var j = 0u; j < 4u; j++) {
      if (j < ntap) { partial[obase + c * kg + j] = acc[c][j]; }
    }
  }
}

// ==== SUBGROUP KERNELS ========================================================================
// Everything below needs `enable subgroups;`, which the host prepends (conv2d.ts compiles this
// file twice, see conv2d_forward.wgsl).
//
// conv2d_backward_weight_sg: one cluster of CW lanes per workgroup (conv2d_common.wgsl), each
// lane owns 4 consecutive taps (as above), the lanes share 16 output channels. Per step of 4
// output pixels of a row a lane loads its 4 taps × 4 pixels of x and 64/CW of the 64 values of
// the dy block, which share() hands to every lane. Workgroups: tap groups (CW lanes × 4 taps)
// fastest, then channel blocks, then splits; all lanes run the same steps (no early exit
// before the shares).

// share(): shaders/conv2d_common.wgsl

@compute @workgroup_size(CW)
fn conv2d_backward_weight_sg(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                             @builtin(local_invocation_index) lane: u32, @builtin(subgroup_invocation_id) sid: u32) {
  let src0 = sid - lane;
  let w = wid.x + wid.y * nwg.x;
  let tap_groups = (p.tap_blocks + CW - 1u) / CW;
  let nch = p.groups * p.cblocks;
  let s = w / (tap_groups * nch);
  if (s >= p.split) { return; }             // the whole workgroup: grid padding
  let cb = (w / tap_groups) % nch;
  let raw = (w % tap_groups) * CW + lane;  // this lane's tap block
  let live = raw < p.tap_blocks;
  let tb = min(raw, p.tap_blocks - 1u);
  let g = cb / p.cblocks;
  let cg0 = (cb % p.cblocks) * 16u;
  let clast = p.cout_g - 1u - cg0;
  let co0 = g * p.cout_g + cg0;
  let ksize = p.kh * p.kw;
  let kg = p.cin_g * ksize;
  let plane = p.in_h * p.in_w;
  let oplane = p.out_h * p.out_w;
  let t0 = tb * 4u;
  var choff = vec4<u32>();
  var offy = vec4<i32>();
  var offx = vec4<i32>();
  for (var j = 0u; j < 4u; j++) {
    let k = min(t0 + j, kg - 1u);
    let r = k % ksize;
    choff[j] = (g * p.cin_g + k / ksize) * plane;
    offy[j] = i32((r / p.kw) * p.dil_h) - i32(p.pad_h);
    offx[j] = i32((r % p.kw) * p.dil_w) - i32(p.pad_w);
  }
  // This lane's dy items: item q·8 + lane = (pixel kk, channel quad cq) → channels
  // co0 + 4·cq + i at pixel ox + kk.
  var gkk: array<u32, 4>;
  var grow: array<u32, 16>;
  for (var q = 0u; q < ITEMS_PER_LANE; q++) {
    let item = q * CW + lane;
    gkk[q] = item / 4u;
    for (var i = 0u; i < 4u; i++) { grow[q * 4u + i] = (co0 + min(4u * (item % 4u) + i, clast)) * oplane; }
  }
  let hmax = vec4<i32>(i32(p.in_h) - 1);
  let wmax = vec4<i32>(i32(p.in_w) - 1);
  let sw = i32(p.stride_w);
  var acc: array<array<vec4<f32>, 4>, 4>;  // [tap][channel quad]
  // One flat loop over (output row, block of 4 pixels); see conv2d_forward_sg.
  let r0 = s * p.rows_per_split;
  let r1 = min(r0 + p.rows_per_split, p.n * p.out_h);
  let xblocks = (p.out_w + 3u) / 4u;
  var n = r0 / p.out_h;
  var oy = r0 % p.out_h;
  var ox = 0u;
  let steps = (r1 - r0) * xblocks;
  for (var it = 0u; it < steps; it++) {
    let iy = vec4<i32>(i32(oy * p.stride_h)) + offy;
    let rowok = (iy >= vec4<i32>(0)) & (iy <= hmax);
    let xrow = choff + n * p.cin * plane + vec4<u32>(clamp(iy, vec4<i32>(0), hmax)) * p.in_w;
    let gbase = n * p.cout * oplane + oy * p.out_w;
    var gv: array<vec4<f32>, 4>;
    for (var q = 0u; q < ITEMS_PER_LANE; q++) {
      let px = ox + gkk[q];
      let o = gbase + min(px, p.out_w - 1u);
      let v = vec4<f32>(dy[grow[q * 4u] + o], dy[grow[q * 4u + 1u] + o], dy[grow[q * 4u + 2u] + o], dy[grow[q * 4u + 3u] + o]);
      gv[q] = select(vec4<f32>(0.0), v, px < p.out_w);
    }
    let t = share(gv, src0);
    for (var kk = 0u; kk < 4u; kk++) {
      let ix = vec4<i32>(i32(ox + kk) * sw) + offx;
      let ok = rowok & (ix >= vec4<i32>(0)) & (ix <= wmax) & vec4<bool>(ox + kk < p.out_w);
      let idx = xrow + vec4<u32>(clamp(ix, vec4<i32>(0), wmax));
      let xv = select(vec4<f32>(0.0), vec4<f32>(x[idx.x], x[idx.y], x[idx.z], x[idx.w]), ok);
      for (var j = 0u; j < 4u; j++) {
        for (var cq = 0u; cq < 4u; cq++) { acc[j][cq] = fma(vec4<f32>(xv[j]), t[kk * 4u + cq], acc[j][cq]); }
      }
    }
    ox += 4u;
    let next_row = ox >= p.out_w;
    ox = select(ox, 0u, next_row);
    oy = select(oy, oy + 1u, next_row);
    let next_image = oy == p.out_h;
    oy = select(oy, 0u, next_image);
    n = select(n, n + 1u, next_image);
  }
  if (!live) { return; }
  let ntap = min(4u, kg - t0);
  let obase = s * p.cout * kg + co0 * kg + t0;
  for (var cq = 0u; cq < 4u; cq++) {
    for (var i = 0u; i < 4u; i++) {
      let c = 4u * cq + i;
      if (c > clast) { return; }
      for (var j = 0u; j < 4u; j++) {
        if (j < ntap) { partial[obase + c * kg + j] = acc[j][cq][i]; }
      }
    }
  }
}
