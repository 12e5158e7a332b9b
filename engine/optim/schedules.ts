// Learning-rate schedules with PyTorch's closed forms, as functions of the step (or epoch)
// count, and a scheduler that writes them into an optimizer's `lr`.
import { SamgpuError } from '../device/errors.ts';
import { noMoreThan, show } from '../args.ts';

/**
 * A learning rate (or other number) argument. PyTorch's schedulers take the optimizer first
 * (StepLR(optimizer, step_size)); ours take the base rate and LRScheduler applies them, so an
 * optimizer here is a mistake worth naming.
 */
function rate(op: string, name: string, v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  const hint = v && typeof v === 'object' && 'lr' in v ? ` (schedules take the base learning rate; apply one with new LRScheduler(optimizer, ${op}(…)))` : '';
  throw new SamgpuError(`${op}: ${name} must be a finite number, got ${show(v)}${hint}`);
}

export type Schedule = (t: number) => number;

/** StepLR: base·γ^⌊t/stepSize⌋ */
export function stepLR(base: number, stepSize: number, gamma = 0.1): Schedule {
  rate('stepLR', 'base', base);
  rate('stepLR', 'gamma', gamma);
  if (typeof stepSize !== 'number' || !(stepSize > 0)) throw new SamgpuError(`stepLR: stepSize must be > 0, got ${stepSize}`);
  return (t) => base * gamma ** Math.floor(t / stepSize);
}

/** CosineAnnealingLR: η_min + (base − η_min)(1 + cos(π t / T_max))/2 */
export function cosineLR(base: number, tMax: number, etaMin = 0): Schedule {
  rate('cosineLR', 'base', base);
  rate('cosineLR', 'etaMin', etaMin);
  if (typeof tMax !== 'number' || !(tMax > 0)) throw new SamgpuError(`cosineLR: tMax must be > 0, got ${tMax}`);
  return (t) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * Math.min(t, tMax)) / tMax))) / 2;
}

/** LinearLR-style warm-up: the factor goes from startFactor to 1 over `steps`, then `after` takes over (shifted). */
export function linearWarmup(after: Schedule, steps: number, startFactor = 1 / 3): Schedule {
  if (typeof after !== 'function') throw new SamgpuError(`linearWarmup: the first argument is the schedule after the warm-up (e.g. cosineLR(0.1, 1000)), got ${show(after)}`);
  rate('linearWarmup', 'startFactor', startFactor);
  if (typeof steps !== 'number' || !(steps >= 0)) throw new SamgpuError(`linearWarmup: steps must be >= 0, got ${steps}`);
  return (t) => (t < steps ? after(0) * (startFactor + ((1 - startFactor) * t) / steps) : after(t - steps));
}

export function constantLR(base: number): Schedule {
  rate('constantLR', 'base', base);
  return () => base;
}

export class LRScheduler {
  #t = 0;
  constructor(readonly optimizer: { lr: number }, readonly schedule: Schedule) {
    noMoreThan('LRScheduler', arguments, 2);
    if (!optimizer || typeof optimizer !== 'object' || typeof optimizer.lr !== 'number') throw new SamgpuError(`LRScheduler: the first argument is an optimizer (SGD or SAM), got ${show(optimizer)}`);
    if (typeof schedule !== 'function') throw new SamgpuError(`LRScheduler: the second argument is a schedule (stepLR, cosineLR, …: a function of the step), got ${show(schedule)}`);
    optimizer.lr = schedule(0);
  }
  /** Advance one step (or epoch) and set the optimizer's learning rate. */
  step(): void {
    this.#t++;
    this.optimizer.lr = this.schedule(this.#t);
  }
  get t(): number {
    return this.#t;
  }
  set t(v: number) {
    this.#t = v;
    this.optimizer.lr = this.schedule(v);
  }
}
