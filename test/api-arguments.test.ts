// Every public function and constructor takes PyTorch's positional order or an options object,
// and never silently ignores an argument: extra arguments, unknown options, values given twice
// and wrong types are SamgpuErrors naming the op. The first test enumerates the whole public
// surface, so a new export without a case here fails.
import assert from 'node:assert/strict';
import * as E from '../engine/node.ts';
import { gpu, rand } from './helpers.ts';

const { nn, optim, models } = E;
type Fn = (...args: unknown[]) => unknown;

/** How each public name is held to the rule: its arity guard, its own checks, or why it is exempt. */
const SURFACE: Record<string, 'guarded' | 'varargs' | 'class' | `exempt: ${string}`> = {};
const guarded = (names: string) => names.split(/\s+/).filter(Boolean).forEach((n) => (SURFACE[n] = 'guarded'));
guarded(`neg exp log relu sigmoid tanh sqrt abs square addScalar mulScalar affine rsubScalar powScalar copyInto full fillInto
  addInto zerosLike onesLike clone step add sub mul div maximum minimum eq gt sumTo sum mean max min flatten transpose unsqueeze
  squeeze matmul matmulKernel matmulConfig linear conv2d conv2dRelu maxPool2d avgPool2d adaptiveAvgPool2d globalAvgPool2d
  batchNorm dropout softmax logSoftmax crossEntropy crossEntropyWithWeights softmaxImportanceWeights bceWithLogits logisticLoss
  logisticLossWithWeights logisticImportanceWeights mseLoss argmax accuracy pad concat slice setRuntime tensor
  sizeOf scope keep setAsyncScopeContext noGrad backward record manualSeed
  parseSafetensors serializeSafetensors saveStateDict loadStateDict initWith useDevice checkErrors init fileStore tuneCacheDir
  nn.setBatchNormStatsUpdate nn.manualSeed nn.kaimingUniformDefault nn.kaimingNormalFanOut
  loadPretrained augmentBatch optim.stepLR optim.cosineLR optim.linearWarmup optim.constantLR models.resnet18 models.resnet50`);
for (const n of ['zeros', 'ones', 'empty', 'reshape', 'permute', 'expand']) SURFACE[n] = 'varargs';
for (const n of `nn.Linear nn.Conv2d nn.BatchNorm1d nn.BatchNorm2d nn.ReLU nn.MaxPool2d nn.AvgPool2d nn.AdaptiveAvgPool2d nn.Flatten
  nn.Dropout nn.Sequential optim.SGD optim.Adam optim.AdamW optim.SAM optim.LRScheduler models.SmallCNN models.ResNet models.BasicBlock models.Bottleneck Rng`.split(/\s+/)) SURFACE[n] = 'class';
for (const n of ['getRuntime', 'liveTensorCount', 'hasAsyncScopeContext', 'isGradEnabled', 'nn.getDefaultRng', 'nn.isBatchNorm']) {
  SURFACE[n] = 'exempt: a getter or predicate (fine as a map/filter callback); an extra argument cannot change its result';
}
Object.assign(SURFACE, {
  Tensor: 'exempt: made by factories and ops; its methods are tested below',
  Runtime: 'exempt: the engine\'s runtime, made by init/useDevice',
  GpuDevice: 'exempt: made by GpuDevice.create through init',
  Uniforms: 'exempt: a byte packer for custom kernels, typed chainable methods',
  SamgpuError: 'exempt: an error class',
  GpuDeviceError: 'exempt: an error class',
  InvalidInputError: 'exempt: an error class',
  nn: 'exempt: a namespace', optim: 'exempt: a namespace', models: 'exempt: a namespace',
  tune: 'exempt: the kernel tuner\'s namespace (variant tables, timing, stores), tested in test/tune.test.ts',
  AUGMENT_PARAMS: 'exempt: a constant (floats per image in augmentBatch\'s parameters)',
  'nn.Module': 'exempt: the abstract base class (no arguments)',
  'nn.Identity': 'exempt: takes and ignores any arguments, as PyTorch\'s nn.Identity',
  'optim.FlatParameters': 'exempt: built by the optimizers (FlatParameters.of checks its list)',
} as const);

