// Batched matrix multiply C[b] = op(A[b]) · op(B[b]), op = optional transpose (TRANS_A/B), so
// the backward pass never materializes a transpose. Batch dims broadcast (NumPy matmul rules):
// the host passes, per batch dim of C, the batch strides of A and B (0 where broadcast).
//
// Every kernel can split K (split-K, for skinny GEMMs whose M·N gives too few workgroups):
// workgroup z = split · batch + batch index, split s sums k in [s·k_chunk, (s+1)·k_chunk) and
// writes its own [batch, M, N] slice of the output; the host sums the slices (k_split = 1:
// the output is C itself).
//
// Strategies (engine/tune/variants/matmul.ts lists the configurations; the tuner times them):
//  - gemm_tiled (shaders/gemm_tiled.wgsl, the tile core conv2d shares): workgroup-memory
//    tiles, register blocks, optional double buffering (GPUs).
//  - matmul_register: no workgroup memory and no barriers, each thread accumulates a TM×4·TN4
//    block in registers. For CPU adapters without subgroups (barriers cost more than the loads
//    they save there), and any shape.
//  - after the SUBGROUP KERNELS marker: matmul_sg4 / matmul_sg1 for 8-wide subgroups
//    (lavapipe), and matmul_cluster4 / matmul_cluster1 for any subgroup size.

