// What the three conv2d shader files share; engine/ops/conv2d.ts prepends it to each of them
// (WGSL has no include): the layout the host fills, and, after the marker, the subgroup helper.

struct Params {
  n: u32, cin: u32, in_h: u32, in_w: u32,
  cout: u32, out_h: u32, out_w: u32, groups: u32,
  kh: u32, kw: u32, stride_h: u32, stride_w: u32,
  pad_h: u32, pad_w: u32, dil_h: u32, dil_w: u32,
  cin_g: u32, cout_g: u32,
  cblocks: u32,       // channel blocks (of TC, or 16 in the subgroup kernels) per group: output
                      // channels (forward, weight gradient) or input channels (input gradient)
  row_blocks: u32,    // forward: pixel blocks (of 4) per output row; input gradient (subgroup):
                      // blocks per phase, rounded up to a multiple of 8
  n_blocks: u32,      // pixel blocks in all (input gradient: phases × n × phase_rows × phase_blocks)
  has_bias: u32,
  split: u32,         // weight gradient: number of splits of the output rows
  rows_per_split: u32,
  tap_blocks: u32,    // weight gradient: ceil(cin_g·kh·kw / 4)
  phase_rows: u32,    // input gradient: ceil(in_h / stride_h), rows per phase
  phase_blocks: u32,  // input gradient: ceil(ceil(in_w / stride_w) / 4), pixel blocks per phase row
  tap_step_h: u32,    // input gradient: stride_h / gcd(stride_h, dil_h), distance between taps reaching one phase
  tap_step_w: u32,
  out_step_h: u32,    // input gradient: dil_h / gcd(stride_h, dil_h), the dy row moves by this per tap step
  out_step_w: u32,
}

// ==== SUBGROUP KERNELS (the helpers below need `enable subgroups;`)
//
// The subgroup kernels run one cluster of CW lanes per workgroup (CW ≤ the adapter's smallest
// subgroup size, so the cluster is inside one subgroup): each lane loads 16/CW of the 16 vec4
// items of a block and share() hands every item to every lane. With BCAST8 (subgroups exactly 8
// wide, CW = 8: lavapipe) by subgroupBroadcast from constant lanes, which lavapipe compiles to a
// register extract + splat; otherwise by subgroupShuffle from the cluster's lanes src0 … src0 +
// CW − 1 (src0: the subgroup lane of the workgroup's first invocation).

override CW: u32 = 8u;
override BCAST8: bool = true;
override ITEMS_PER_LANE: u32 = 16u / CW;

fn share8(v0: vec4<f32>, v1: vec4<f32>) -> array<vec4<f32>, 16> {
  return array<vec4<f32>, 16>(
    subgroupBroadcast(v0, 0u), subgroupBroadcast(v0, 1u), subgroupBroadcast(v0, 2u), subgroupBroadcast(v0, 3u),
    subgroupBroadcast(v0, 4u), subgroupBroadcast(v0, 5u), subgroupBroadcast(v0, 6u), subgroupBroadcast(v0, 7u),
    subgroupBroadcast(v1, 0u), subgroupBroadcast(v1, 1u), subgroupBroadcast(v1, 2u), subgroupBroadcast(v1, 3u),
    subgroupBroadcast(v1, 4u), subgroupBroadcast(v1, 5u), subgroupBroadcast(v1, 6u), subgroupBroadcast(v1, 7u));
}

/** Item i (held by lane i % CW as its item i / CW) in every lane. */
fn share(v: array<vec4<f32>, 4>, src0: u32) -> array<vec4<f32>, 16> {
  if (BCAST8) { return share8(v[0], v[1]); }
  var t: array<vec4<f32>, 16>;
  for (var i = 0u; i < 16u; i++) { t[i] = subgroupShuffle(v[i / CW], src0 + i % CW); }
  return t;
}
