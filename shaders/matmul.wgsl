// Batched matrix multiply C[b] = op(A[b]) · op(B[b]), op = optional transpose (TRANS_A/B), so
// the backward pass never materializes a transpose. Batch dims broadcast (NumPy matmul rules):
// the host passes, per batch dim of C, the batch strides of A and B (0 where broadcast).
//
// Two strategies, chosen per adapter by the host:
//  - matmul_tiled: 64×64 output tile per 16×16 workgroup, 4×4 outputs per thread, K tiles of
//    16 staged in workgroup memory. The classic GPU kernel: shared memory saves bandwidth.
//  - matmul_register: no workgroup memory and no barriers, each thread accumulates a TM×4
//    block in registers. On CPU adapters (lavapipe) barriers cost more than the loads they
//    save, and the LLVM backend vectorizes across invocations anyway.

struct Params {
  M: u32,
  N: u32,
  K: u32,
  batch: u32,
  batch_shape: vec4<u32>,   // C's batch dims (padded with 1 at the front)
  a_bstrides: vec4<u32>,    // A's element stride per batch dim (0 = broadcast)
  b_bstrides: vec4<u32>,
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

fn load_a(base: u32, m: u32, k: u32) -> f32 {
  if (m >= p.M || k >= p.K) { return 0.0; }
  if (TRANS_A) { return a[base + k * p.M + m]; }
  return a[base + m * p.K + k];
}

fn load_b(base: u32, k: u32, n: u32) -> f32 {
  if (k >= p.K || n >= p.N) { return 0.0; }
  if (TRANS_B) { return b[base + n * p.K + k]; }
  return b[base + k * p.N + n];
}

// ---- matmul_tiled -------------------------------------------------------------------------

const TILE: u32 = 64u;
const KT: u32 = 16u;
var<workgroup> As: array<array<f32, 64>, 16>; // [k][m]
var<workgroup> Bs: array<array<f32, 64>, 16>; // [k][n]

@compute @workgroup_size(16, 16)
fn matmul_tiled(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                @builtin(local_invocation_index) li: u32) {
  let bo = batch_offsets(wid.z);
  let row0 = wid.y * TILE;
  let col0 = wid.x * TILE;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < p.K; k0 += KT) {
    // 256 threads stage 16×64 elements of A and of B: 4 each.
    for (var e = 0u; e < 4u; e++) {
      let idx = li + e * 256u;
      let kk = idx / TILE;
      let mm = idx % TILE;
      As[kk][mm] = load_a(bo.x, row0 + mm, k0 + kk);
      Bs[kk][mm] = load_b(bo.y, k0 + kk, col0 + mm);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < KT; kk++) {
      let bv = vec4<f32>(Bs[kk][lid.x * 4u], Bs[kk][lid.x * 4u + 1u], Bs[kk][lid.x * 4u + 2u], Bs[kk][lid.x * 4u + 3u]);
      for (var r = 0u; r < 4u; r++) { acc[r] = fma(vec4<f32>(As[kk][lid.y * 4u + r]), bv, acc[r]); }
    }
    workgroupBarrier();
  }
  let cbase = wid.z * p.M * p.N;
  for (var r = 0u; r < 4u; r++) {
    let m = row0 + lid.y * 4u + r;
    if (m >= p.M) { break; }
    for (var j = 0u; j < 4u; j++) {
      let n = col0 + lid.x * 4u + j;
      if (n < p.N) { c[cbase + m * p.N + n] = acc[r][j]; }
    }
  }
}

// ---- matmul_register ----------------------------------------------------------------------

override TM: u32 = 4u;       // rows per thread (≤ 8)
override WG_X: u32 = 8u;     // threads along N (each 4 columns)
override WG_Y: u32 = 8u;     // threads along M

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_register(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let bo = batch_offsets(wid.z);
  let col = (wid.x * WG_X + lid.x) * 4u;
  let row = (wid.y * WG_Y + lid.y) * TM;
  if (row >= p.M || col >= p.N) { return; }
  var acc: array<vec4<f32>, 8>;
  for (var k = 0u; k < p.K; k++) {
    let bv = vec4<f32>(load_b(bo.y, k, col), load_b(bo.y, k, col + 1u), load_b(bo.y, k, col + 2u), load_b(bo.y, k, col + 3u));
    for (var r = 0u; r < TM; r++) { acc[r] = fma(vec4<f32>(load_a(bo.x, row + r, k)), bv, acc[r]); }
  }
  let cbase = wid.z * p.M * p.N;
  for (var r = 0u; r < TM; r++) {
    let m = row + r;
    if (m >= p.M) { break; }
    for (var j = 0u; j < 4u; j++) {
      if (col + j < p.N) { c[cbase + m * p.N + col + j] = acc[r][j]; }
    }
  }
}
