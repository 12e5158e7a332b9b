// Train a small classifier with SAM on the GPU: what a PyTorch user would write.
// Run: node examples/train.mjs   (after `npm run build`; in your own project: npm install samgpu)
import { init, tensor, nn, optim, crossEntropy, accuracy, backward, noGrad, Rng } from 'samgpu';

await init(); // the WebGPU device (Dawn in Node, navigator.gpu in a browser)

// Toy data: 256 points in 2-D, label = which side of a circle they fall on.
const rng = new Rng(0);
const xs = rng.uniform(256 * 2, -1, 1);
const ys = Float32Array.from({ length: 256 }, (_, i) => Number(xs[2 * i] ** 2 + xs[2 * i + 1] ** 2 > 0.5));
const x = tensor(xs, [256, 2]);
const y = tensor(ys, [256]);

const model = new nn.Sequential(new nn.Linear(2, 32), new nn.ReLU(), new nn.Linear(32, 2));
const base = new optim.SGD(model.parameters(), { lr: 0.5, momentum: 0.9 });
const sam = new optim.SAM(model, base, { rho: 0.05 });

for (let epoch = 0; epoch < 100; epoch++) {
  const loss = sam.step(() => {
    const l = crossEntropy(model.forward(x), y); // forward
    backward(l); // gradients into p.grad
    return l;
  });
  if (epoch % 25 === 0) console.log(`epoch ${epoch} loss ${(await loss.item()).toFixed(4)}`);
  loss.dispose();
}
const acc = await noGrad(() => accuracy(model.forward(x), y)).item();
console.log(`train accuracy ${acc.toFixed(3)}`);