struct Params {
  M: u32,
  N: u32,
  K: u32,
  batch: u32,
  batch_shape: vec4<u32>,   // C's batch dims (padded with 1 at the front)
  a_bstrides: vec4<u32>,    // A's element stride per batch dim (0 = broadcast)
  b_bstrides: vec4<u32>,
  k_split: u32,             // number of K splits (1: none)
  k_chunk: u32,             // K per split (a multiple of 4)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

override TRANS_A: bool = false; // A stored as [K, M]
override TRANS_B: bool = false; // B stored as [N, K]

fn batch_offsets(bi: u32) -> vec2<u32> {
  var rem = bi;
  var oa = 0u;
  var ob = 0u;
  for (var d = 3; d >= 0; d--) {
    let c = rem % p.batch_shape[d];
    rem = rem / p.batch_shape[d];
    oa += c * p.a_bstrides[d];
    ob += c * p.b_bstrides[d];
  }
  return vec2<u32>(oa, ob);
}

/** (split, batch index) of workgroup z. */
fn split_batch(z: u32) -> vec2<u32> {
  return vec2<u32>(z / p.batch, z % p.batch);
}

/** [k0, k1) of split s. */
fn k_range(s: u32) -> vec2<u32> {
  let k0 = s * p.k_chunk;
  return vec2<u32>(min(k0, p.K), min(k0 + p.k_chunk, p.K));
}

/** Offset of workgroup z's output matrix (its split's slice). */
fn c_base(z: u32) -> u32 {
  return z * p.M * p.N;
}

fn load_a_k(base: u32, m: u32, k: u32, kend: u32) -> f32 {
  if (m >= p.M || k >= kend) { return 0.0; }
  if (TRANS_A) { return a[base + k * p.M + m]; }
  return a[base + m * p.K + k];
}

fn load_b_k(base: u32, k: u32, n: u32, kend: u32) -> f32 {
  if (k >= kend || n >= p.N) { return 0.0; }
  if (TRANS_B) { return b[base + n * p.K + k]; }
  return b[base + k * p.N + n];
}

// ---- tiled GEMM (shaders/gemm_tiled.wgsl, appended by the host) ----------------------------
// The loaders it calls: A[m, k] and B[k, n] of batch/split z, zero outside [0, M)×[k0, kend).

override A_K_CONTIG: bool = !TRANS_A;
override B_N_CONTIG: bool = !TRANS_B;

fn gemm_m(z: u32) -> u32 { return p.M; }
fn gemm_n(z: u32) -> u32 { return p.N; }
fn gemm_k_range(z: u32) -> vec2<u32> { return k_range(split_batch(z).x); }

fn gemm_a(z: u32, m: u32, k: u32, kend: u32) -> f32 {
  return load_a_k(batch_offsets(split_batch(z).y).x, m, k, kend);
}

fn gemm_b(z: u32, k: u32, n: u32, kend: u32) -> f32 {
  return load_b_k(batch_offsets(split_batch(z).y).y, k, n, kend);
}

fn gemm_store(z: u32, m: u32, n: u32, v: f32) {
  c[c_base(z) + m * p.N + n] = v;
}

// ---- matmul_register ----------------------------------------------------------------------
// TM (declared by the tiled core) rows per thread (≤ 8), TN4 vec4 column groups per thread.

override TN4: u32 = 1u;      // vec4 column groups per thread (≤ 2)
override WG_X: u32 = 8u;     // threads along N (each 4·TN4 columns)
override WG_Y: u32 = 8u;     // threads along M

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_register(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let sb = split_batch(wid.z);
  let bo = batch_offsets(sb.y);
  let kr = k_range(sb.x);
  let col = (wid.x * WG_X + lid.x) * 4u * TN4;
  let row = (wid.y * WG_Y + lid.y) * TM;
  if (row >= p.M || col >= p.N) { return; }
  var acc: array<array<vec4<f32>, 2>, 8>;
  for (var k = kr.x; k < kr.y; k++) {
    var bv: array<vec4<f32>, 2>;
    for (var j = 0u; j < TN4; j++) {
      let n = col + 4u * j;
      bv[j] = vec4<f32>(load_b_k(bo.y, k, n, kr.y), load_b_k(bo.y, k, n + 1u, kr.y), load_b_k(bo.y, k, n + 2u, kr.y), load_b_k(bo.y, k, n + 3u, kr.y));
    }
    for (var r = 0u; r < TM; r++) {
      let av = vec4<f32>(load_a_k(bo.x, row + r, k, kr.y));
      for (var j = 0u; j < TN4; j++) { acc[r][j] = fma(av, bv[j], acc[r][j]); }
    }
  }
  let cbase = c_base(wid.z);
  for (var r = 0u; r < TM; r++) {
    let m = row + r;
    if (m >= p.M) { break; }
    for (var j = 0u; j < 4u * TN4; j++) {
      if (col + j < p.N) { c[cbase + m * p.N + col + j] = acc[r][j / 4u][j % 4u]; }
    }
  }
}

// ==== SUBGROUP KERNELS ====================================================================
// Everything below needs `enable subgroups;`, which the host prepends (matmul.ts compiles this
// file twice: the part above for every adapter, the whole file where subgroups exist).
//
// matmul_sg4: for CPU adapters (lavapipe: a subgroup is the 8 SIMD lanes of one LLVM vector,
// and the 8-invocation workgroup is one subgroup). Measured there: a storage load costs about
// the same per component whether its address is uniform across the workgroup or not (replacing
// the "uniform" B loads of a register kernel by constants made it 2–10× faster), so the kernel
// minimizes loaded components per FMA. The 8 lanes each own SG_TM rows of C (A loaded as vec4
// along K, or along M when TRANS_A); the workgroup's 4×16 block of B for the current 4 k's is
// loaded once, one vec4 per lane in two loads, and handed to every lane with
// subgroupBroadcast (a register extract + splat on lavapipe). Per 4 k's: 6 vec4 loads for 256
// lane-FMAs. Aligned shapes only: K % 4 == 0, N % 4 == 0 (unless TRANS_B), M % 4 == 0 if
// TRANS_A. A workgroup computes 8·SG_TM rows × 4·SG_TN4 columns.

const SG_TM: u32 = 4u;   // rows per lane (multiple of 4 for TRANS_A)
const SG_TN4: u32 = 4u;  // vec4 columns per workgroup (SG_TN = 16: two B loads per 4 k's, 16 broadcasts)

@group(0) @binding(1) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b4: array<vec4<f32>>;

@compute @workgroup_size(8)
fn matmul_sg4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
  let sb = split_batch(wid.z);
  let bo = batch_offsets(sb.y);
  let kr = k_range(sb.x) / 4u;
  let M = p.M;
  let N = p.N;
  let K4 = p.K / 4u;
  let abase = bo.x / 4u;
  let bbase = bo.y / 4u;
  let m0 = wid.y * (8u * SG_TM) + lane * SG_TM;
  let n0 = wid.x * (4u * SG_TN4);
  // Per-lane load offsets (rows and columns clamped into range: edges compute garbage that is
  // never stored, and the inner loop has no bounds checks).
  var arow: array<u32, SG_TM>;
  for (var r = 0u; r < SG_TM; r++) {
    if (TRANS_A) { arow[r] = abase + min(m0 + 4u * r, M - 4u) / 4u; }   // only r < SG_TM/4 used
    else { arow[r] = abase + min(m0 + r, M - 1u) * K4; }
  }
  // B: lane loads item q*8+lane of the block. Not transposed: (kk, j) = (idx / SG_TN4, idx % SG_TN4),
  // vec4 of columns; transposed: column n0+idx, vec4 of 4 k's.
  var boff: array<u32, (4u * SG_TN4) / 8u>;
  for (var q = 0u; q < (4u * SG_TN4) / 8u; q++) {
    let idx = q * 8u + lane;
    if (TRANS_B) { boff[q] = bbase + min(n0 + idx, N - 1u) * K4; }
    else { boff[q] = bbase + (idx / SG_TN4) * (N / 4u) + min(n0 / 4u + idx % SG_TN4, N / 4u - 1u); }
  }
  let bstep = select(N, 1u, TRANS_B); // vec4 index step per k4
  let astep = select(1u, M, TRANS_A);

