// torch.optim.SGD over one flat parameter buffer (every parameter of the model in one dispatch):
//   d = g + wd·θ;  buf = first ? d : μ·buf + (1−dampening)·d;  d = nesterov ? d + μ·buf : buf;  θ −= lr·d

struct Params {
  n: u32,
  nesterov: u32,
  first: u32,       // the momentum buffer is initialized with d on the first step
  has_momentum: u32,
  lr: f32,
  momentum: f32,
  dampening: f32,
  weight_decay: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> momentum_buf: array<f32>;

@compute @workgroup_size(64)
fn sgd_step(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  let theta = param[i];
  var d = grad[i] + p.weight_decay * theta;
  if (p.has_momentum != 0u) {
    var b = d;
    if (p.first == 0u) { b = p.momentum * momentum_buf[i] + (1.0 - p.dampening) * d; }
    momentum_buf[i] = b;
    d = select(b, d + p.momentum * b, p.nesterov != 0u);
  }
  param[i] = theta - p.lr * d;
}
