// `npm start` for now: train a tiny two-layer network on a synthetic two-feature task with
// full-batch gradient descent, all on the GPU, and print the loss curve and the accuracy.
// (The experiment runner of issue #7 replaces this with the paper's headline job.)
import { init } from '../engine/node.ts';
import * as E from '../engine/index.ts';

const rt = await init();
console.log(`samgpu demo on ${rt.gpu.describe()}`);

// Data: y = ±1; x = [easy feature (large margin), hard feature (small margin), noise dims].
const n = 512;
const dims = 8;
const rng = new E.Rng(0);
const xs = new Float32Array(n * dims);
const ys = new Float32Array(n);
const noise = rng.normal(n * dims);
for (let i = 0; i < n; i++) {
  const y = i % 2 ? 1 : -1;
  ys[i] = y > 0 ? 1 : 0;
  for (let j = 0; j < dims; j++) xs[i * dims + j] = (j === 0 ? 2 * y : j === 4 ? 0.5 * y : 0) + 0.5 * noise[i * dims + j];
}
const x = E.tensor(xs, [n, dims]);
const target = E.tensor(ys, [n, 1]);

const hidden = 32;
let params = [
  E.tensor(rng.normal(dims * hidden, 0, 1 / Math.sqrt(dims)), [dims, hidden]),
  E.tensor(rng.normal(hidden, 0, 1 / Math.sqrt(hidden)), [hidden, 1]),
];
for (const p of params) p.requiresGrad = true;

const forward = () => E.matmul(E.relu(E.matmul(x, params[0])), params[1]);
// Logistic loss on logits z with targets t ∈ {0, 1}: mean(log(1 + e^z) − t·z).
const lossOf = (z: E.Tensor) => E.mean(E.sub(E.log(E.addScalar(E.exp(z), 1)), E.mul(target, z)));

const lr = 0.5;
const t0 = performance.now();
for (let step = 0; step <= 200; step++) {
  const loss = E.scope(() => {
    const l = lossOf(forward());
    E.backward(l);
    return l;
  });
  // Plain gradient descent (the SGD optimizer kernel arrives with issue #3).
  params = E.noGrad(() =>
    params.map((p) => {
      const next = E.keep(E.sub(p, E.mulScalar(p.grad!, lr)));
      next.requiresGrad = true;
      p.dispose();
      return next;
    }),
  );
  if (step % 40 === 0) console.log(`step ${String(step).padStart(3)}  loss ${(await loss.item()).toFixed(4)}`);
  loss.dispose();
}
const logits = await E.noGrad(forward).read();
let correct = 0;
for (let i = 0; i < n; i++) correct += Number((logits[i] > 0 ? 1 : 0) === ys[i]);
const secs = (performance.now() - t0) / 1000;
console.log(`train accuracy ${(correct / n).toFixed(3)} after 200 steps in ${secs.toFixed(1)} s (${rt.stats.dispatches} dispatches, ${rt.stats.submits} submits)`);
