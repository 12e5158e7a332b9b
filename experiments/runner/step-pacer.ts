// How far the CPU may run ahead of the device. The training loop records steps much faster than
// a GPU (or lavapipe) runs them; without a bound, a whole epoch of steps sits in the device's
// queue, and a Ctrl-C or a scheduler's SIGTERM waits for all of them (measured 9–18 s, up to an
// epoch). After submitting a step, the pacer waits until the step before it has finished, so at
// most `depth` + 1 steps are queued and a stop takes effect within about two steps, while the
// device always has the next step queued (no idle gap between steps).
import type { Runtime } from '../../engine/runtime/runtime.ts';

export class StepPacer {
  readonly #pending: Promise<unknown>[] = [];

  constructor(
    readonly rt: Runtime,
    /** Steps that may wait in the queue behind the one running. */
    readonly depth = 1,
  ) {}

  /** Submit the step just recorded; resolve once at most `depth` steps are still queued. */
  async afterStep(): Promise<void> {
    this.rt.flush();
    this.#pending.push(this.rt.device.queue.onSubmittedWorkDone());
    while (this.#pending.length > this.depth) await this.#pending.shift();
  }
}
