// Training-step timings of the paper's small CNN (batch 128, 3×64×32): SGD, SAM, LSAM, and SAM
// with the per-example importance weights λ (pass 0) and λ̃ (pass 1) computed each step.
import { backward, keep, scope, tensor, Rng, type Runtime, type Tensor } from '../engine/index.ts';
import { SmallCNN } from '../engine/models/index.ts';
import { SGD, SAM } from '../engine/optim/index.ts';
import { crossEntropy, softmaxImportanceWeights } from '../engine/ops/loss.ts';
import { noGrad } from '../engine/autograd/grad-mode.ts';

export const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

export interface StepTiming {
  name: string;
  medianMs: number;
  reps: number;
}

export interface Batch {
  x: Tensor;
  y: Tensor;
}

export function paperBatch(rt: Runtime, n = 128): Batch {
  const rng = new Rng(1);
  const labels = new Float32Array(n);
  for (let i = 0; i < n; i++) labels[i] = i % 2;
  return { x: tensor(rng.uniform(n * 3 * 64 * 32), [n, 3, 64, 32], rt), y: tensor(labels, [n], rt) };
}

export function paperModel(): SmallCNN {
  return new SmallCNN({ inChannels: 3, height: 64, width: 32, classes: 2, rng: new Rng(2) });
}

/** Median ms of `step` (each followed by a sync), after warm-up steps that compile pipelines. */
export async function timeSteps(rt: Runtime, name: string, step: () => void, reps = 7, warmup = 2): Promise<StepTiming> {
  for (let i = 0; i < warmup; i++) {
    step();
    await rt.sync();
  }
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    step();
    await rt.sync();
    ts.push(performance.now() - t);
  }
  return { name, medianMs: median(ts), reps };
}

/**
 * Steps of each kind, interleaved round by round (sgd, sam, lsam, … then again) so that drift in
 * the machine's speed (other load, frequency) falls on every kind alike; medians per kind.
 */
export async function benchTrainSteps(rt: Runtime, which: ('sgd' | 'sam' | 'lsam' | 'sam+weights')[], reps = 9, warmup = 2): Promise<{ timings: StepTiming[]; samExtraBytes: number; paramBytes: number }> {
  const { x, y } = paperBatch(rt);
  let samExtraBytes = 0;
  let paramBytes = 0;
  const steps: { kind: string; step: () => void; dispose: () => void }[] = [];
  for (const kind of which) {
    const model = paperModel();
    const sgd = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
    paramBytes = sgd.flat.total * 4;
    const closure = () => {
      const l = crossEntropy(model.forward(x), y);
      backward(l);
      return l;
    };
    if (kind === 'sgd') {
      steps.push({
        kind,
        step: () => {
          sgd.zeroGrad();
          scope(closure).dispose();
          sgd.step();
        },
        dispose: () => model.dispose(),
      });
      continue;
    }
    const sam = new SAM(model, sgd, { rho: 0.05, perturb: kind === 'lsam' ? 'last' : 'all' });
    samExtraBytes = sam.extraBytes;
    const weights: Tensor[] = [];
    const withWeights = (pass: 0 | 1) => {
      const logits = model.forward(x);
      // λ (pass 0) / λ̃ (pass 1) from the logits already on the GPU; kept there, no readback.
      weights[pass]?.dispose();
      weights[pass] = keep(noGrad(() => softmaxImportanceWeights(logits, y)));
      const l = crossEntropy(logits, y);
      backward(l);
      return l;
    };
    steps.push({
      kind,
      step: () => sam.step(kind === 'sam+weights' ? withWeights : closure).dispose(),
      dispose: () => {
        sam.dispose();
        model.dispose();
      },
    });
  }
  const times = new Map<string, number[]>(steps.map((s) => [s.kind, []]));
  for (let r = 0; r < warmup + reps; r++) {
    for (const s of steps) {
      const t = performance.now();
      s.step();
      await rt.sync();
      if (r >= warmup) times.get(s.kind)!.push(performance.now() - t);
    }
  }
  for (const s of steps) s.dispose();
  return { timings: steps.map((s) => ({ name: s.kind, medianMs: median(times.get(s.kind)!), reps })), samExtraBytes, paramBytes };
}
