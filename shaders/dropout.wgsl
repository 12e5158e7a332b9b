// Inverted dropout with a counter-based mask: element i survives iff
// hash(seed, i) >= threshold (= p·2^32), so a seed gives the same mask on every adapter, in
// Node and in browsers (u32 arithmetic wraps identically everywhere), and the backward
// recomputes the mask instead of storing it. The hash is PCG's output permutation
// (O'Neill; Jarzynski & Olano 2020, "Hash Functions for GPU Rendering") applied twice with
// keys derived from the seed; test/reference/dropout.ts has the same function in JS.

struct Params {
  n: u32,
  seed: u32,
  threshold: u32, // drop iff hash < threshold
  scale: f32,     // 1 / (1 − p) for survivors
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

fn mask_hash(i: u32) -> u32 {
  let k1 = pcg(p.seed);
  let k2 = pcg(k1 ^ 0x9e3779b9u);
  return pcg(pcg(i ^ k1) + k2);
}

@compute @workgroup_size(64)
fn dropout(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  out[i] = select(0.0, x[i] * p.scale, mask_hash(i) >= p.threshold);
}
