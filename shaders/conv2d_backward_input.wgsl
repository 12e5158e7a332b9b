// 2-D convolution, gradient w.r.t. the input (a transposed convolution of dy):
// dx[n, ci, iy, ix] = Σ_{co in ci's group, ky, kx} dy[n, co, oy, ox] · w[co, ci, ky, kx]
// over the taps with iy + p − ky·d = oy·s and ix + p − kx·d = ox·s (0 ≤ oy < Ho, 0 ≤ ox < Wo).
//
// Implicit GEMM, register-blocked like the forward kernel (no workgroup memory, no barriers):
// each thread owns TC input channels of one group × 4 input pixels of one row. With stride s
// only every s-th tap reaches a given pixel, so the pixels are split into s_h·s_w phases
// (iy mod s_h, ix mod s_w) and a thread's 4 pixels are ix = rx + s·(q0 + j) of one phase: the
// taps that reach them are the same for all four, and their dy columns are 4 neighbours.
// Phases are the outermost block index, so neighbouring threads take the same branches.

// struct Params: shaders/conv2d_common.wgsl (prepended by engine/ops/conv2d.ts)

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> wt: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

override TC: u32 = 4u;   // input channels per thread (1..8)
override WG: u32 = 64u;

@compute @workgroup_size(WG)
fn conv2d_backward_input(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                         @builtin(local_invocation_index) li: u32) {
  let blk = (wid.x + wid.y * nwg.x) * WG + li;
  if (blk >= p.n_blocks) { return; }
  let per_phase = p.n * p.phase_rows * p.phase_blocks;
  let phase = blk / per_phase;
  let rem = blk % per_phase;
  let ry = phase / p.stride_w;
  let rx = phase % p.stride_w;
  let nrow = rem / p.phase_blocks;
  let n = nrow / p.phase_rows;
  let iy = ry + p.stride_h * (nrow % p.phase_rows);
  let q0 = (rem % p.phase_blocks) * 4u;
  let ix0 = rx + p.stride_w * q0;         // pixel j is ix0 + stride_w·j
  if (iy >= p.in_h || ix0 >= p.in_w) { return; }
  let g = wid.z / p.cblocks;
  let cg0 = (wid.z % p.cblocks) * TC;
  let nc = min(TC, p.cin_g - cg0);
  let ksize = p.kh * p.kw;
  let oplane = p.out_h * p.out_w;
  let wmax = vec4<i32>(i32(p.out_w) - 1);
  var acc: array<vec4<f32>, 8>;
  for (var ky = 0u; ky < p.kh; ky++) {
    let ny = i32(iy + p.pad_h) - i32(ky * p.dil_h);
    if (ny < 0) { break; }                // only decreases with ky
    if (ny % i32(p.stride_h) != 0) { continue; }
    let oy = u32(ny) / p.stride_h;
    if (oy >= p.out_h) { continue; }
    for (var kx = 0u; kx < p.kw; kx++) {
      let nx = i32(ix0 + p.pad_w) - i32(kx * p.dil_w);
      if (nx % i32(p.stride_w) != 0) { continue; }   // truncating %: also right for nx < 0
      let cols = vec4<i32>(nx / i32(p.stride_w)) + vec4<i32>(0, 1, 2, 3);
      let ok = (cols >= vec4<i32>(0)) & (cols <= wmax);
      if (!any(ok)) { continue; }
      let tap = ky * p.kw + kx;
      var wcol: array<u32, 8>;
      for (var c = 0u; c < TC; c++) { wcol[c] = (cg0 + min(c, nc - 1u)) * ksize + tap; }
      let idx = vec4<u32>(clamp(cols, vec4<i32>(0), wmax)) + (n * p.cout + g * p.cout_g) * oplane + oy * p.out_w;
      let wstep = p.cin_g * ksize;
      var wbase = g * p.cout_g * wstep;
      for (var co = 0u; co < p.cout_g; co++) {
        let o = co * oplane;
        let gv = select(vec4<f32>(0.0), vec4<f32>(dy[idx.x + o], dy[idx.y + o], dy[idx.z + o], dy[idx.w + o]), ok);
        for (var c = 0u; c < TC; c++) { acc[c] = fma(vec4<f32>(wt[wbase + wcol[c]]), gv, acc[c]); }
        wbase += wstep;
      }
    }
  }
  let plane = p.in_h * p.in_w;
  let base = (n * p.cin + g * p.cin_g + cg0) * plane + iy * p.in_w + ix0;
  for (var c = 0u; c < TC; c++) {
    if (c >= nc) { break; }
    for (var j = 0u; j < 4u; j++) {
      if (ix0 + j * p.stride_w < p.in_w) { dx[base + c * plane + j * p.stride_w] = acc[c][j]; }
    }
  }
}

