// A custom kernel: y = x³ written in WGSL, dispatched through the engine's runtime (pipeline
// cache, reflected bindings, batched submission) and given a backward rule.
// Run: node examples/custom-kernel.mjs   (after `npm run build`)
import { init, tensor, empty, mul, mulScalar, backward, sum, record } from 'samgpu';

const rt = await init();

const cube = {
  name: 'cube.wgsl',
  entry: 'main',
  code: /* wgsl */ `
    struct Params { n: u32 }
    @group(0) @binding(0) var<uniform> p: Params;
    @group(0) @binding(1) var<storage, read> x: array<f32>;
    @group(0) @binding(2) var<storage, read_write> y: array<f32>;
    @compute @workgroup_size(64)
    fn main(@builtin(global_invocation_id) id: vec3<u32>) {
      if (id.x < p.n) { let v = x[id.x]; y[id.x] = v * v * v; }
    }`,
};

function cubeOp(x) {
  const y = empty(x.shape);
  // bindings by their WGSL names; shapes travel in the uniform buffer
  rt.dispatch(cube, { buffers: { x: x.buffer(), y: y.buffer() }, uniforms: new Uint32Array([x.size, 0, 0, 0]), workgroups: [Math.ceil(x.size / 64)] });
  // d(x³)/dx = 3x²: the backward rule, recorded on the tape
  return record('cube', y, [x], [x], ([xs]) => (g) => [mul(g, mulScalar(mul(xs, xs), 3))]);
}

const x = tensor([1, 2, 3]);
x.requiresGrad = true;
const y = cubeOp(x);
backward(sum(y));
console.log('x³ =', [...(await y.read())], ' d/dx =', [...(await x.grad.read())]); // [1, 8, 27]  [3, 12, 27]
