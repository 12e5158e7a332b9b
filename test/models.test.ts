import assert from 'node:assert/strict';
import * as E from '../engine/index.ts';
import { SmallCNN, resnet18, resnet50 } from '../engine/models/index.ts';
import { SGD } from '../engine/optim/index.ts';
import { crossEntropy } from '../engine/ops/loss.ts';
import { saveStateDict, loadStateDict } from '../engine/io/state-dict.ts';
import { Fixture } from './fixtures.ts';
import { gpu, assertClose } from './helpers.ts';

/** Load the fixture's `prefix.*` tensors as a state dict. */
function stateFrom(fx: Fixture, prefix: string): Map<string, { shape: number[]; data: Float32Array }> {
  const m = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [k, v] of fx.tensors) if (k.startsWith(prefix)) m.set(k.slice(prefix.length), v);
  return m;
}

describe('the paper\'s small CNN against PyTorch', () => {
  let fx: Fixture;
  before(async () => {
    await gpu();
    fx = new Fixture('smallcnn');
  });

  const build = () => {
    const [n, c, h, w, classes] = JSON.parse(fx.metadata.shape) as number[];
    const model = new SmallCNN({ inChannels: c, height: h, width: w, classes });
    model.loadStateDict(stateFrom(fx, 'init.'));
    const x = E.tensor(fx.get('x').data, [n, c, h, w]);
    const y = E.tensor(fx.get('y').data, [n]);
    return { model, x, y };
  };

  it('forward, loss and every parameter gradient match PyTorch (rel. error ≤ 1e-4)', async () => {
    const { model, x, y } = build();
    const feats = E.noGrad(() => model.features(x));
    assertClose(await feats.read(), fx.get('features').data, 1e-4, 'features');
    const logits = model.forward(x);
    const loss = crossEntropy(logits, y);
    assertClose(await logits.read(), fx.get('logits').data, 1e-4, 'logits');
    assertClose(await loss.read(), fx.get('loss').data, 1e-4, 'loss');
    E.backward(loss);
    // A weight gradient sums N·H·W products with cancellation: errors are measured against
    // max(|gᵢ|, 1% of max|g|), as for matmul (the fixture is exact: PyTorch in float64).
    for (const [name, p] of model.namedParameters()) assertClose(await p.grad!.read(), fx.get(`grad.${name}`).data, 1e-4, `grad ${name}`, 1e-2);
  });

  it('3 SGD steps with momentum and weight decay land where torch.optim.SGD does', async () => {
    const { model, x, y } = build();
    const cfg = JSON.parse(fx.metadata.sgd);
    const opt = new SGD(model.parameters(), { lr: cfg.lr, momentum: cfg.momentum, weightDecay: cfg.weight_decay, dampening: cfg.dampening, nesterov: cfg.nesterov });
    const losses: number[] = [];
    for (let step = 0; step < 3; step++) {
      opt.zeroGrad();
      const loss = E.scope(() => {
        const l = crossEntropy(model.forward(x), y);
        E.backward(l);
        return l;
      });
      opt.step();
      losses.push(await loss.item());
    }
    assertClose(losses, fx.get('step_losses').data, 1e-4, 'losses');
    for (const [name, t] of model.stateDict()) assertClose(await t.read(), fx.get(`step3.${name}`).data, 1e-4, `step 3 ${name}`, 1e-2);
  });

  it('its state dict round-trips through safetensors', async () => {
    const { model } = build();
    const bytes = await saveStateDict(model, { note: 'round trip' });
    const other = new SmallCNN({ inChannels: 3, height: 16, width: 8, classes: 3, rng: new E.Rng(99) });
    assert.equal(loadStateDict(other, bytes).note, 'round trip');
    for (const [name, t] of other.stateDict()) assertClose(await t.read(), fx.get(`init.${name}`).data, 0, name);
  });

  it('a state dict with a missing key or a wrong shape is refused, naming the key', async () => {
    const { model } = build();
    const state = stateFrom(fx, 'init.');
    state.delete('head.bias');
    assert.throws(() => model.loadStateDict(state), /loadStateDict: missing keys head.bias/);
    state.set('head.bias', { shape: [4], data: new Float32Array(4) });
    assert.throws(() => model.loadStateDict(state), /'head.bias' has shape \[4\], the model expects \[3\]/);
    state.set('head.bias', { shape: [3], data: new Float32Array(3) });
    state.set('extra.weight', { shape: [1], data: new Float32Array(1) });
    assert.throws(() => model.loadStateDict(state), /unexpected keys extra.weight/);
  });
});

describe('ResNets with torchvision\'s names', () => {
  before(gpu);

  it('ResNet-18 (ImageNet stem) has torchvision\'s parameter names and count', () => {
    const m = resnet18({ classes: 1000 });
    const names = m.namedParameters().map(([n]) => n);
    assert.equal(names[0], 'conv1.weight');
    assert.ok(names.includes('layer2.0.downsample.0.weight'));
    assert.ok(names.includes('layer4.1.bn2.bias'));
    assert.equal(names[names.length - 1], 'fc.bias');
    const count = m.parameters().reduce((a, p) => a + p.size, 0);
    assert.equal(count, 11_689_512); // torchvision.models.resnet18().parameters()
    assert.ok(m.stateDict().has('layer1.0.bn1.running_var'));
    m.dispose();
  });

  it('ResNet-50 has torchvision\'s parameter count', () => {
    const m = resnet50({ classes: 1000 });
    assert.equal(m.parameters().reduce((a, p) => a + p.size, 0), 25_557_032);
    m.dispose();
  });

  it('ResNet-18 (CIFAR stem) runs forward and backward on a tiny batch', async () => {
    const m = resnet18({ classes: 10, stem: 'cifar', rng: new E.Rng(1) });
    const x = E.tensor(new E.Rng(2).uniform(2 * 3 * 8 * 8), [2, 3, 8, 8]);
    const loss = crossEntropy(m.forward(x), E.tensor([1, 7]));
    E.backward(loss);
    assert.ok(Number.isFinite(await loss.item()));
    assert.deepEqual(m.features(x).shape, [2, 512]);
    assert.ok(m.conv1.weight.grad);
    m.dispose();
  });
});
