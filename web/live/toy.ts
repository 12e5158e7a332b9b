// The live toy: the two-feature data and two-branch ToyNet of experiments/toy with their
// documented defaults, trained full batch (logistic loss, plain gradient descent) by the live
// loop; probes fitted on a decorrelated probe set at the probe steps, and the network's own
// predictions on the decorrelated probe test set scored against each feature's label.
import { tensor, type Tensor } from '../../engine/tensor.ts';
import { keep, scope } from '../../engine/scope.ts';
import { Rng } from '../../engine/random.ts';
import { noGrad } from '../../engine/autograd/grad-mode.ts';
import { full } from '../../engine/ops/elementwise.ts';
import { gt, mul } from '../../engine/ops/binary.ts';
import { mean } from '../../engine/ops/reduce.ts';
import { logisticImportanceWeights, logisticLoss } from '../../engine/ops/loss.ts';
import { SGD } from '../../engine/optim/sgd.ts';
import { makeConfig, type ToyConfig } from '../../experiments/toy/config.ts';
import { inputDim, makeProbeSet, makeTrainSet, type ToyProbeSet, type ToyTrainSet } from '../../experiments/toy/data.ts';
import { ToyNet } from '../../experiments/toy/model.ts';
import { fitLinearProbes } from '../../experiments/probe/probe.ts';
import type { EvalPoint, LiveTask, ProbePoint } from './loop.ts';
import type { LiveSettings } from './settings.ts';

export interface ToyLiveData {
  config: ToyConfig;
  train: ToyTrainSet;
  probeFit: ToyProbeSet;
  probeTest: ToyProbeSet;
}

/** The toy's default data for a seed, with probe sets of `probeSize` examples each. */
export function toyLiveData(seed: number, probeSize: number): ToyLiveData {
  const config = makeConfig();
  return {
    config,
    train: makeTrainSet(config.data, seed),
    probeFit: makeProbeSet(config.data, probeSize, seed, 'fit'),
    probeTest: makeProbeSet(config.data, probeSize, seed, 'test'),
  };
}

const to01 = (y: Float32Array) => Float64Array.from(y, (v) => (v > 0 ? 1 : 0));

export function toyTask(s: LiveSettings, data: ToyLiveData): LiveTask {
  const cfg = data.config;
  const d = inputDim(cfg.data);
  const n = data.train.n;
  const x = keep(tensor(data.train.x, [n, d]));
  const y = keep(tensor(data.train.y, [n, 1]));
  const xFit = keep(tensor(data.probeFit.x, [data.probeFit.n, d]));
  const xTest = keep(tensor(data.probeTest.x, [data.probeTest.n, d]));
  const zero = keep(full([1], 0));
  const testLabel = (y: Float32Array) => keep(tensor(y, [data.probeTest.n, 1]));
  const yTestEasy = testLabel(data.probeTest.yEasy);
  const yTestHard = testLabel(data.probeTest.yHard);
  // The same initialization as experiments/toy/train.ts for a seed.
  const model = new ToyNet('branch', { easyDim: cfg.data.easy.dim, hardDim: cfg.data.hard.dim, ...cfg.model }, new Rng(0x5eed ^ Math.imul(s.seed + 1, 0x2545f491)));
  const sgd = new SGD(model.parameters(), { lr: s.lr });
  const fitLabels = [to01(data.probeFit.yEasy), to01(data.probeFit.yHard)];
  const testLabels = [to01(data.probeTest.yEasy), to01(data.probeTest.yHard)];
  return {
    model,
    sgd,
    batch: () => ({ x, y, release: () => {} }),
    forward(xb, yb, measure) {
      const f = model.forward(xb);
      const loss = logisticLoss(f, yb);
      if (!measure) return { loss };
      return noGrad(() => ({ loss, lambda: logisticImportanceWeights(f, yb).view([n]), accuracy: mean(gt(mul(f, yb), zero)) }));
    },
    async evaluate(step): Promise<EvalPoint> {
      // labels ±1: a prediction agrees with a label where y·f > 0
      const [hard, easy] = noGrad(() => scope(() => {
        const f = model.forward(xTest);
        return [mean(gt(mul(f, yTestHard), zero)), mean(gt(mul(f, yTestEasy), zero))];
      }));
      try {
        return { step, accuracyHard: await hard.item(), accuracyEasy: await easy.item() };
      } finally {
        hard.dispose();
        easy.dispose();
      }
    },
    async probe(step): Promise<ProbePoint> {
      // [1, n, units]: fitLinearProbes makes (and keeps) its own view of rank-2 features.
      const [fFit, fTest] = noGrad(() => scope(() => [model.features(xFit), model.features(xTest)].map((f) => f.view([1, ...f.shape]))));
      try {
        // l2 = 1/n_fit: scikit-learn's C = 1, as the toy's own probes.
        const r = await fitLinearProbes({ x: fFit, labels: fitLabels }, { x: fTest, labels: testLabels }, { l2: 1 / data.probeFit.n });
        return { step, easyError: 1 - r.testAccuracy[0][0], hardError: 1 - r.testAccuracy[0][1] };
      } finally {
        fFit.dispose();
        fTest.dispose();
      }
    },
    dispose() {
      for (const t of [x, y, xFit, xTest, zero, yTestEasy, yTestHard]) t.dispose();
      model.dispose();
      sgd.flat.data.dispose();
      sgd.flat.grad.dispose();
    },
  };
}
