// One training run of the toy on the GPU engine: a model structure, a method, a seed.
// Nothing is read back while training: at the recorded steps the real and phantom losses,
// importance weights λ, λ̃ and last layers v, ṽ are copied (copy commands, in stream order)
// into GPU history buffers, and at the probe steps the probe sets' features into a
// feature buffer; all of it is read once at the end and summarized on the CPU.
import type { Tensor } from '../../engine/tensor.ts';
import { empty, tensor } from '../../engine/tensor.ts';
import { keep, scope } from '../../engine/scope.ts';
import { Rng } from '../../engine/random.ts';
import { noGrad } from '../../engine/autograd/grad-mode.ts';
import { backward } from '../../engine/autograd/backward.ts';
import { affine, clone, full } from '../../engine/ops/elementwise.ts';
import { mean } from '../../engine/ops/reduce.ts';
import { mul } from '../../engine/ops/binary.ts';
import { logisticImportanceWeights, logisticLoss } from '../../engine/ops/loss.ts';
import { SGD, type Optimizer } from '../../engine/optim/sgd.ts';
import { SAM } from '../../engine/optim/sam.ts';
import type { Method, Structure, ToyConfig } from './config.ts';
import { inputDim, type ToyProbeSet, type ToyTrainSet } from './data.ts';
import { ToyNet } from './model.ts';

/** SAM's base optimizer, with its step switched off where SAM is only used to reach θ̃ and come back. */
export class GatedOptimizer implements Optimizer {
  enabled = true;
  constructor(readonly inner: SGD) {}
  get lr(): number {
    return this.inner.lr;
  }
  set lr(v: number) {
    this.inner.lr = v;
  }
  get flat() {
    return this.inner.flat;
  }
  step(): void {
    if (this.enabled) this.inner.step();
  }
  zeroGrad(): void {
    this.inner.zeroGrad();
  }
}

export interface ToyData {
  train: ToyTrainSet;
  probeFit: ToyProbeSet;
  probeTest: ToyProbeSet;
}

/** Raw histories read back from the GPU after a run (row r = recorded step r). */
export interface RunTrace {
  structure: Structure;
  method: Method;
  seed: number;
  rho: number;
  /** Steps at which the state was recorded (before that step's update; the last is the final state). */
  steps: number[];
  loss: Float32Array;
  lossPhantom: Float32Array;
  /** [R·n] importance weights at θ and θ̃. */
  lambda: Float32Array;
  lambdaPhantom: Float32Array;
  /** [R·units] last layer at θ and θ̃. */
  head: Float32Array;
  headPhantom: Float32Array;
  /** Steps at which probe features were taken, and the features [P, n, units] of the fit and test probe sets. */
  probeSteps: number[];
  probeFitFeatures: Tensor;
  probeTestFeatures: Tensor;
  units: number;
  easyUnits: number;
  wallMs: number;
  dispatches: number;
}

/** Recorded steps: every step before `denseUntil`, then every `every`, and the last one. */
export function recordSchedule(steps: number, every: number, denseUntil: number): number[] {
  if (!Number.isInteger(every) || every < 1) throw new Error(`toy: recordEvery must be an integer ≥ 1, got ${every}`);
  const out: number[] = [];
  for (let s = 0; s <= steps; s += s < denseUntil ? 1 : every) out.push(s);
  if (out[out.length - 1] !== steps) out.push(steps);
  return out;
}

/** The probe steps that fall in [0, steps], sorted, always including 0 and the last step. */
export function probeSchedule(steps: number, at: number[]): number[] {
  return [...new Set([0, ...at.filter((s) => Number.isInteger(s) && s >= 0 && s <= steps), steps])].sort((a, b) => a - b);
}

