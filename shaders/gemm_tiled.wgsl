// Tiled GEMM core, shared by the families that append it to their loaders (matmul.wgsl,
// conv2d_tiled.wgsl): C[m, n] = Σ_k A[m, k]·B[k, n] for each problem z = workgroup_id.z.
// The including file provides
//   fn gemm_m(z) -> u32, fn gemm_n(z) -> u32       the output's rows and columns
//   fn gemm_k_range(z) -> vec2<u32>                [k0, k1) of problem z (split-K: its split's part)
//   fn gemm_a(z, m, k, kend) -> f32, gemm_b(z, k, n, kend) -> f32   operands, 0 outside
//   fn gemm_store(z, m, n, v)                      the epilogue
//   override A_K_CONTIG, B_N_CONTIG: bool          whether A's contiguous dim is K, B's is N
//
// The classic GPU kernel, specialized by override constants: a BM×BN output tile per workgroup of
// (BN/TN)×(BM/TM) threads, TM×TN outputs per thread in registers, K in steps of BK staged in
// workgroup memory. Global loads are scalar and coalesced (consecutive threads read consecutive
// addresses of the operand's contiguous dimension); the inner loop reads workgroup memory as
// vec4. DB (double buffering) keeps two stages of the tiles, so one barrier per K step suffices:
// the step after next overwrites a stage only after every thread passed the barrier that
// follows the step using it. Requires TM, TN ∈ {4, 8}, BM·BK and BN·BK multiples of the
// thread count (the variant tables in engine/tune/variants/ hold only such configurations).

override BM: u32 = 64u;
override BN: u32 = 64u;
override BK: u32 = 16u;
override TM: u32 = 4u;       // rows per thread (4 or 8; matmul's register kernel reuses it, ≤ 8)
override TN: u32 = 4u;       // columns per thread (4 or 8)
override DB: bool = false;
override TILE_X: u32 = BN / TN;       // threads along N
override TILE_Y: u32 = BM / TM;       // threads along M
override TILE_THREADS: u32 = TILE_X * TILE_Y;
override STAGE_A: u32 = BK * BM / 4u;   // vec4 per stage
override STAGE_B: u32 = BK * BN / 4u;
override STAGES: u32 = select(1u, 2u, DB);
var<workgroup> As: array<vec4<f32>, STAGE_A * STAGES>; // [k][m], m in vec4 groups
var<workgroup> Bs: array<vec4<f32>, STAGE_B * STAGES>; // [k][n]

@compute @workgroup_size(TILE_X, TILE_Y)
fn gemm_tiled(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
              @builtin(local_invocation_index) li: u32) {
  let z = wid.z;
  let kr = gemm_k_range(z);
  let M = gemm_m(z);
  let N = gemm_n(z);
  let row0 = wid.y * BM;
  let col0 = wid.x * BN;
  var acc: array<array<vec4<f32>, 2>, 8>;
  let steps = (kr.y - kr.x + BK - 1u) / BK;
  for (var t = 0u; t < steps; t++) {
    let k0 = kr.x + t * BK;
    let sa = select(0u, (t & 1u) * STAGE_A, DB);
    let sbo = select(0u, (t & 1u) * STAGE_B, DB);
    // Coalesced staging: thread i loads elements i, i + threads, ... along the operand's
    // contiguous dimension.
    for (var e = li; e < BM * BK; e += TILE_THREADS) {
      var mm: u32; var kk: u32;
      if (A_K_CONTIG) { mm = e / BK; kk = e % BK; } else { kk = e / BM; mm = e % BM; }
      var v = 0.0;
      if (row0 + mm < M) { v = gemm_a(z, row0 + mm, k0 + kk, kr.y); }
      As[sa + (kk * BM + mm) / 4u][mm % 4u] = v;
    }
    for (var e = li; e < BN * BK; e += TILE_THREADS) {
      var nn: u32; var kk: u32;
      if (B_N_CONTIG) { kk = e / BN; nn = e % BN; } else { nn = e / BK; kk = e % BK; }
      var v = 0.0;
      if (col0 + nn < N) { v = gemm_b(z, k0 + kk, col0 + nn, kr.y); }
      Bs[sbo + (kk * BN + nn) / 4u][nn % 4u] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      var af: array<vec4<f32>, 2>;
      for (var i = 0u; i < TM / 4u; i++) { af[i] = As[sa + (kk * BM + lid.y * TM) / 4u + i]; }
      var bf: array<vec4<f32>, 2>;
      for (var j = 0u; j < TN / 4u; j++) { bf[j] = Bs[sbo + (kk * BN + lid.x * TN) / 4u + j]; }
      for (var i = 0u; i < TM; i++) {
        let a = vec4<f32>(af[i / 4u][i % 4u]);
        for (var j = 0u; j < TN / 4u; j++) { acc[i][j] = fma(a, bf[j], acc[i][j]); }
      }
    }
    if (!DB) { workgroupBarrier(); }
  }
  for (var i = 0u; i < TM; i++) {
    let m = row0 + lid.y * TM + i;
    if (m >= M) { break; }
    for (var j = 0u; j < TN; j++) {
      let n = col0 + lid.x * TN + j;
      if (n < N) { gemm_store(z, m, n, acc[i][j / 4u][j % 4u]); }
    }
  }
}
