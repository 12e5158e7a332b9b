// Evaluation of a run's model on whole splits: batches gathered from a split, predictions in eval
// mode, per-group and in-distribution accuracy.
import { tensor, type Tensor } from '../../engine/tensor.ts';
import { augmentBatch } from '../../engine/ops/augment.ts';
import { gatherSourceBytes, plainAugmentParams } from '../data/augment.ts';
import { keep, scope } from '../../engine/scope.ts';
import { noGrad } from '../../engine/autograd/grad-mode.ts';
import { argmax } from '../../engine/ops/select.ts';
import { concat } from '../../engine/ops/layout.ts';
import type { Module } from '../../engine/nn/module.ts';
import type { TwoFeatureSplit } from '../data/types.ts';

/** x and task labels y of examples `idx[from … to)` of a split, uploaded. */
export function gather(split: TwoFeatureSplit, idx: ArrayLike<number>, from: number, to: number): { x: Tensor; y: Tensor } {
  if (split.augment && split.images.length === 0) {
    // an augmented split keeps only its 8-bit sources: each shown whole, resized to the output,
    // without flip or colour (fixed inputs, e.g. for the importance diagnostics)
    const src = split.augment;
    const ids = Int32Array.from({ length: to - from }, (_, i) => idx[from + i]);
    const x = augmentBatch(gatherSourceBytes(src, ids), plainAugmentParams(ids.length, src.shape), { srcShape: src.shape, outSize: [split.shape[1], split.shape[2]], normalize: src.normalize });
    return { x, y: tensor(Float32Array.from(ids, (k) => split.y[k]), [ids.length]) };
  }
  const [c, h, w] = split.shape;
  const per = c * h * w;
  const xs = new Float32Array((to - from) * per);
  const ys = new Float32Array(to - from);
  for (let i = from; i < to; i++) {
    const k = idx[i];
    xs.set(split.images.subarray(k * per, (k + 1) * per), (i - from) * per);
    ys[i - from] = split.y[k];
  }
  return { x: tensor(xs, [to - from, c, h, w]), y: tensor(ys, [to - from]) };
}

/** A whole split through the model in eval mode, `head` applied to each batch's logits, read back. */
async function forwardSplit(model: Module, split: TwoFeatureSplit, head: (logits: Tensor) => Tensor, batch: number): Promise<Float32Array> {
  model.eval();
  const all = Int32Array.from({ length: split.n }, (_, i) => i);
  const parts: Tensor[] = [];
  for (let s = 0; s < split.n; s += batch) {
    const e = Math.min(split.n, s + batch);
    parts.push(keep(noGrad(() => scope(() => head(model.forward(gather(split, all, s, e).x))))));
  }
  const joined = parts.length === 1 ? parts[0] : noGrad(() => concat(parts, 0));
  const out = await joined.read();
  for (const p of parts) p.dispose();
  if (parts.length > 1) joined.dispose();
  return out;
}

/** Predicted task labels of a whole split (eval mode). */
export function predict(model: Module & { features(x: Tensor): Tensor }, split: TwoFeatureSplit, batch = 256): Promise<Float32Array> {
  return forwardSplit(model, split, (logits) => argmax(logits, -1), batch);
}

/** Logits [n, classes] of a whole split (eval mode), read back: what JTT and USEFUL identify examples by. */
export function trainLogits(model: Module & { features(x: Tensor): Tensor }, split: TwoFeatureSplit, batch = 256): Promise<Float32Array> {
  return forwardSplit(model, split, (logits) => logits, batch);
}

export function groupAccuracy(split: TwoFeatureSplit, pred: Float32Array): { acc: number; groups: Record<string, number>; worst: number } {
  const hit = new Map<number, [number, number]>();
  let correct = 0;
  for (let i = 0; i < split.n; i++) {
    const ok = pred[i] === split.y[i] ? 1 : 0;
    correct += ok;
    const g = split.group[i];
    const h = hit.get(g) ?? [0, 0];
    hit.set(g, [h[0] + ok, h[1] + 1]);
  }
  const groups: Record<string, number> = {};
  for (const [g, [c, n]] of [...hit].sort((a, b) => a[0] - b[0])) groups[String(g)] = c / n;
  return { acc: correct / split.n, groups, worst: Math.min(...Object.values(groups)) };
}

/** Σ_g p_train(g) · acc_test(g) over the groups the test split has; NaN when none of train's groups is in it. */
export function inDistributionAccuracy(train: TwoFeatureSplit, testGroups: Record<string, number>): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < train.n; i++) counts.set(train.group[i], (counts.get(train.group[i]) ?? 0) + 1);
  let acc = 0;
  let mass = 0;
  for (const [g, c] of counts) {
    if (!(String(g) in testGroups)) continue;
    acc += c * testGroups[String(g)];
    mass += c;
  }
  return mass ? acc / mass : NaN;
}