  var acc: array<array<vec4<f32>, SG_TN4>, SG_TM>;
  for (var k4 = kr.x; k4 < kr.y; k4++) {
    // av[r][kk] = A[m0 + r, 4*k4 + kk]
    var av: array<vec4<f32>, SG_TM>;
    if (TRANS_A) {
      for (var g = 0u; g < SG_TM / 4u; g++) {
        let base = arow[g] + k4 * astep;
        let c0 = a4[base];
        let c1 = a4[base + M / 4u];
        let c2 = a4[base + 2u * (M / 4u)];
        let c3 = a4[base + 3u * (M / 4u)];
        for (var i = 0u; i < 4u; i++) { av[4u * g + i] = vec4<f32>(c0[i], c1[i], c2[i], c3[i]); }
      }
    } else {
      for (var r = 0u; r < SG_TM; r++) { av[r] = a4[arow[r] + k4]; }
    }
    let bl0 = b4[boff[0] + k4 * bstep];
    let bl1 = b4[boff[1] + k4 * bstep];
    // The block in every lane: t[i] = lane i's vec4 (broadcast lanes need constant ids).
    var t: array<vec4<f32>, 16>;
    t[0] = subgroupBroadcast(bl0, 0u);
    t[1] = subgroupBroadcast(bl0, 1u);
    t[2] = subgroupBroadcast(bl0, 2u);
    t[3] = subgroupBroadcast(bl0, 3u);
    t[4] = subgroupBroadcast(bl0, 4u);
    t[5] = subgroupBroadcast(bl0, 5u);
    t[6] = subgroupBroadcast(bl0, 6u);
    t[7] = subgroupBroadcast(bl0, 7u);
    t[8] = subgroupBroadcast(bl1, 0u);
    t[9] = subgroupBroadcast(bl1, 1u);
    t[10] = subgroupBroadcast(bl1, 2u);
    t[11] = subgroupBroadcast(bl1, 3u);
    t[12] = subgroupBroadcast(bl1, 4u);
    t[13] = subgroupBroadcast(bl1, 5u);
    t[14] = subgroupBroadcast(bl1, 6u);
    t[15] = subgroupBroadcast(bl1, 7u);
    for (var kk = 0u; kk < 4u; kk++) {
      var bv: array<vec4<f32>, SG_TN4>;
      for (var j = 0u; j < SG_TN4; j++) {
        if (TRANS_B) { bv[j] = vec4<f32>(t[4u * j][kk], t[4u * j + 1u][kk], t[4u * j + 2u][kk], t[4u * j + 3u][kk]); }
        else { bv[j] = t[kk * SG_TN4 + j]; }
      }
      for (var r = 0u; r < SG_TM; r++) {
        for (var j = 0u; j < SG_TN4; j++) { acc[r][j] = fma(vec4<f32>(av[r][kk]), bv[j], acc[r][j]); }
      }
    }
  }
  let cbase = c_base(wid.z);
  for (var r = 0u; r < SG_TM; r++) {
    let m = m0 + r;
    if (m >= M) { break; }
    for (var j = 0u; j < 4u * SG_TN4; j++) {
      let n = n0 + j;
      if (n < N) { c[cbase + m * N + n] = acc[r][j / 4u][j % 4u]; }
    }
  }
}

