// Copy with permuted axes (transpose, permute): out[i] = x[offset of i's coordinates in x].

struct Params {
  n: u32,
  rank: u32,
  _pad0: u32,
  _pad1: u32,
  out_shape: array<vec4<u32>, 2>,
  in_strides: array<vec4<u32>, 2>, // x's stride for each *output* axis
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn permute(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  var rem = i;
  var off = 0u;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let dim = p.out_shape[d / 4][d % 4];
    off += (rem % dim) * p.in_strides[d / 4][d % 4];
    rem = rem / dim;
  }
  out[i] = x[off];
}
