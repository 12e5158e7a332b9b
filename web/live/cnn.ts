// The live CNN: the paper's small CNN (the runner's model and initialization for a seed) trained
// on a two-feature dataset (FMNIST-MNIST dominoes) with softmax cross-entropy, minibatches in the
// runner's per-epoch order; probes of the easy and hard feature on group-balanced subsets of the
// validation (fit) and test splits, and the network's own predictions on a (smaller) balanced
// subset of the decorrelated test split, scored against each feature's label.
import { tensor, type Tensor } from '../../engine/tensor.ts';
import { keep, scope } from '../../engine/scope.ts';
import { Rng } from '../../engine/random.ts';
import { noGrad } from '../../engine/autograd/grad-mode.ts';
import { crossEntropy, softmaxImportanceWeights } from '../../engine/ops/loss.ts';
import { accuracy } from '../../engine/ops/select.ts';
import { SGD } from '../../engine/optim/sgd.ts';
import type { SmallCNN } from '../../engine/models/small-cnn.ts';
import type { TwoFeatureDataset, TwoFeatureSplit } from '../../experiments/data/types.ts';
import { buildModel, gather } from '../../experiments/runner/train.ts';
import { epochOrder } from '../../experiments/data/batches.ts';
import { DEFAULTS, validateConfig } from '../../experiments/runner/config.ts';
import { balancedIndices, extractFeatures } from '../../experiments/probe/feature-probes.ts';
import { fitLinearProbes } from '../../experiments/probe/probe.ts';
import type { EvalPoint, LiveTask, ProbePoint } from './loop.ts';
import type { LiveSettings } from './settings.ts';

/** L2 strength of the live probes (one value, no selection: the page favours speed over the paper's protocol). */
export const LIVE_PROBE_L2 = 1e-2;
const PROBE_TOL = 1e-3;
const PROBE_MAX_ITER = 300;

export function cnnTask(s: LiveSettings, data: TwoFeatureDataset): LiveTask {
  const run = validateConfig({ seed: s.seed, model: { name: 'small-cnn' }, optimizer: { name: s.optimizer, lr: s.lr, rho: s.rho } });
  const model = buildModel(run, data) as SmallCNN;
  const o = DEFAULTS.optimizer;
  const sgd = new SGD(model.parameters(), { lr: s.lr, momentum: o.momentum, weightDecay: o.weightDecay });
  const train = data.splits.train;
  const perEpoch = Math.ceil(train.n / s.batchSize);
  const orders = new Map<number, Int32Array>();
  const order = (epoch: number) => {
    if (!orders.has(epoch)) {
      orders.clear();
      orders.set(epoch, epochOrder(train.n, s.seed, epoch));
    }
    return orders.get(epoch)!;
  };
  // Probe subsets, fixed for the run: every (easy, hard) group equally represented.
  const rng = new Rng(s.seed ^ 0x9e3779b9);
  const { val, test } = data.splits;
  const fitIdx = balancedIndices(val, rng, s.probeSize);
  const testIdx = balancedIndices(test, rng, s.probeSize);
  const labels = (split: TwoFeatureSplit, idx: number[]) => [Float64Array.from(idx, (i) => split.easy[i]), Float64Array.from(idx, (i) => split.hard[i])];
  const classes = Math.max(data.features.easy.classes.length, data.features.hard.classes.length);
  // The decorrelated evaluation set: evalSize examples per (easy, hard) group (all when 0).
  const evalIdx = balancedIndices(test, new Rng(s.seed ^ 0x2545f491), s.evalSize);
  const evalLabels = (k: 'easy' | 'hard') => keep(tensor(Float32Array.from(evalIdx, (i) => test[k][i]), [evalIdx.length]));
  const evalEasy = evalLabels('easy');
  const evalHard = evalLabels('hard');
  return {
    model,
    sgd,
    batch(step) {
      const epoch = Math.floor(step / perEpoch);
      const b = step % perEpoch;
      const { x, y } = gather(train, order(epoch), b * s.batchSize, Math.min(train.n, (b + 1) * s.batchSize));
      return { x, y, release: () => (x.dispose(), y.dispose()) };
    },
    forward(x, y, measure) {
      const logits = model.forward(x);
      const loss = crossEntropy(logits, y);
      if (!measure) return { loss };
      return noGrad(() => ({ loss, lambda: softmaxImportanceWeights(logits, y), accuracy: accuracy(logits, y) }));
    },
    async evaluate(step): Promise<EvalPoint> {
      const f = extractFeatures(model, test, evalIdx); // eval mode
      model.train();
      const [hard, easy] = noGrad(() => scope(() => {
        const logits = model.head.forward(f);
        return [accuracy(logits, evalHard), accuracy(logits, evalEasy)];
      }));
      f.dispose();
      try {
        return { step, accuracyHard: await hard.item(), accuracyEasy: await easy.item() };
      } finally {
        hard.dispose();
        easy.dispose();
      }
    },
    async probe(step): Promise<ProbePoint> {
      const fFit = extractFeatures(model, val, fitIdx);
      const fTest = extractFeatures(model, test, testIdx);
      model.train();
      // [1, n, d] views: fitLinearProbes makes (and keeps) its own view of rank-2 features.
      const [fit3, test3] = [fFit, fTest].map((f) => f.view([1, ...f.shape]));
      try {
        const r = await fitLinearProbes(
          { x: fit3, labels: labels(val, fitIdx) }, { x: test3, labels: labels(test, testIdx) },
          { l2: LIVE_PROBE_L2, classes, tol: PROBE_TOL, maxIter: PROBE_MAX_ITER },
        );
        return { step, easyError: 1 - r.testAccuracy[0][0], hardError: 1 - r.testAccuracy[0][1] };
      } finally {
        for (const t of [fFit, fTest, fit3, test3]) t.dispose();
      }
    },
    dispose() {
      evalEasy.dispose();
      evalHard.dispose();
      model.dispose();
      sgd.flat.data.dispose();
      sgd.flat.grad.dispose();
    },
  };
}
