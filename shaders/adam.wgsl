// torch.optim.Adam / AdamW over one flat parameter buffer (every parameter in one dispatch),
// amsgrad off, torch 1.13's single-tensor formulas:
//   Adam:  g = grad + wd·θ                      (L2 in the gradient)
//   AdamW: θ = θ·(1 − lr·wd)                     (decoupled decay, before the moments)
//   m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²
//   θ −= step_size · m / (√v / bc2_sqrt + ε),   step_size = lr / (1 − β1^t), bc2_sqrt = √(1 − β2^t)
// The bias corrections are computed on the CPU in float64 per step, as torch does in Python.

struct Params {
  n: u32,
  decoupled: u32,   // 1: AdamW
  _pad0: u32,
  _pad1: u32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  weight_decay: f32,
  step_size: f32,
  bc2_sqrt: f32,
  _pad2: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> exp_avg: array<f32>;
@group(0) @binding(4) var<storage, read_write> exp_avg_sq: array<f32>;

@compute @workgroup_size(64)
fn adam_step(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  var theta = param[i];
  var g = grad[i];
  if (p.decoupled != 0u) {
    theta = theta * (1.0 - p.lr * p.weight_decay);
  } else {
    g = g + p.weight_decay * theta;
  }
  let m = p.beta1 * exp_avg[i] + (1.0 - p.beta1) * g;
  let v = p.beta2 * exp_avg_sq[i] + (1.0 - p.beta2) * g * g;
  exp_avg[i] = m;
  exp_avg_sq[i] = v;
  let denom = sqrt(v) / p.bc2_sqrt + p.eps;
  param[i] = theta - p.step_size * (m / denom);
}
