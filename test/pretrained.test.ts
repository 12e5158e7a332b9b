// Pretrained torchvision weights: the file scripts/convert-torchvision.py writes for torchvision's
// own ResNet-18 and ResNet-50, loaded into ours, gives torchvision's logits and penultimate
// features (eval mode); every mismatch of names or shapes is reported at once.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as E from '../engine/index.ts';
import { resnet18, resnet50, type ResNet } from '../engine/models/resnet.ts';
import { serializeSafetensors } from '../engine/io/safetensors.ts';
import { loadPretrained } from '../engine/io/torchvision-weights.ts';
import { Fixture } from './fixtures.ts';
import { gpu, assertClose } from './helpers.ts';
import { hashedValue } from './reference/hash-weights.ts';

type Arch = 'resnet18' | 'resnet50';

function relNorm(got: Float32Array, want: Float32Array): number {
  let d = 0;
  let w = 0;
  for (let i = 0; i < want.length; i++) {
    if (!Number.isFinite(got[i])) return Infinity;
    d += (got[i] - want[i]) ** 2;
    w += want[i] ** 2;
  }
  return Math.sqrt(d / w);
}

/** The converted file's bytes, rebuilt from the name-keyed hash and the fixture's running statistics. */
function convertedFile(fx: Fixture, arch: Arch, model: ResNet, meta: Record<string, string>): Uint8Array {
  const state = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [k, t] of model.stateDict()) {
    const data = k.endsWith('running_mean') || k.endsWith('running_var') ? fx.get(`${arch}.${k}`).data : hashedValue(k, t.shape, model.featureDim);
    state.set(k, { shape: t.shape, data });
  }
  return serializeSafetensors(state, meta);
}

describe('pretrained torchvision weights (scripts/convert-torchvision.py) against torchvision', () => {
  before(gpu);
  const fx = new Fixture('pretrained');
  const files = JSON.parse(fx.metadata.files) as Record<Arch, { sha256: string; metadata: Record<string, string>; tensors: number }>;
  const x = fx.get('x');
  const bytesOf: Partial<Record<Arch, Uint8Array>> = {};

  for (const arch of ['resnet18', 'resnet50'] as const) {
    it(`${arch}: the converted file loads and gives torchvision's logits and features (eval, 64×64, rel. error ≤ 1e-4)`, async () => {
      const model = (arch === 'resnet18' ? resnet18 : resnet50)({ classes: 1000, stem: 'imagenet', rng: new E.Rng(1), kaimingInit: false });
      const bytes = (bytesOf[arch] = convertedFile(fx, arch, model, files[arch].metadata));
      assert.equal(createHash('sha256').update(bytes).digest('hex'), files[arch].sha256, 'the same bytes as the converter wrote');
      const report = loadPretrained(model, bytes, { head: 'keep', source: `${arch}.safetensors` });
      assert.equal(report.loaded.length, files[arch].tensors);
      model.eval();
      const input = E.tensor(x.data, x.shape);
      const feats = model.features(input);
      const logits = model.fc.forward(feats);
      // Relative error of the whole tensor (‖ours − torch‖ / ‖torch‖) and of every value against the
      // tensor's scale: float32 through 50 layers loses ~1e-5 of the scale (torch's own float32 run
      // of ResNet-50 is 4e-5 from its float64 one), so small post-ReLU averages carry errors that
      // are large relative to themselves alone, in torch's float32 as in ours.
      for (const [name, got] of [['features', await feats.read()], ['logits', await logits.read()]] as const) {
        const want = fx.get(`${arch}.${name}`).data;
        const rel = relNorm(got, want);
        assert.ok(rel <= 1e-4, `${arch} ${name}: ‖Δ‖/‖torch‖ = ${rel.toExponential(2)} > 1e-4`);
        assertClose(got, want, 1e-4, `${arch} ${name}`, 1);
      }
      E.scope(() => [input, feats, logits].forEach((t) => t.dispose()));
      model.dispose();
    });
  }

  it("head 'reset' keeps the task's classifier; every missing or unexpected key and shape mismatch is named at once", async () => {
    const model = resnet18({ classes: 10, stem: 'imagenet', rng: new E.Rng(1), kaimingInit: false });
    const fcBefore = await model.fc.weight.read();
    const bytes = bytesOf.resnet18 ?? convertedFile(fx, 'resnet18', resnet18({ classes: 1000, stem: 'imagenet' }), files.resnet18.metadata);
    assert.throws(() => loadPretrained(model, bytes, { head: 'keep', source: 'r18.safetensors' }),
      /pretrained weights r18.safetensors: shape mismatches: fc.bias: file \[1000\], model \[10\], fc.weight: file \[1000,512\], model \[10,512\]\. The file's classifier \(fc\.\*\) has another number of classes: use head 'reset'/);
    const r = loadPretrained(model, bytes, { source: 'r18.safetensors' });
    assert.deepEqual(r.skipped.sort(), ['fc.bias', 'fc.weight']);
    assert.deepEqual(await model.fc.weight.read(), fcBefore);
    assert.deepEqual(await model.conv1.weight.read(), hashedValue('conv1.weight', [64, 3, 7, 7], 512), 'conv1 loaded');

    const state = new Map<string, { shape: readonly number[]; data: Float32Array }>();
    for (const [k, t] of model.stateDict()) if (k !== 'layer1.0.bn1.running_var') state.set(k, { shape: t.shape, data: new Float32Array(t.size) });
    state.set('conv1.weight', { shape: [64, 3, 3, 3], data: new Float32Array(64 * 3 * 9) });
    state.set('layer9.0.conv1.weight', { shape: [1], data: new Float32Array(1) });
    state.set('layer1.0.bn1.num_batches_tracked', { shape: [], data: new Float32Array(1) });
    assert.throws(() => loadPretrained(model, serializeSafetensors(state), { source: 'bad.safetensors' }), (e: Error) => {
      assert.match(e.message, /^pretrained weights bad.safetensors: missing keys \(the model has them, the file does not\): layer1\.0\.bn1\.running_var; unexpected keys \(the file has them, the model does not\): layer9\.0\.conv1\.weight; shape mismatches: conv1\.weight: file \[64,3,3,3\], model \[64,3,7,7\]\./);
      assert.match(e.message, /torchvision's ImageNet ResNets have the 7×7 stride-2 stem \(model stem 'imagenet'\)/);
      return true;
    });
    const prefixed = new Map([...model.stateDict()].map(([k, t]) => [`module.${k}`, { shape: t.shape, data: new Float32Array(t.size) }]));
    assert.throws(() => loadPretrained(model, serializeSafetensors(prefixed)), /carry a prefix \(module\.\/model\.\): convert it again with scripts\/convert-torchvision\.py/);
    model.dispose();
  });
});
