// The live training loop shared by the toy and the CNN: SGD / SAM / LSAM steps, and at the
// monitored steps the loss, the accuracy and SAM's per-example importance weights λ (at θ) and
// λ̃ (at the phantom point θ̃) read back for the page's curves; feature probes at the probe steps.
// For SGD, θ̃ is a counterfactual: SAM's ascent from θ (radius ρ) is taken at the monitored steps
// only, λ̃ measured there, and θ restored exactly before the SGD update.
import type { Tensor } from '../../engine/tensor.ts';
import { keep, scope } from '../../engine/scope.ts';
import { noGrad } from '../../engine/autograd/grad-mode.ts';
import { backward } from '../../engine/autograd/backward.ts';
import { clone } from '../../engine/ops/elementwise.ts';
import type { Module } from '../../engine/nn/module.ts';
import type { SGD } from '../../engine/optim/sgd.ts';
import { GatedOptimizer } from '../../experiments/toy/train.ts';
import { SAM } from '../../engine/optim/sam.ts';
import { gini, lorenz, type Lorenz } from '../../experiments/metrics.ts';
import { monitorSteps, type LiveSettings } from './settings.ts';

/** One monitored step: measurements at θ (before the step's update) and at θ̃. */
export interface LivePoint {
  step: number;
  loss: number;
  accuracy: number;
  lossPhantom: number;
  gini: number;
  giniPhantom: number;
  /** Seconds since the run started (not compared across machines). */
  seconds: number;
}

export interface ProbePoint {
  step: number;
  /** Linear-probe test error of the easy and of the hard feature. */
  easyError: number;
  hardError: number;
  /** The network's own accuracy on the (decorrelated) probe test set, where measured. */
  testAccuracy?: number;
  seconds?: number;
}

export interface LiveUpdate {
  point: LivePoint;
  /** λ and λ̃ of the monitored batch, and their Lorenz curves. */
  lambda: Float32Array;
  lambdaPhantom: Float32Array;
  lorenz: { real: Lorenz; phantom: Lorenz };
}

export interface LiveResult {
  settings: LiveSettings;
  points: LivePoint[];
  probes: ProbePoint[];
  /** ‖θ‖ at the end and ‖θ − θ₀‖ (the distance travelled), over every parameter. */
  paramNorm: number;
  paramDistance: number;
  /** Steps done (less than settings.steps when stopped). */
  stepsDone: number;
  stopped: boolean;
  seconds: number;
}

export interface LiveHooks {
  onUpdate?: (u: LiveUpdate) => void;
  onProbeStart?: (step: number) => void;
  onProbe?: (p: ProbePoint) => void;
  /** Polled between steps. */
  shouldStop?: () => boolean;
}

/** What a dataset contributes to the loop. */
export interface LiveTask {
  readonly model: Module;
  readonly sgd: SGD;
  /** Step s's batch (a measure-only final step gets batch `steps`); `release` frees what it uploaded. */
  batch(step: number): { x: Tensor; y: Tensor; release(): void };
  /** Forward on a batch: the mean loss (on the tape); with `measure`, also λ [n] and the accuracy (no grad). */
  forward(x: Tensor, y: Tensor, measure: boolean): { loss: Tensor; lambda?: Tensor; accuracy?: Tensor };
  probe(step: number): Promise<ProbePoint>;
  dispose(): void;
}


interface Measured {
  loss: Tensor;
  lambda: Tensor;
  accuracy: Tensor;
}

/** Keep a pass's measurements past the closure's scope (the loss as a copy: SAM disposes pass 1's). */
function hold(out: { loss: Tensor; lambda?: Tensor; accuracy?: Tensor }): Measured {
  return { loss: keep(noGrad(() => clone(out.loss))), lambda: keep(out.lambda!), accuracy: keep(out.accuracy!) };
}

async function readMeasured(m: Measured): Promise<{ loss: number; accuracy: number; lambda: Float32Array }> {
  const out = { loss: await m.loss.item(), accuracy: await m.accuracy.item(), lambda: await m.lambda.read() };
  for (const t of [m.loss, m.lambda, m.accuracy]) t.dispose();
  return out;
}

function norm(v: Float32Array, minus?: Float32Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) {
    const d = minus ? v[i] - minus[i] : v[i];
    s += d * d;
  }
  return Math.sqrt(s);
}

export async function trainLive(task: LiveTask, s: LiveSettings, hooks: LiveHooks = {}): Promise<LiveResult> {
  const t0 = performance.now();
  const gate = new GatedOptimizer(task.sgd);
  const sam = new SAM(task.model, gate, { rho: s.rho, perturb: s.optimizer === 'lsam' ? 'last' : 'all' });
  const monitors = new Set(monitorSteps(s.steps, s.every));
  const probeAt = new Set(!s.probes ? [] : s.probeEvery > 0 ? monitorSteps(s.steps, s.probeEvery) : [s.steps]);
  const theta0 = await task.sgd.flat.data.read();
  const result: LiveResult = { settings: s, points: [], probes: [], paramNorm: 0, paramDistance: 0, stepsDone: 0, stopped: false, seconds: 0 };
  try {
    for (let step = 0; step <= s.steps; step++) {
      if (hooks.shouldStop?.()) {
        result.stopped = true;
        break;
      }
      if (probeAt.has(step)) {
        hooks.onProbeStart?.(step);
        const p = { ...(await task.probe(step)), seconds: (performance.now() - t0) / 1000 };
        result.probes.push(p);
        hooks.onProbe?.(p);
      }
      const monitored = monitors.has(step);
      const update = step < s.steps;
      if (!monitored && !update) continue;
      const b = task.batch(step);
      const m: { real?: Measured; phantom?: Measured } = {};
      if (s.optimizer === 'sgd') {
        task.sgd.zeroGrad();
        scope(() => {
          const out = task.forward(b.x, b.y, monitored);
          if (monitored) m.real = hold(out);
          backward(out.loss);
        });
        if (monitored) {
          sam.ascend();
          m.phantom = noGrad(() => scope(() => hold(task.forward(b.x, b.y, true))));
          gate.enabled = false;
          sam.descend(); // back to θ exactly, no step: the SGD step below uses the gradient at θ
          gate.enabled = true;
        }
        if (update) task.sgd.step();
      } else {
        gate.enabled = update; // a measure-only final step visits θ̃ and comes back
        const loss = sam.step((pass) => {
          const out = task.forward(b.x, b.y, monitored);
          if (monitored) {
            if (pass === 0) m.real = hold(out);
            else m.phantom = hold(out);
          }
          backward(out.loss);
          return out.loss;
        });
        loss.dispose();
        gate.enabled = true;
      }
      b.release();
      if (update) result.stepsDone = step + 1;
      if (monitored) {
        const r = await readMeasured(m.real!);
        const p = await readMeasured(m.phantom!);
        const point: LivePoint = {
          step, loss: r.loss, accuracy: r.accuracy, lossPhantom: p.loss, gini: gini(r.lambda), giniPhantom: gini(p.lambda),
          seconds: (performance.now() - t0) / 1000,
        };
        result.points.push(point);
        hooks.onUpdate?.({
          point, lambda: r.lambda, lambdaPhantom: p.lambda,
          lorenz: { real: lorenz(r.lambda, Math.min(101, r.lambda.length + 1)), phantom: lorenz(p.lambda, Math.min(101, p.lambda.length + 1)) },
        });
      }
    }
    const theta = await task.sgd.flat.data.read();
    result.paramNorm = norm(theta);
    result.paramDistance = norm(theta, theta0);
  } finally {
    sam.dispose();
    task.sgd.dispose();
    task.dispose();
  }
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}
