// Progress of a run: a bar with epoch, step, loss, examples/s and ETA on a terminal; plain
// periodic lines with the same fields otherwise (CI, pipes, files).
import cliProgress from 'cli-progress';
import type { ProgressInfo } from './train.ts';

export interface Progress {
  update(p: ProgressInfo): void;
  epochDone(line: string): void;
  stop(): void;
}

/** This process's pace: `steps` steps in `seconds`, timed from the first step it reported, so
 * neither data loading and set-up nor the steps done before a resume count. */
export interface Pace {
  steps: number;
  seconds: number;
}

/** 42s, 3m05s, 1h02m. */
export function formatDuration(s: number): string {
  const t = Math.round(s);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`;
  return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`;
}

/** Examples per second and seconds of training left at `pace`; null before any step was timed. */
export function rateAndEta(p: ProgressInfo, epochs: number, batchSize: number, pace: Pace): { examplesPerSecond: number; etaSeconds: number } | null {
  if (pace.steps <= 0 || pace.seconds <= 0) return null;
  const stepsPerSecond = pace.steps / pace.seconds;
  // Full batches (the last one of an epoch may be smaller); the ETA counts training steps only,
  // not the validation pass after each epoch or the final probes.
  return { examplesPerSecond: stepsPerSecond * batchSize, etaSeconds: ((p.totalSteps ?? epochs * p.batches) - p.step) / stepsPerSecond };
}

/** "epoch 2/3 batch 3/4 step 7 loss 0.6931 (epoch 1 mean) 512 ex/s ETA 1m05s" */
export function statusText(p: ProgressInfo, epochs: number, batchSize: number, pace: Pace): string {
  const r = rateAndEta(p, epochs, batchSize, pace);
  // The loss is the last finished epoch's mean: per-step losses stay on the GPU until the
  // epoch ends (reading one back each step would stall the pipeline).
  const loss = p.lastLoss ? `loss ${p.lastLoss.value.toFixed(4)} (epoch ${p.lastLoss.epoch} mean)` : 'loss - (after epoch 1)';
  const rate = r ? `${r.examplesPerSecond.toFixed(0)} ex/s ETA ${formatDuration(r.etaSeconds)}` : '- ex/s ETA -';
  return `epoch ${p.epoch + 1}/${p.totalSteps ? Math.ceil(p.totalSteps / p.batches) : epochs} batch ${p.batch}/${p.batches} step ${p.step} ${loss} ${rate}`;
}

export function makeProgress(label: string, epochs: number, batchSize: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  let first: { step: number; time: number } | null = null;
  const status = (p: ProgressInfo): string => {
    const now = performance.now();
    first ??= { step: p.step, time: now };
    return statusText(p, epochs, batchSize, { steps: p.step - first.step, seconds: (now - first.time) / 1000 });
  };
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar({ format: `${label} |{bar}| {status}`, hideCursor: true, clearOnComplete: true, stream }, cliProgress.Presets.shades_classic);
    let started = false;
    return {
      update(p) {
        const total = p.totalSteps ?? epochs * p.batches;
        const done = p.epoch * p.batches + p.batch;
        const payload = { status: status(p) };
        if (!started) {
          bar.start(total, done, payload);
          started = true;
        } else bar.update(done, payload);
      },
      epochDone(line) {
        if (started) bar.stop();
        started = false;
        stream.write(`${label} ${line}\n`);
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let lastPlain: number | null = null;
  return {
    update(p) {
      const line = status(p);
      const now = performance.now();
      lastPlain ??= now; // the first line once 10 s of steps give a rate
      if (now - lastPlain < 10_000) return; // a line every 10 s at most
      lastPlain = now;
      stream.write(`${label} ${line}\n`);
    },
    epochDone(line) {
      stream.write(`${label} ${line}\n`);
    },
    stop() {},
  };
}