function publicNames(): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [k, v] of Object.entries(E)) out.push([k, v]);
  for (const [ns, obj] of [['nn', nn], ['optim', optim], ['models', models]] as const) for (const [k, v] of Object.entries(obj)) out.push([`${ns}.${k}`, v]);
  return out;
}

const rejects = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: unknown) => {
  assert.ok(e instanceof E.SamgpuError, `expected a SamgpuError, got ${e}`);
  assert.match((e as Error).message, re);
  return true;
});

describe('API arguments: PyTorch\'s positional order or options, never an ignored argument', () => {
  before(gpu);

  it('every public function and constructor is covered by a rule (the list is exhaustive both ways)', () => {
    const names = publicNames().map(([n]) => n);
    const missing = names.filter((n) => !(n in SURFACE));
    assert.deepEqual(missing, [], 'exports without a rule here: add a case');
    const stale = Object.keys(SURFACE).filter((n) => !names.includes(n));
    assert.deepEqual(stale, [], 'rules for names that are not exported');
  });

  it('every guarded function refuses one argument more than it takes, naming itself and the extra value', () => {
    for (const [name, v] of publicNames()) {
      if (SURFACE[name] !== 'guarded') continue;
      const max = (v as { maxArgs?: number }).maxArgs;
      assert.equal(typeof max, 'number', `${name} has no arity guard`);
      const op = name.split('.').pop()!;
      const args = [...Array(max!).fill(0), 'EXTRA'];
      rejects(() => (v as Fn)(...args), new RegExp(`^${op}: takes at most ${max} arguments?, got ${max! + 1} \\(extra: "EXTRA"\\)`));
    }
    // PyTorch arguments samgpu does not have are the usual extras
    const [a, b] = [E.tensor([1, 2]), E.tensor([3, 4])];
    rejects(() => (E.add as Fn)(a, b, 2), /^add: takes at most 2 arguments, got 3 \(extra: 2\)/); // torch.add's alpha
    rejects(() => (E.relu as Fn)(a, true), /^relu: takes at most 1 argument, got 2/); // F.relu's inplace
    rejects(() => (E.matmul as Fn)(a.view(1, 2), b.view(2, 1), E.zeros(1, 1)), /^matmul: takes at most 2 arguments/); // out=
  });

  it('layers: new nn.Conv2d(1, 4, 3, 2, 1), nn.MaxPool2d(3, 1), nn.BatchNorm2d(4, 1e-3, 0.5), nn.Linear(3, 2, false) mean what they mean in PyTorch', async () => {
    const conv = new nn.Conv2d(1, 4, 3, 2, 1, { rng: new E.Rng(1) } as never); // positional, then keywords (typed for JS users)
    assert.deepEqual([conv.options.stride, conv.options.padding, conv.options.groups], [2, 1, 1]);
    const same = new nn.Conv2d(1, 4, 3, { stride: 2, padding: 1, rng: new E.Rng(1) });
    const x = E.tensor(rand(64, 2), [1, 1, 8, 8]);
    const y = conv.forward(x);
    assert.deepEqual(y.shape, [1, 4, 4, 4]);
    assert.deepEqual(await y.read(), await same.forward(x).read());
    assert.equal(new nn.Conv2d(1, 4, 3, 1, 0, 1, 1, false).bias, null);
    assert.deepEqual(new nn.Conv2d(2, 4, 3, 1, 0, 1, 2).weight.shape, [4, 1, 3, 3], 'groups positionally');
    const pool = new nn.MaxPool2d(3, 1);
    assert.deepEqual(pool.forward(E.tensor(rand(25, 3), [1, 1, 5, 5])).shape, [1, 1, 3, 3], 'stride 1, not the kernel size');
    assert.deepEqual(new nn.MaxPool2d(3, 2, 1, 1, false, true).options, { stride: 2, padding: 1, dilation: 1, ceilMode: true });
    assert.deepEqual(new nn.AvgPool2d(2, 1, 0, false, false).options, { stride: 1, padding: 0, ceilMode: false, countIncludePad: false });
    const bn = new nn.BatchNorm2d(4, 1e-3, 0.5);
    assert.equal(bn.eps, 1e-3);
    assert.equal(bn.momentum, 0.5);
    assert.equal(new nn.BatchNorm1d(4, 1e-5, 0.1, false).weight, null, 'affine positionally');
    assert.equal(new nn.BatchNorm2d(4, 1e-5, 0.1, true, false).runningMean, null, 'trackRunningStats positionally');
    assert.equal(new nn.Linear(3, 2, false).bias, null);
    assert.equal(new nn.Flatten(0, 1).forward(E.zeros(2, 3, 4)).shape.join(), '6,4');
    new nn.ReLU(true); // PyTorch's inplace: accepted, same results (documented)
    assert.equal(new nn.Dropout(0.3, 7).seed, 7);
    new nn.Dropout(0.3, false);
    const seq = new nn.Sequential({ fc: new nn.Linear(2, 2), act: new nn.ReLU() });
    assert.deepEqual(seq.namedParameters().map(([n]) => n), ['fc.weight', 'fc.bias'], 'an OrderedDict-like object names the layers');
  });

  it('layers refuse what PyTorch would refuse or samgpu cannot do, by name', () => {
    rejects(() => new nn.Conv2d(1, 4, 3, { strides: 2 } as never), /^Conv2d: unknown option 'strides' \(known: stride, padding, dilation, groups, bias, paddingMode, rng\)/);
    rejects(() => new nn.Conv2d(1, 4, 3, 2, { stride: 1 } as never), /^Conv2d: 'stride' given twice \(positionally as 2 and as an option 1\)/);
    rejects(() => new nn.Conv2d(1, 4, 3, 1, 'same' as never), /^Conv2d: padding must be an integer or a pair \[h, w\] of integers, got "same"/);
    rejects(() => new nn.Conv2d(1, 4, 3, 1, 0, 1, 1, true, 'reflect' as never), /^Conv2d: paddingMode "reflect" is not supported/);
    rejects(() => new (nn.Conv2d as unknown as new (...a: unknown[]) => unknown)(1, 4, 3, 1, 0, 1, 1, true, 'zeros', 5), /^Conv2d: takes at most 6 positional arguments here \(stride, padding, dilation, groups, bias, paddingMode\), got 7/);
    rejects(() => new (nn.ReLU as unknown as new (...a: unknown[]) => unknown)(false, 1), /^ReLU: takes at most 1 argument, got 2 \(extra: 1\)/);
    rejects(() => new (E.Rng as unknown as new (...a: unknown[]) => unknown)(1, 2), /^Rng: takes at most 1 argument/);
    rejects(() => new nn.MaxPool2d(3, 1, 0, 1, true as never), /^MaxPool2d: returnIndices is not supported/);
    rejects(() => new nn.BatchNorm2d(4, null as never, null as never), /^BatchNorm2d: momentum None \(a cumulative average\) is not supported/);
    rejects(() => new nn.BatchNorm2d(4, '1e-3' as never), /^BatchNorm2d: eps must be a number >= 0, got "1e-3"/);
    rejects(() => new nn.Linear(3, 2, 'no' as never), /^Linear: bias must be true or false, got "no"/);
    rejects(() => new nn.ReLU('yes' as never), /^ReLU: inplace must be true or false/);
    rejects(() => new nn.Dropout(1.5), /^Dropout: p must be a probability in \[0, 1\], got 1.5/);
    rejects(() => new nn.Sequential([new nn.ReLU()] as never), /^Sequential: layer 0 is \[an instance of ReLU\], expected a Module/);
    rejects(() => new nn.Linear(3, 2).train('no' as never), /^train: mode must be true or false/);
  });

  it('functional ops: conv2d(x, w, b, 2), maxPool2d(x, 3, 2), batchNorm(…, true, 0.5, 1e-3) and friends equal their options forms', async () => {
    const x = E.tensor(rand(2 * 2 * 7 * 7, 4), [2, 2, 7, 7]);
    const w = E.tensor(rand(3 * 2 * 3 * 3, 5), [3, 2, 3, 3]);
    const b = E.tensor([0.1, -0.2, 0.3]);
    const same = async (p: E.Tensor, q: E.Tensor, what: string) => {
      assert.deepEqual(p.shape, q.shape, what);
      assert.deepEqual(await p.read(), await q.read(), what);
    };
    await same(E.conv2d(x, w, b, 2), E.conv2d(x, w, b, { stride: 2 }), 'conv2d stride');
    await same(E.conv2d(x, w, b, 2, 1, 1, 1), E.conv2d(x, w, b, { stride: 2, padding: 1 }), 'conv2d stride, padding');
    await same(E.conv2d(x, w, null, 1, [1, 0]), E.conv2d(x, w, { padding: [1, 0] }), 'options in the bias position');
    await same(E.conv2d(x, w, b, 2, { padding: 1 } as never), E.conv2d(x, w, b, { stride: 2, padding: 1 }), 'positional then keywords');
    await same(E.conv2dRelu(x, w, b, 2), E.conv2dRelu(x, w, b, { stride: 2 }), 'conv2dRelu');
    assert.deepEqual(E.maxPool2d(x, 3, 2).shape, [2, 2, 3, 3]);
    await same(E.maxPool2d(x, 3, 2), E.maxPool2d(x, 3, { stride: 2 }), 'maxPool2d');
    await same(E.maxPool2d(x, 3, null, 1), E.maxPool2d(x, 3, { padding: 1 }), 'stride None is the kernel size');
    await same(E.avgPool2d(x, 3, 2, 1, false, false), E.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }), 'avgPool2d');
    const rm = E.zeros(2);
    const rv = E.ones(2);
    const rm2 = E.zeros(2);
    const rv2 = E.ones(2);
    await same(E.batchNorm(x, rm, rv, null, null, true, 0.5, 1e-3), E.batchNorm(x, rm2, rv2, { training: true, momentum: 0.5, eps: 1e-3 }), 'batchNorm');
    await same(rm, rm2, 'running mean updated with momentum 0.5');
    await same(E.batchNorm(x, rm, rv), E.batchNorm(x, rm, rv, null, null, false), 'F.batch_norm defaults to eval');
    await same(E.dropout(x, 0.5, false), x, 'dropout(x, p, training=false) is the identity');
    await same(E.dropout(x, 0.5, true, { seed: 3 } as never), E.dropout(x, 0.5, { training: true, seed: 3 }), 'dropout training');
    await same(E.sum(x, 1, true), E.sum(x, [1], { keepDims: true }), 'sum keepdim');
    await same(E.reshape(x, 2, 98), E.reshape(x, [2, 98]), 'reshape varargs');
    await same(E.permute(x, 0, 2, 1, 3), E.permute(x, [0, 2, 1, 3]), 'permute varargs');
    await same(E.flatten(x, 1, 2), E.reshape(x, [2, 14, 7]), 'flatten endDim');
    await same(x.view(2, 98), x.view([2, 98]), 'view varargs');
    await same(E.pad(x, [1, 1], 'constant', 2), E.pad(x, [1, 1], 2), 'pad with its mode');
    await same(E.concat([b, b]), E.concat([b, b], 0), 'concat dim 0 by default');
  });

  it('functional ops refuse unknown options, misplaced or doubled values, and unsupported PyTorch features', () => {
    const x = E.tensor(rand(2 * 2 * 5 * 5, 6), [2, 2, 5, 5]);
    const w = E.tensor(rand(2 * 2 * 3 * 3, 7), [2, 2, 3, 3]);
    const logits = E.tensor([1, 2, 3, 4], [2, 2]);
    const y = E.tensor([0, 1]);
    rejects(() => E.conv2d(x, w, null, { strides: 2 } as never), /^conv2d: unknown option 'strides' \(known: stride, padding, dilation, groups\)/);
    rejects(() => E.conv2d(x, w, null, 2, { stride: 2 } as never), /^conv2d: 'stride' given twice/);
    rejects(() => E.conv2d(x, w, { stride: 2 }, 1 as never), /^conv2d: an options object must come last, got 1 after it/);
    rejects(() => E.conv2d(x, w, 2 as never), /^conv2d: bias must be a Tensor or null, got 2/);
    rejects(() => E.conv2d(x, w, null, [1, 2, 3] as never), /^conv2d: stride must be an integer ≥ 1 or a pair of them, got \[1,2,3\]/);
    rejects(() => E.maxPool2d(x, 3, 1, 0, 1, false, true as never), /^maxPool2d: returnIndices is not supported/);
    rejects(() => E.avgPool2d(x, 3, 1, 0, false, true, 2 as never), /^avgPool2d: divisorOverride is not supported, got 2/);
    rejects(() => E.batchNorm(x, null, null, null, null, 'yes' as never), /^batchNorm: training must be true or false, got "yes"/);
    rejects(() => E.dropout(x, 0.5, true), /^dropout: training needs a seed for the mask/);
    rejects(() => E.dropout(x, 0.5, true, true as never), /^dropout: inplace is not supported/);
    rejects(() => E.crossEntropy(logits, y, 'sum' as never), /^crossEntropy: expected options as an object \{reduction, labelSmoothing\}, got "sum"/);
    rejects(() => E.crossEntropy(logits, y, E.tensor([1, 1]) as never), /^crossEntropy: PyTorch's third argument \(class weights\) is not supported/);
    rejects(() => E.crossEntropy(logits, y, { ignoreIndex: -100 } as never), /^crossEntropy: unknown option 'ignoreIndex'/);
    rejects(() => E.mseLoss(logits, logits, { reduce: true } as never), /^mseLoss: unknown option 'reduce' \(known: reduction\)/);
    rejects(() => E.sum(logits, { dim: 1 } as never), /^sum: dim must be an integer or a list of integers, got an object/);
    rejects(() => E.sum(logits, 1, 'yes' as never), /^sum: keepDims must be true or false, got "yes"/);
    rejects(() => E.softmax(logits, 1.5), /^softmax: axis 1.5 is out of range/);
    rejects(() => E.pad(logits, [1, 1], 'reflect' as never), /^pad: mode 'reflect' is not supported/);
    rejects(() => E.reshape(logits, [2, '2'] as never), /^reshape: the shape must be integers/);
    rejects(() => E.backward(E.sum(E.mul(logits, logits)), undefined, true, true as never), /^backward: createGraph .* is not supported/);
    rejects(() => E.backward(logits, 'grad' as never), /^backward: the gradient must be a Tensor, got "grad"/);
    rejects(() => E.tensor([1, 2], [2], true as never), /^tensor: the third argument is the runtime to create it on, got true/);
  });

  it('backward takes PyTorch\'s retain_graph positionally or {retainGraph}', async () => {
    const p = E.tensor([1, 2], { requiresGrad: true });
    const l = E.sum(E.mul(p, p));
    E.backward(l, undefined, true);
    E.backward(l, { retainGraph: true });
    E.backward(l);
    assert.deepEqual([...(await p.grad!.read())], [6, 12]);
  });

  it('optimizers and schedules: SGD(params, lr, momentum), SAM(model, base, rho, adaptive); what PyTorch users get wrong is named', () => {
    const m = new nn.Linear(2, 2);
    const sgd = new optim.SGD(m.parameters(), 0.1, 0.9, 0, 5e-4, true);
    assert.deepEqual([sgd.lr, sgd.momentum, sgd.weightDecay, sgd.nesterov], [0.1, 0.9, 5e-4, true]);
    const sam = new optim.SAM(m, sgd, 0.2, true);
    assert.deepEqual([sam.rho, sam.adaptive, sam.eta], [0.2, true, 0.01]);
    assert.equal(new optim.SAM(m, sgd).rho, 0.05, 'davda54/sam\'s default ρ');
    const m2 = new nn.Linear(2, 2);
    rejects(() => new optim.SGD(m2 as never, 0.1), /^SGD: pass model.parameters\(\), not the model/);
    rejects(() => new optim.SGD([{ params: m2.parameters(), lr: 0.1 }] as never, 0.1), /^SGD: parameter groups \(\{params, lr\}\) are not supported/);
    rejects(() => new (optim.SGD as unknown as new (p: unknown) => unknown)(m2.parameters()), /^SGD: lr is required/);
    rejects(() => new optim.SGD(m2.parameters(), { lr: 0.1, maximize: true } as never), /^SGD: unknown option 'maximize'/);
    rejects(() => new optim.SAM(m, optim.SGD as never, 0.05), /^SAM: pass a base optimizer instance/);
    rejects(() => new optim.SAM(m.parameters() as never, sgd), /^SAM: the first argument is the model \(a Module\)/);
    rejects(() => new optim.SAM(m, sgd, { rho: 0.1, perturb: 'first' } as never), /^SAM: perturb must be 'all', 'last', a list/);
    rejects(() => new optim.SAM(m, sgd, { rho: 0.1, adaptiv: true } as never), /^SAM: unknown option 'adaptiv'/);
    rejects(() => sam.step(undefined as never), /^SAM.step: expected a closure/);
    rejects(() => optim.stepLR(sgd as never, 30), /^stepLR: base must be a finite number, got an instance of SGD \(schedules take the base learning rate; apply one with new LRScheduler\(optimizer, stepLR\(…\)\)\)/);
    rejects(() => optim.cosineLR(0.1, '100' as never), /^cosineLR: tMax must be > 0, got 100/);
    rejects(() => new optim.LRScheduler(sgd, 0.1 as never), /^LRScheduler: the second argument is a schedule/);
    const adam = new optim.Adam(m.parameters(), 0.01, [0.8, 0.99], 1e-6, { weightDecay: 0.1 });
    assert.deepEqual([adam.lr, adam.betas, adam.eps, adam.weightDecay], [0.01, [0.8, 0.99], 1e-6, 0.1]);
    const adamw = new optim.AdamW(m.parameters());
    assert.deepEqual([adamw.lr, adamw.weightDecay, adamw.decoupled], [1e-3, 0.01, true], 'torch.optim.AdamW\'s defaults');
    rejects(() => new optim.Adam(m.parameters(), { lr: 0.1, amsgrad: true } as never), /^Adam: unknown option 'amsgrad'/);
    rejects(() => new optim.AdamW(m as never), /^AdamW: pass model.parameters\(\), not the model/);
    rejects(() => new optim.Adam(m.parameters(), 0.1, 0.9 as never), /^Adam: betas must be a pair/);
    rejects(() => E.loadPretrained(m, new Uint8Array(8), { head: 'drop' } as never), /^loadPretrained: head must be 'reset' or 'keep'/);
    rejects(() => E.loadPretrained(m, new Uint8Array(8), { strict: false } as never), /^loadPretrained: unknown option 'strict'/);
    const sched = new optim.LRScheduler(sgd, optim.linearWarmup(optim.cosineLR(0.1, 10), 2));
    sched.step();
    assert.ok(sgd.lr > 0);
  });

  it('models, seeds, devices and state dicts check their options', async () => {
    rejects(() => new models.SmallCNN(undefined as never), /^SmallCNN: expected options \{inChannels, height, width, classes\}/);
    rejects(() => new models.SmallCNN({ inChannels: 1, height: 8, width: 8, classes: 2, numClasses: 2 } as never), /^SmallCNN: unknown option 'numClasses'/);
    rejects(() => models.resnet18({ num_classes: 10 } as never), /^resnet18: unknown option 'num_classes' \(known: classes, inChannels, stem, rng, kaimingInit\)/);
    rejects(() => models.resnet18({ classes: 10, stem: 'tiny' } as never), /^ResNet: stem must be 'imagenet' or 'cifar', got "tiny"/);
    rejects(() => new models.BasicBlock(64, 64, 1, 5 as never), /^BasicBlock: rng must be an Rng, got 5/);
    rejects(() => new E.Rng(0.5), /^Rng: seed must be an integer, got 0.5/);
    rejects(() => E.manualSeed('7' as never), /^Rng: seed must be an integer, got "7"/);
    await assert.rejects(E.init({ debg: true } as never), /^SamgpuError: init: unknown option 'debg'/);
    await assert.rejects(E.init({ debug: true }), /^SamgpuError: init: the runtime already exists \(one per process/);
    await assert.rejects(E.saveStateDict(new nn.Linear(1, 1), { epoch: 3 } as never), /^SamgpuError: saveStateDict: metadata must be an object of strings/);
    rejects(() => E.loadStateDict(new nn.Linear(1, 1), new Map() as never), /^loadStateDict: expected the bytes of a safetensors file \(Uint8Array or ArrayBuffer\), got an instance of Map; to load a Map or object of tensors use model.loadStateDict\(state\)/);
    rejects(() => E.zeros(2, 3, 'x' as never), /^zeros: a shape is non-negative integers/);
  });
});