/** Train one model; the probe feature tensors in the trace are the caller's to dispose. */
export async function trainToy(cfg: ToyConfig, structure: Structure, method: Method, seed: number, data: ToyData): Promise<RunTrace> {
  const t0 = performance.now();
  const { train: tc, model: mc } = cfg;
  const d = inputDim(cfg.data);
  const n = data.train.n;
  const x = keep(tensor(data.train.x, [n, d]));
  const y = keep(tensor(data.train.y, [n, 1]));
  const nf = data.probeFit.n;
  const nt = data.probeTest.n;
  const xp = new Float32Array((nf + nt) * d);
  xp.set(data.probeFit.x);
  xp.set(data.probeTest.x, nf * d);
  const xProbe = keep(tensor(xp, [nf + nt, d]));
  const rt = x.rt;
  const d0 = rt.stats.dispatches;

  const model = new ToyNet(structure, { easyDim: cfg.data.easy.dim, hardDim: cfg.data.hard.dim, ...mc }, new Rng(0x5eed ^ Math.imul(seed + 1, 0x2545f491)));
  const h = model.units;
  const sgd = new SGD(model.parameters(), { lr: tc.lr });
  const gate = new GatedOptimizer(sgd);
  const rho = method === 'lsam' ? tc.rho.lsam : tc.rho.sam;
  const sam = new SAM(model, gate, { rho, perturb: method === 'lsam' ? 'last' : 'all' });
  const head = model.head.weight;

  const recordSteps = recordSchedule(tc.steps, tc.recordEvery, tc.recordDenseUntil);
  const probeSteps = probeSchedule(tc.steps, tc.probeAt);
  const nr = recordSteps.length;
  const hist = {
    loss: keep(empty([nr])), lossT: keep(empty([nr])),
    lam: keep(empty([nr, n])), lamT: keep(empty([nr, n])),
    head: keep(empty([nr, h])), headT: keep(empty([nr, h])),
  };
  const probeFit = keep(empty([probeSteps.length, nf, h]));
  const probeTest = keep(empty([probeSteps.length, nt, h]));
  /** Copy `src` (or `count` elements of it from element `from`) into row `slot` of `dst`. */
  const put = (src: Tensor, dst: Tensor, slot: number, from = 0, count = src.size) => {
    rt.copy(src.storage().buf, dst.storage().buf, count * 4, (src.offset + from) * 4, (dst.offset + slot * count) * 4);
  };
  // The per-example losses are back-propagated with the constant ∂(mean)/∂ℓᵢ = 1/n (three
  // dispatches fewer per pass than a mean and its backward); the mean is taken only to record it.
  const meanGrad = keep(full([n, 1], 1 / n));
  const recordAt = (f: Tensor, perExample: Tensor, r: number, phantom: boolean) => {
    put(logisticImportanceWeights(f, y), phantom ? hist.lamT : hist.lam, r);
    put(noGrad(() => mean(perExample)), phantom ? hist.lossT : hist.loss, r);
    if (phantom) put(head, hist.headT, r);
  };

  let r = 0;
  let pi = 0;
  for (let s = 0; s <= tc.steps; s++) {
    const record = recordSteps[r] === s;
    const update = s < tc.steps;
    if (probeSteps[pi] === s) {
      noGrad(() => scope(() => {
        const phi = model.features(xProbe);
        put(phi, probeFit, pi, 0, nf * h);
        put(phi, probeTest, pi, nf * h, nt * h);
      }));
      pi++;
    }
    if (record) put(head, hist.head, r);

    if (method === 'sam' || method === 'lsam') {
      // The engine's SAM step; at the final (measure-only) step its base step is switched off.
      gate.enabled = update;
      sam.step((pass) => {
        const f = model.forward(x);
        const l = logisticLoss(f, y, { reduction: 'none' });
        if (record) recordAt(f, l, r, pass === 1);
        backward(l, meanGrad);
        return l;
      }).dispose();
    } else {
      sgd.zeroGrad();
      scope(() => {
        const f = model.forward(x);
        const l = logisticLoss(f, y, { reduction: 'none' });
        if (record) recordAt(f, l, r, false);
        backward(l, meanGrad);
      });
      // SGD visits θ̃ only at recorded steps (a counterfactual phantom: SAM's ascent from θ),
      // the phantom-* variants at every step.
      if (method !== 'sgd' || record) {
        sam.ascend();
        const ph = noGrad(() => scope(() => {
          const f = model.forward(x);
          if (record) recordAt(f, logisticLoss(f, y, { reduction: 'none' }), r, true);
          return method === 'sgd' || !update ? null : { lamT: logisticImportanceWeights(f, y), headT: clone(head) };
        }));
        gate.enabled = false;
        sam.descend(); // back to θ exactly; no step
        if (ph) {
          sgd.zeroGrad();
          scope(() => phantomDescentGrad(model, method, x, y, ph.lamT, ph.headT));
          ph.lamT.dispose();
          ph.headT.dispose();
        }
      }
      if (update) sgd.step();
    }
    if (record) r++;
  }

  const read = async (t: Tensor) => {
    const v = await t.read();
    t.dispose();
    return v;
  };
  const trace: RunTrace = {
    structure, method, seed, rho,
    steps: recordSteps,
    loss: await read(hist.loss),
    lossPhantom: await read(hist.lossT),
    lambda: await read(hist.lam),
    lambdaPhantom: await read(hist.lamT),
    head: await read(hist.head),
    headPhantom: await read(hist.headT),
    probeSteps,
    probeFitFeatures: probeFit,
    probeTestFeatures: probeTest,
    units: h,
    easyUnits: mc.easyUnits,
    wallMs: 0,
    dispatches: rt.stats.dispatches - d0,
  };
  for (const t of [x, y, xProbe, meanGrad]) t.dispose();
  model.dispose();
  sgd.flat.data.dispose();
  sgd.flat.grad.dispose();
  trace.wallMs = performance.now() - t0;
  return trace;
}

/**
 * Gradients at the real θ for the disentangling variants, accumulated into `.grad`:
 *  - phantom-weights: ∂L/∂fᵢ = −yᵢ·λ̃ᵢ/n, i.e. ∇ = −(1/n)Σ λ̃ᵢ yᵢ ∇f_θ(xᵢ) (= per-example loss
 *    weights wᵢ = λ̃ᵢ/λᵢ on the real loss, without dividing by a small λᵢ);
 *  - phantom-head: the real loss, but the extractor's gradient flows through ṽ (ToyNet's
 *    forwardWithHeadForExtractor), the head's own gradient through the real features;
 *  - phantom-both: both.
 */
export function phantomDescentGrad(model: ToyNet, method: Method, x: Tensor, y: Tensor, lamT: Tensor, headT: Tensor): void {
  const swapHead = method === 'phantom-head' || method === 'phantom-both';
  const reweight = method === 'phantom-weights' || method === 'phantom-both';
  if (!swapHead && !reweight) throw new Error(`phantomDescentGrad: '${method}' is not a phantom-* variant`);
  const f = swapHead ? model.forwardWithHeadForExtractor(x, headT) : model.forward(x);
  if (reweight) backward(f, affine(mul(y, lamT), -1 / x.shape[0], 0));
  else backward(logisticLoss(f, y, { reduction: 'none' }), full(f.shape, 1 / x.shape[0], f));
}
