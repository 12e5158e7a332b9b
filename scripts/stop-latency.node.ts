// How soon `samgpu run` stops after a SIGTERM (a scheduler's preemption or time limit) or a
// Ctrl-C: the time from the signal to the process's exit, with the checkpoint written, in
// seconds and in training steps. Each trial trains the embedded FMNIST-MNIST data (the small CNN,
// batch 128) and sends the signal at a random moment of its second epoch; the first epoch's time
// gives the step time. Prints one line per trial and a summary.
//
//   node --import ./scripts/register-loader.mjs scripts/stop-latency.node.ts [--trials 3] [--signal SIGTERM]
//        [--cli bin/samgpu.mjs] [--optimizer sgd|sam] [--train 1280]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values: o } = parseArgs({
  options: {
    trials: { type: 'string', default: '3' },
    signal: { type: 'string', default: 'SIGTERM' },
    cli: { type: 'string', default: 'bin/samgpu.mjs' },
    optimizer: { type: 'string', default: 'sgd' },
    train: { type: 'string', default: '1280' },
    seed: { type: 'string', default: '1' },
  },
});
const batchSize = 128;
const batches = Math.ceil(Number(o.train) / batchSize);
const tmp = mkdtempSync(join(tmpdir(), 'samgpu-stop-'));
const cfgFile = join(tmp, 'cfg.json');
writeFileSync(cfgFile, JSON.stringify({
  name: 'stop-latency',
  dataset: { name: 'fmnist-mnist-embedded', options: { sizes: { train: Number(o.train), val: 50, test: 50 } } },
  optimizer: { name: o.optimizer },
  epochs: 3,
  batchSize,
  probe: { l2Grid: [0.1] },
}));
let seed = Number(o.seed);
const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);

interface Trial {
  stepSeconds: number;
  signalAt: number;
  exitAfter: number;
  code: number | null;
  stoppedAt: string;
}

async function trial(k: number): Promise<Trial> {
  const results = join(tmp, `results-${k}`);
  const child = spawn(process.execPath, [resolve(o.cli!), 'run', cfgFile, '--results', results, '--id', 'run'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  const t0 = performance.now();
  let signalAt = 0;
  let stepSeconds = NaN;
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d;
    const m = /epoch 1: loss .* \(([\d.]+) s\)/.exec(stderr);
    if (m && !signalAt) {
      stepSeconds = Number(m[1]) / batches;
      signalAt = -1;
      // a random moment of epoch 2, at least one step in (the pacer's queue is full by then)
      const delay = (1 + random() * (batches - 3)) * stepSeconds * 1000;
      setTimeout(() => {
        signalAt = performance.now();
        child.kill(o.signal as NodeJS.Signals);
      }, delay);
    }
  });
  const code = await exited;
  const end = performance.now();
  if (signalAt <= 0) throw new Error(`trial ${k}: the run ended before the signal (exit ${code})\n${stderr.slice(-2000)}`);
  const stoppedAt = /stopped at (epoch \d+, batch \d+)/.exec(stdout)?.[1] ?? `(no stop line; exit ${code})`;
  rmSync(results, { recursive: true, force: true });
  void t0;
  return { stepSeconds, signalAt: (signalAt - t0) / 1000, exitAfter: (end - signalAt) / 1000, code, stoppedAt };
}

const rows: Trial[] = [];
for (let k = 0; k < Number(o.trials); k++) {
  const t = await trial(k);
  rows.push(t);
  console.log(`trial ${k + 1}: step ${t.stepSeconds.toFixed(2)} s; ${o.signal} at ${t.signalAt.toFixed(1)} s → exit ${t.code} after ${t.exitAfter.toFixed(2)} s = ${(t.exitAfter / t.stepSeconds).toFixed(1)} steps (${t.stoppedAt})`);
}
const ratios = rows.map((t) => t.exitAfter / t.stepSeconds);
console.log(`${o.cli}, ${o.optimizer}, ${batches} steps/epoch: ${o.signal} to exit (checkpoint written) in ${Math.min(...ratios).toFixed(1)}–${Math.max(...ratios).toFixed(1)} steps (${Math.min(...rows.map((t) => t.exitAfter)).toFixed(1)}–${Math.max(...rows.map((t) => t.exitAfter)).toFixed(1)} s) over ${rows.length} trials`);
rmSync(tmp, { recursive: true, force: true });
process.exit(0);