// matmul_sg1: the same scheme for any shape (odd K, N, M): scalar loads, one k per step, so
// about 4× the loads per FMA of matmul_sg4. Each lane owns SG_TM rows; the workgroup's 16
// columns of B at row k are two loads (lanes 0–7 and 8–15), broadcast to every lane.
@compute @workgroup_size(8)
fn matmul_sg1(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
  let sb = split_batch(wid.z);
  let bo = batch_offsets(sb.y);
  let kr = k_range(sb.x);
  let M = p.M;
  let N = p.N;
  let K = p.K;
  let m0 = wid.y * (8u * SG_TM) + lane * SG_TM;
  let n0 = wid.x * (4u * SG_TN4);
  var arow: array<u32, SG_TM>;
  for (var r = 0u; r < SG_TM; r++) {
    let m = min(m0 + r, M - 1u);
    arow[r] = bo.x + select(m * K, m, TRANS_A);
  }
  let n_lo = min(n0 + lane, N - 1u);
  let n_hi = min(n0 + 8u + lane, N - 1u);
  let boff_lo = bo.y + select(n_lo, n_lo * K, TRANS_B);
  let boff_hi = bo.y + select(n_hi, n_hi * K, TRANS_B);
  let astep = select(1u, M, TRANS_A);
  let bstep = select(N, 1u, TRANS_B);
  var acc: array<array<vec4<f32>, SG_TN4>, SG_TM>;
  for (var k = kr.x; k < kr.y; k++) {
    var av: array<f32, SG_TM>;
    for (var r = 0u; r < SG_TM; r++) { av[r] = a[arow[r] + k * astep]; }
    let bl0 = b[boff_lo + k * bstep];
    let bl1 = b[boff_hi + k * bstep];
    var bv: array<vec4<f32>, SG_TN4>;
    bv[0] = vec4<f32>(subgroupBroadcast(bl0, 0u), subgroupBroadcast(bl0, 1u), subgroupBroadcast(bl0, 2u), subgroupBroadcast(bl0, 3u));
    bv[1] = vec4<f32>(subgroupBroadcast(bl0, 4u), subgroupBroadcast(bl0, 5u), subgroupBroadcast(bl0, 6u), subgroupBroadcast(bl0, 7u));
    bv[2] = vec4<f32>(subgroupBroadcast(bl1, 0u), subgroupBroadcast(bl1, 1u), subgroupBroadcast(bl1, 2u), subgroupBroadcast(bl1, 3u));
    bv[3] = vec4<f32>(subgroupBroadcast(bl1, 4u), subgroupBroadcast(bl1, 5u), subgroupBroadcast(bl1, 6u), subgroupBroadcast(bl1, 7u));
    for (var r = 0u; r < SG_TM; r++) {
      for (var j = 0u; j < SG_TN4; j++) { acc[r][j] = fma(vec4<f32>(av[r]), bv[j], acc[r][j]); }
    }
  }
  let cbase = c_base(wid.z);
  for (var r = 0u; r < SG_TM; r++) {
    let m = m0 + r;
    if (m >= M) { break; }
    for (var j = 0u; j < 4u * SG_TN4; j++) {
      let n = n0 + j;
      if (n < N) { c[cbase + m * N + n] = acc[r][j / 4u][j % 4u]; }
    }
  }
}

