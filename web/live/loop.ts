// The live training loop shared by the toy and the CNN: SGD / SAM / LSAM steps, and at the
// monitored steps the loss, the accuracy and the per-example importance weights λ (at θ) and,
// for SAM and LSAM, λ̃ (at the phantom point θ̃ that the descent uses) read back for the page's
// curves; the network's accuracy on the decorrelated split at the evaluation steps, and feature
// probes at the probe steps.
//
// Stopping: `shouldStop` is polled between steps, and while a probe fit or an evaluation is in
// flight (every STOP_POLL_MS). GPU work already queued cannot be cancelled: a stopped run
// returns at once, hands the unfinished work to `onAbandoned`, and frees its tensors when that
// work has settled.
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

const STOP_POLL_MS = 100;

/** One monitored step: measurements at θ (before the step's update) and, for SAM and LSAM, at θ̃. */
export interface LivePoint {
  step: number;
  loss: number;
  /** On the training batch. */
  accuracy: number;
  gini: number;
  /** SAM and LSAM only: at the phantom point θ̃ (SGD has none). */
  lossPhantom?: number;
  giniPhantom?: number;
  /** Seconds since the run started (not compared across machines). */
  seconds: number;
}

export interface ProbePoint {
  step: number;
  /** Linear-probe test error of the easy and of the hard feature. */
  easyError: number;
  hardError: number;
  seconds?: number;
}

/** The network's own predictions on the decorrelated split, scored against each feature's label. */
export interface EvalPoint {
  step: number;
  /** Agreement with the hard feature's label (the task's label for the dominoes) and with the easy one's. */
  accuracyHard: number;
  accuracyEasy: number;
  seconds?: number;
}

export interface LiveUpdate {
  point: LivePoint;
  /** λ (and for SAM λ̃) of the monitored batch, and their Lorenz curves. */
  lambda: Float32Array;
  lambdaPhantom: Float32Array | null;
  lorenz: { real: Lorenz; phantom: Lorenz | null };
}

export interface LiveResult {
  settings: LiveSettings;
  points: LivePoint[];
  probes: ProbePoint[];
  evals: EvalPoint[];
  /** ‖θ‖ at the end and ‖θ − θ₀‖ (the distance travelled), over every parameter (NaN when stopped). */
  paramNorm: number;
  paramDistance: number;
  /** Steps done (less than settings.steps when stopped). */
  stepsDone: number;
  stopped: boolean;
  seconds: number;
}

export type LivePhase = 'probe' | 'evaluate';

export interface LiveHooks {
  onUpdate?: (u: LiveUpdate) => void;
  /** A long phase starts (probe fits, the decorrelated evaluation) at `step`. */
  onPhase?: (phase: LivePhase, step: number) => void;
  onProbe?: (p: ProbePoint) => void;
  onEval?: (e: EvalPoint) => void;
  /** Polled between steps and during the long phases. */
  shouldStop?: () => boolean;
  /** A stop left GPU work in flight: this settles when it is done (the run's tensors are freed then). */
  onAbandoned?: (pending: Promise<unknown>) => void;
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
  evaluate(step: number): Promise<EvalPoint>;
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

class Stopped {
  constructor(readonly pending: Promise<unknown>) {}
}

/** `work`, unless `shouldStop` turns true first: then a Stopped holding the unfinished work. */
function unlessStopped<T>(work: Promise<T>, shouldStop?: () => boolean): Promise<T | Stopped> {
  if (!shouldStop) return work;
  let timer: ReturnType<typeof setInterval> | undefined;
  const stopped = new Promise<Stopped>((resolve) => {
    timer = setInterval(() => shouldStop() && resolve(new Stopped(work)), STOP_POLL_MS);
  });
  return Promise.race([work, stopped]).finally(() => clearInterval(timer));
}

export async function trainLive(task: LiveTask, s: LiveSettings, hooks: LiveHooks = {}): Promise<LiveResult> {
  const t0 = performance.now();
  const secs = () => (performance.now() - t0) / 1000;
  const gate = new GatedOptimizer(task.sgd);
  const sam = s.optimizer === 'sgd' ? null : new SAM(task.model, gate, { rho: s.rho, perturb: s.optimizer === 'lsam' ? 'last' : 'all' });
  const monitors = new Set(monitorSteps(s.steps, s.every));
  const probeAt = new Set(!s.probes ? [] : s.probeEvery > 0 ? monitorSteps(s.steps, s.probeEvery) : [s.steps]);
  const evalAt = new Set(s.evalEvery > 0 ? monitorSteps(s.steps, s.evalEvery) : [s.steps]);
  const theta0 = await task.sgd.flat.data.read();
  const result: LiveResult = { settings: s, points: [], probes: [], evals: [], paramNorm: NaN, paramDistance: NaN, stepsDone: 0, stopped: false, seconds: 0 };
  let abandoned: Promise<unknown> | null = null;
  /** A long phase, abandoned (and the run stopped) if the user stops meanwhile. */
  const phase = async <T>(name: LivePhase, step: number, work: () => Promise<T>): Promise<T | null> => {
    hooks.onPhase?.(name, step);
    const r = await unlessStopped(work(), hooks.shouldStop);
    if (!(r instanceof Stopped)) return r;
    abandoned = r.pending.catch(() => {});
    result.stopped = true;
    return null;
  };
  try {
    for (let step = 0; step <= s.steps; step++) {
      if (hooks.shouldStop?.()) {
        result.stopped = true;
        break;
      }
      if (evalAt.has(step)) {
        const e = await phase('evaluate', step, () => task.evaluate(step));
        if (!e) break;
        const ev = { ...e, seconds: secs() };
        result.evals.push(ev);
        hooks.onEval?.(ev);
      }
      if (probeAt.has(step)) {
        const p = await phase('probe', step, () => task.probe(step));
        if (!p) break;
        const pr = { ...p, seconds: secs() };
        result.probes.push(pr);
        hooks.onProbe?.(pr);
      }
      const monitored = monitors.has(step);
      const update = step < s.steps;
      if (!monitored && !update) continue;
      const b = task.batch(step);
      const m: { real?: Measured; phantom?: Measured } = {};
      if (!sam) {
        task.sgd.zeroGrad();
        scope(() => {
          const out = task.forward(b.x, b.y, monitored);
          if (monitored) m.real = hold(out);
          backward(out.loss);
        });
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
        const p = m.phantom ? await readMeasured(m.phantom) : null;
        const point: LivePoint = {
          step, loss: r.loss, accuracy: r.accuracy, gini: gini(r.lambda),
          ...(p ? { lossPhantom: p.loss, giniPhantom: gini(p.lambda) } : {}),
          seconds: secs(),
        };
        result.points.push(point);
        const curve = (l: Float32Array) => lorenz(l, Math.min(101, l.length + 1));
        hooks.onUpdate?.({ point, lambda: r.lambda, lambdaPhantom: p?.lambda ?? null, lorenz: { real: curve(r.lambda), phantom: p ? curve(p.lambda) : null } });
      }
    }
    if (!abandoned) {
      const theta = await task.sgd.flat.data.read();
      result.paramNorm = norm(theta);
      result.paramDistance = norm(theta, theta0);
    }
  } finally {
    const release = () => {
      sam?.dispose();
      task.sgd.dispose();
      task.dispose();
    };
    if (abandoned) {
      const done = (abandoned as Promise<unknown>).finally(release);
      hooks.onAbandoned?.(done);
    } else {
      release();
    }
  }
  result.seconds = secs();
  return result;
}
