// The paper's evaluation in a few lines: train a small CNN with SAM on data where two features
// (an easy one, a hard one) both predict the label, then freeze it and fit a linear probe per
// feature on data where they are independent: how well did the network learn each feature?
// Run: node examples/probe.mjs   (after `npm run build`; in your own project: npm install samgpu)
import { init, tensor, models, optim, crossEntropy, backward, data, featureProbes } from 'samgpu/experiments';

await init();
// 16×16 images: easy = a bright square's corner, hard = a faint stripe pattern (data.* also
// builds CIFAR-MNIST, FMNIST-MNIST, CelebA, Waterbirds from their files: see dataFiles)
const ds = data.syntheticTwoFeature({ train: 256, val: 128, test: 128, size: 16, seed: 0 });
const { train, val, test } = ds.splits;
const x = tensor(train.images, [train.n, ...train.shape]);
const y = tensor(Float32Array.from(train.y), [train.n]);

const model = new models.SmallCNN({ inChannels: 1, height: 16, width: 16, classes: 2 });
const sgd = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
const sam = new optim.SAM(model, sgd, { rho: 0.05 });
for (let step = 0; step < 40; step++) {
  const loss = sam.step(() => {
    const l = crossEntropy(model.forward(x), y);
    backward(l);
    return l;
  });
  if (step % 10 === 0) console.log(`step ${step} loss ${(await loss.item()).toFixed(4)}`);
  loss.dispose();
}

// probes fit on the (decorrelated) validation split, L2 picked on half of it, error on test
const r = await featureProbes.probeFeatures(model, val, test, { l2Grid: [1e-3, 1e-1], seed: 0 });
console.log(`probe error: easy feature ${r.easy.error.toFixed(3)}, hard feature ${r.hard.error.toFixed(3)}`);