// matmul_cluster4 / matmul_cluster1: the scheme of matmul_sg4 / matmul_sg1 for any subgroup
// size. A cluster of CW consecutive invocations (CW ≤ the adapter's smallest subgroup size, so
// a cluster never straddles two subgroups) shares the 4×16 block of B: each lane loads 16/CW
// of its items and subgroupShuffle hands them to the cluster (read from the lanes
// src0 … src0 + CW − 1, src0 being the subgroup lane of the cluster's first invocation:
// invocations are numbered consecutively within a subgroup). A workgroup holds CL clusters
// stacked along M; each lane owns SG_TM rows. The tuner's self-check runs these on the device
// before it may choose them.

override CW: u32 = 8u;   // lanes sharing B (4, 8 or 16; ≤ subgroupMinSize)
override CL: u32 = 1u;   // clusters per workgroup
override CLUSTER_LANES: u32 = CW * CL;

@compute @workgroup_size(CLUSTER_LANES)
fn matmul_cluster4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32,
                   @builtin(subgroup_invocation_id) sid: u32) {
  let slot = li % CW;
  let src0 = sid - slot;
  let sb = split_batch(wid.z);
  let bo = batch_offsets(sb.y);
  let kr = k_range(sb.x) / 4u;
  let M = p.M;
  let N = p.N;
  let K4 = p.K / 4u;
  let abase = bo.x / 4u;
  let bbase = bo.y / 4u;
  let m0 = (wid.y * CL + li / CW) * (CW * SG_TM) + slot * SG_TM;
  let n0 = wid.x * (4u * SG_TN4);
  var arow: array<u32, SG_TM>;
  for (var r = 0u; r < SG_TM; r++) {
    if (TRANS_A) { arow[r] = abase + min(m0 + 4u * r, M - 4u) / 4u; }
    else { arow[r] = abase + min(m0 + r, M - 1u) * K4; }
  }
  var boff: array<u32, 4>;
  for (var q = 0u; q < 16u / CW; q++) {
    let idx = q * CW + slot;
    if (TRANS_B) { boff[q] = bbase + min(n0 + idx, N - 1u) * K4; }
    else { boff[q] = bbase + (idx / SG_TN4) * (N / 4u) + min(n0 / 4u + idx % SG_TN4, N / 4u - 1u); }
  }
  let bstep = select(N, 1u, TRANS_B);
  let astep = select(1u, M, TRANS_A);
  var acc: array<array<vec4<f32>, SG_TN4>, SG_TM>;
  for (var k4 = kr.x; k4 < kr.y; k4++) {
    var av: array<vec4<f32>, SG_TM>;
    if (TRANS_A) {
      for (var g = 0u; g < SG_TM / 4u; g++) {
        let base = arow[g] + k4 * astep;
        let c0 = a4[base];
        let c1 = a4[base + M / 4u];
        let c2 = a4[base + 2u * (M / 4u)];
        let c3 = a4[base + 3u * (M / 4u)];
        for (var i = 0u; i < 4u; i++) { av[4u * g + i] = vec4<f32>(c0[i], c1[i], c2[i], c3[i]); }
      }
    } else {
      for (var r = 0u; r < SG_TM; r++) { av[r] = a4[arow[r] + k4]; }
    }
    var bl: array<vec4<f32>, 4>;
    for (var q = 0u; q < 16u / CW; q++) { bl[q] = b4[boff[q] + k4 * bstep]; }
    var t: array<vec4<f32>, 16>;
    for (var i = 0u; i < 16u; i++) { t[i] = subgroupShuffle(bl[i / CW], src0 + i % CW); }
    for (var kk = 0u; kk < 4u; kk++) {
      var bv: array<vec4<f32>, SG_TN4>;
      for (var j = 0u; j < SG_TN4; j++) {
        if (TRANS_B) { bv[j] = vec4<f32>(t[4u * j][kk], t[4u * j + 1u][kk], t[4u * j + 2u][kk], t[4u * j + 3u][kk]); }
        else { bv[j] = t[kk * SG_TN4 + j]; }
      }
      for (var r = 0u; r < SG_TM; r++) {
        for (var j = 0u; j < SG_TN4; j++) { acc[r][j] = fma(vec4<f32>(av[r][kk]), bv[j], acc[r][j]); }
      }
    }
  }
  let cbase = c_base(wid.z);
  for (var r = 0u; r < SG_TM; r++) {
    let m = m0 + r;
    if (m >= M) { break; }
    for (var j = 0u; j < 4u * SG_TN4; j++) {
      let n = n0 + j;
      if (n < N) { c[cbase + m * N + n] = acc[r][j / 4u][j % 4u]; }
    }
  }
}

