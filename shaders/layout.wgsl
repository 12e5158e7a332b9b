// Layout copies for pad, slice and concat. Two entries over one uniform layout; in both, a
// thread takes one element of the tensor it iterates (shape `shape`) and finds its partner in
// the other tensor at coordinate + offset:
//  - gather: iterate out, read x there, or write `value` where the partner is outside x
//            (pad: offset −left; slice: offset +start; their backwards swap the signs);
//  - place:  iterate x, write it into out at coordinate + offset (concat's pieces).

struct Params {
  n: u32,            // elements of the iterated tensor
  rank: u32,
  value: f32,        // gather: fill outside x (may be ±inf: it travels here, not as a constant)
  _pad: u32,
  shape: array<vec4<u32>, 2>,          // iterated tensor's shape (up to rank 8)
  other_shape: array<vec4<u32>, 2>,    // the partner tensor's shape
  other_strides: array<vec4<u32>, 2>,
  offset: array<vec4<i32>, 2>,         // partner coordinate = own coordinate + offset
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

// Partner element's index, or -1 when it lies outside the partner tensor.
fn partner(i: u32) -> i32 {
  var rem = i;
  var off = 0u;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let dim = p.shape[d / 4][d % 4];
    let c = i32(rem % dim) + p.offset[d / 4][d % 4];
    rem = rem / dim;
    if (c < 0 || c >= i32(p.other_shape[d / 4][d % 4])) { return -1; }
    off += u32(c) * p.other_strides[d / 4][d % 4];
  }
  return i32(off);
}

@compute @workgroup_size(64)
fn gather(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  let k = partner(i);
  out[i] = select(p.value, x[max(k, 0)], k >= 0);
}

@compute @workgroup_size(64)
fn place(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  let k = partner(i);
  if (k >= 0) { out[k] = x[i]; }
}
