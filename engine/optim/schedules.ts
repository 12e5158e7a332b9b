// Learning-rate schedules with PyTorch's closed forms, as functions of the step (or epoch)
// count, and a scheduler that writes them into an optimizer's `lr`.
import { SamgpuError } from '../device/errors.ts';

export type Schedule = (t: number) => number;

/** StepLR: base·γ^⌊t/stepSize⌋ */
export function stepLR(base: number, stepSize: number, gamma = 0.1): Schedule {
  if (!(stepSize > 0)) throw new SamgpuError(`stepLR: stepSize must be > 0, got ${stepSize}`);
  return (t) => base * gamma ** Math.floor(t / stepSize);
}

/** CosineAnnealingLR: η_min + (base − η_min)(1 + cos(π t / T_max))/2 */
export function cosineLR(base: number, tMax: number, etaMin = 0): Schedule {
  if (!(tMax > 0)) throw new SamgpuError(`cosineLR: tMax must be > 0, got ${tMax}`);
  return (t) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * Math.min(t, tMax)) / tMax))) / 2;
}

/** LinearLR-style warm-up: the factor goes from startFactor to 1 over `steps`, then `after` takes over (shifted). */
export function linearWarmup(after: Schedule, steps: number, startFactor = 1 / 3): Schedule {
  if (!(steps >= 0)) throw new SamgpuError(`linearWarmup: steps must be >= 0, got ${steps}`);
  return (t) => (t < steps ? after(0) * (startFactor + ((1 - startFactor) * t) / steps) : after(t - steps));
}

export function constantLR(base: number): Schedule {
  return () => base;
}

export class LRScheduler {
  #t = 0;
  constructor(readonly optimizer: { lr: number }, readonly schedule: Schedule) {
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
