// Progress of a run: a bar with epoch, step, loss, examples/s and ETA on a terminal; plain
// periodic lines otherwise (CI, pipes, files).
import cliProgress from 'cli-progress';

export interface Progress {
  update(p: { epoch: number; batch: number; batches: number; step: number }): void;
  epochDone(line: string): void;
  stop(): void;
}

export function makeProgress(label: string, epochs: number, batchSize: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  const t0 = performance.now();
  let lastPlain = 0;
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} |{bar}| epoch {epoch}/${epochs} step {step} {rate} ex/s ETA {eta_formatted}`, hideCursor: true, clearOnComplete: true, stream },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(p) {
        const total = epochs * p.batches;
        const done = p.epoch * p.batches + p.batch;
        const rate = ((p.step * batchSize) / ((performance.now() - t0) / 1000)).toFixed(0);
        if (!started) {
          bar.start(total, done, { epoch: p.epoch + 1, step: p.step, rate });
          started = true;
        } else bar.update(done, { epoch: p.epoch + 1, step: p.step, rate });
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
  return {
    update(p) {
      const now = performance.now();
      if (now - lastPlain < 10_000) return; // a line every 10 s at most
      lastPlain = now;
      const rate = (p.step * batchSize) / ((now - t0) / 1000);
      stream.write(`${label} epoch ${p.epoch + 1}/${epochs} batch ${p.batch}/${p.batches} step ${p.step} ${rate.toFixed(0)} ex/s\n`);
    },
    epochDone(line) {
      stream.write(`${label} ${line}\n`);
    },
    stop() {},
  };
}