// ==== SUBGROUP KERNELS ========================================================================
// Everything below needs `enable subgroups;`, which the host prepends (conv2d.ts compiles this
// file twice, see conv2d_forward.wgsl).
//
// conv2d_backward_input_sg: one cluster of CW lanes per workgroup (conv2d_common.wgsl), each
// lane owns 4 input pixels of one phase (as above), the lanes share 16 input channels. Per step
// of 4 output channels a lane loads its 4×4 values of dy and 64/CW of the 64 weights of the
// block, which share() hands to every lane. Each phase's block count is padded to a multiple
// of CW (p.row_blocks), so a workgroup never straddles two phases and
// the taps it visits are the same for all lanes: with ky0 the first tap that reaches the
// phase's rows, the others are ky0 + k·tap_step_h, and the dy row moves by oy_step_h per tap.
// All lanes run the same number of steps (no early exit before the broadcasts).

// share(): shaders/conv2d_common.wgsl

// The first of k = 0, 1, … with (r + pad − k·dil) ≡ 0 (mod stride), or `limit` if none is < limit.
fn first_tap(r: u32, pad: u32, dil: u32, stride: u32, limit: u32) -> u32 {
  for (var k = 0u; k < min(stride, limit); k++) {
    if ((i32(r + pad) - i32(k * dil)) % i32(stride) == 0) { return k; }
  }
  return limit;
}