@compute @workgroup_size(CLUSTER_LANES)
fn matmul_cluster1(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32,
                   @builtin(subgroup_invocation_id) sid: u32) {
  let slot = li % CW;
  let src0 = sid - slot;
  let sb = split_batch(wid.z);
  let bo = batch_offsets(sb.y);
  let kr = k_range(sb.x);
  let M = p.M;
  let N = p.N;
  let K = p.K;
  let m0 = (wid.y * CL + li / CW) * (CW * SG_TM) + slot * SG_TM;
  let n0 = wid.x * (4u * SG_TN4);
  var arow: array<u32, SG_TM>;
  for (var r = 0u; r < SG_TM; r++) {
    let m = min(m0 + r, M - 1u);
    arow[r] = bo.x + select(m * K, m, TRANS_A);
  }
  var boff: array<u32, 4>;
  for (var q = 0u; q < 16u / CW; q++) {
    let n = min(n0 + q * CW + slot, N - 1u);
    boff[q] = bo.y + select(n, n * K, TRANS_B);
  }
  let astep = select(1u, M, TRANS_A);
  let bstep = select(N, 1u, TRANS_B);
  var acc: array<array<vec4<f32>, SG_TN4>, SG_TM>;
  for (var k = kr.x; k < kr.y; k++) {
    var av: array<f32, SG_TM>;
    for (var r = 0u; r < SG_TM; r++) { av[r] = a[arow[r] + k * astep]; }
    var bl: array<f32, 4>;
    for (var q = 0u; q < 16u / CW; q++) { bl[q] = b[boff[q] + k * bstep]; }
    var bv: array<vec4<f32>, SG_TN4>;
    for (var i = 0u; i < 16u; i++) { bv[i / 4u][i % 4u] = subgroupShuffle(bl[i / CW], src0 + i % CW); }
    for (var r = 0u; r < SG_TM; r++) {
      for (var j = 0u; j < SG_TN4; j++) { acc[r][j] = fma(vec4<f32>(av[r]), bv[j], acc[r][j]); }
    }
  }
  let cbase = c_base(wid.z);
  for (var r = 0u; r < SG_TM; r++) {
    let m = m0 + r;
    if (m >= M) { break; }
    for (var j = 0u; j < 4u * SG_TN4; j++) {
      let n = n0 + j;
      if (n < N) { c[cbase + m * N + n] = acc[r][j / 4u][j % 4u]; }
    }
  }
}
