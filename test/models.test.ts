import assert from 'node:assert/strict';
import * as E from '../engine/index.ts';
import { SmallCNN, resnet18, resnet50 } from '../engine/models/index.ts';
import { SGD } from '../engine/optim/index.ts';
import { crossEntropy } from '../engine/ops/loss.ts';
import { saveStateDict, loadStateDict } from '../engine/io/state-dict.ts';
import { Fixture } from './fixtures.ts';
import { gpu, assertClose } from './helpers.ts';
import { Linear, ReLU, Sequential } from '../engine/nn/index.ts';

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

describe('loadStateDict takes what users have', () => {
  before(gpu);
  const small = (seed: number) => new Sequential(new Linear(3, 2, { rng: new E.Rng(seed) }), new ReLU(), new Linear(2, 1, { rng: new E.Rng(seed + 1) }));

  it('a Map, a plain object, another model\'s stateDict() (tensors) and parseSafetensors\' result', async () => {
    const src = small(1);
    const want = await Promise.all(src.parameters().map((p) => p.read()));
    const plain: Record<string, { shape: number[]; data: number[] }> = {};
    for (const [k, t] of src.stateDict()) plain[k] = { shape: [...t.shape], data: [...(await t.read())] };
    const sources: [string, unknown][] = [
      ['plain object of arrays', plain],
      ['Map of {shape, data}', new Map(Object.entries(plain).map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data) }]))],
      ['stateDict() of tensors', src.stateDict()],
      ['parseSafetensors result', E.parseSafetensors(await E.saveStateDict(src))],
      ['plain object of tensors', Object.fromEntries(src.stateDict())],
    ];
    for (const [what, state] of sources) {
      const dst = small(7);
      dst.loadStateDict(state as never);
      const got = await Promise.all(dst.parameters().map((p) => p.read()));
      assert.deepEqual(got, want, what);
    }
  });

  it('errors name the offending key; nothing is written when an entry is bad', async () => {
    const dst = small(3);
    const before = await dst.parameters()[0].read();
    const good = Object.fromEntries([...small(4).stateDict()]);
    const bad = (k: string, v: unknown) => ({ ...good, [k]: v });
    assert.throws(() => dst.loadStateDict(bad('2.bias', [1]) as never), /loadStateDict: '2.bias' must be \{shape, data\} or a Tensor, got \[1\]/);
    assert.throws(() => dst.loadStateDict(bad('2.bias', { shape: [1], data: 'x' }) as never), /loadStateDict: '2.bias' needs data \(a Float32Array or an array of numbers\), got "x"/);
    assert.throws(() => dst.loadStateDict(bad('2.bias', { shape: [1], data: [1, 2] }) as never), /loadStateDict: '2.bias' has 2 values for shape \[1\] \(1 expected\)/);
    assert.throws(() => dst.loadStateDict(bad('2.bias', null) as never), /loadStateDict: '2.bias' must be \{shape, data\} or a Tensor, got null/);
    assert.throws(() => dst.loadStateDict(42 as never), /loadStateDict: expected a Map or a plain object/);
    assert.throws(() => dst.loadStateDict(good, 'yes' as never), /loadStateDict: expected options as an object \{strict\}, got "yes"/);
    assert.deepEqual(await dst.parameters()[0].read(), before, 'no partial load');
    dst.loadStateDict({ '0.weight': good['0.weight'] }, false);
    dst.loadStateDict({ '0.weight': good['0.weight'] }, { strict: false });
    assert.throws(() => dst.loadStateDict({ '0.weight': good['0.weight'] }), /missing keys 0.bias, 2.weight, 2.bias/);
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