@compute @workgroup_size(CW)
fn conv2d_backward_input_sg(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                            @builtin(local_invocation_index) lane: u32, @builtin(subgroup_invocation_id) sid: u32) {
  let src0 = sid - lane;
  let first = (wid.x + wid.y * nwg.x) * CW;
  let phase = first / p.row_blocks;
  if (phase >= p.stride_h * p.stride_w) { return; }     // the whole workgroup: grid padding
  let per_phase = p.n * p.phase_rows * p.phase_blocks;
  let raw = first % p.row_blocks + lane;
  let rem = min(raw, per_phase - 1u);
  let ry = phase / p.stride_w;
  let rx = phase % p.stride_w;
  let nrow = rem / p.phase_blocks;
  let n = nrow / p.phase_rows;
  let iy = ry + p.stride_h * (nrow % p.phase_rows);
  let ix0 = rx + p.stride_w * (rem % p.phase_blocks) * 4u;
  let live = raw < per_phase && iy < p.in_h && ix0 < p.in_w;
  let g = wid.z / p.cblocks;
  let cg0 = (wid.z % p.cblocks) * 16u;
  let clast = p.cin_g - 1u - cg0;
  let ksize = p.kh * p.kw;
  let oplane = p.out_h * p.out_w;
  // Taps that reach this phase, and the dy row / first column of the first of them.
  let ky0 = first_tap(ry, p.pad_h, p.dil_h, p.stride_h, p.kh);
  let kx0 = first_tap(rx, p.pad_w, p.dil_w, p.stride_w, p.kw);
  let nky = (p.kh - ky0 + p.tap_step_h - 1u) / p.tap_step_h;
  let nkx = (p.kw - kx0 + p.tap_step_w - 1u) / p.tap_step_w;
  let oy0 = (i32(iy + p.pad_h) - i32(ky0 * p.dil_h)) / i32(p.stride_h);
  let ox0 = (i32(ix0 + p.pad_w) - i32(kx0 * p.dil_w)) / i32(p.stride_w);
  let dybase = (n * p.cout + g * p.cout_g) * oplane;
  let wstep = p.cin_g * ksize;                // weight stride per output channel
  let wbase = g * p.cout_g * wstep;
  // This lane's weight items: item q·8 + lane = (output channel step kk, input channel quad cq).
  var wkk: array<u32, 4>;
  var wcol: array<u32, 16>;
  for (var q = 0u; q < ITEMS_PER_LANE; q++) {
    let item = q * CW + lane;
    wkk[q] = item / 4u;
    for (var i = 0u; i < 4u; i++) { wcol[q * 4u + i] = wbase + (cg0 + min(4u * (item % 4u) + i, clast)) * ksize; }
  }
  let wmax = vec4<i32>(i32(p.out_w) - 1);
  var acc: array<array<vec4<f32>, 4>, 4>;  // [pixel][channel quad]
  // One flat loop over (tap row, tap column, output channel step); see conv2d_forward_sg.
  var kyi = 0u;
  var kxi = 0u;
  var co = 0u;
  let steps = nky * nkx * ((p.cout_g + 3u) / 4u);
  for (var it = 0u; it < steps; it++) {
    let oy = oy0 - i32(kyi * p.out_step_h);
    let cols = vec4<i32>(ox0 - i32(kxi * p.out_step_w)) + vec4<i32>(0, 1, 2, 3);
    let rowok = oy >= 0 && oy < i32(p.out_h);
    let ok = vec4<bool>(rowok) & (cols >= vec4<i32>(0)) & (cols <= wmax);
    let idx = vec4<u32>(clamp(cols, vec4<i32>(0), wmax)) + dybase + u32(clamp(oy, 0, i32(p.out_h) - 1)) * p.out_w;
    let tap = (ky0 + kyi * p.tap_step_h) * p.kw + kx0 + kxi * p.tap_step_w;
    var wv: array<vec4<f32>, 4>;
    for (var q = 0u; q < ITEMS_PER_LANE; q++) {
      let c = co + wkk[q];
      let o = min(c, p.cout_g - 1u) * wstep + tap;
      let v = vec4<f32>(wt[wcol[q * 4u] + o], wt[wcol[q * 4u + 1u] + o], wt[wcol[q * 4u + 2u] + o], wt[wcol[q * 4u + 3u] + o]);
      wv[q] = select(vec4<f32>(0.0), v, c < p.cout_g);
    }
    let t = share(wv, src0);
    for (var kk = 0u; kk < 4u; kk++) {
      let c = co + kk;
      let o = min(c, p.cout_g - 1u) * oplane;
      let gv = select(vec4<f32>(0.0), vec4<f32>(dy[idx.x + o], dy[idx.y + o], dy[idx.z + o], dy[idx.w + o]), ok & vec4<bool>(c < p.cout_g));
      for (var j = 0u; j < 4u; j++) {
        for (var cq = 0u; cq < 4u; cq++) { acc[j][cq] = fma(vec4<f32>(gv[j]), t[kk * 4u + cq], acc[j][cq]); }
      }
    }
    co += 4u;
    let next_tap = co >= p.cout_g;
    co = select(co, 0u, next_tap);
    kxi = select(kxi, kxi + 1u, next_tap);
    let next_row = kxi == nkx;
    kxi = select(kxi, 0u, next_row);
    kyi = select(kyi, kyi + 1u, next_row);
  }
  if (!live) { return; }
  let plane = p.in_h * p.in_w;
  let base = (n * p.cin + g * p.cin_g + cg0) * plane + iy * p.in_w + ix0;
  for (var cq = 0u; cq < 4u; cq++) {
    for (var i = 0u; i < 4u; i++) {
      let c = 4u * cq + i;
      if (c > clast) { return; }
      for (var j = 0u; j < 4u; j++) {
        if (ix0 + j * p.stride_w < p.in_w) { dx[base + c * plane + j * p.stride_w] = acc[j][cq][i]; }
      }
    }
  }
}
