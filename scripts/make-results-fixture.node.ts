// Writes test/fixtures/results-mini: finished runs (final.json) of the tiny synthetic dataset —
// SGD and SAM at ρ 0.05 and 0.2, 3 seeds each — that the report tests aggregate. Rerun after a
// change to FinalResult: node --import ./scripts/register-loader.mjs scripts/make-results-fixture.node.ts
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { init } from '../engine/node.ts';
import { validateConfig } from '../experiments/runner/config.ts';
import { loadDataset } from '../experiments/runner/datasets.node.ts';
import { runExperiment } from '../experiments/runner/train.ts';

await init();
const out = new URL('../test/fixtures/results-mini/runs', import.meta.url).pathname;
rmSync(out, { recursive: true, force: true });
for (const [name, rho] of [['sgd', 0], ['sam', 0.05], ['sam', 0.2]] as const) {
  for (const seed of [0, 1, 2]) {
    const cfg = validateConfig({
      name: `mini-${name}`, seed, dataset: { name: 'synthetic', options: { train: 96, val: 80, test: 64, size: 8 } },
      optimizer: { name, rho, lr: 0.1 }, epochs: 3, batchSize: 32, importance: { examples: 64, every: 1 }, probe: { l2Grid: [0.01, 0.1, 1] },
    });
    const result = await runExperiment(cfg, await loadDataset(cfg.dataset, seed));
    const dir = join(out, `name-${name}_rho-${rho}_seed-${seed}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'final.json'), `${JSON.stringify({ ...result, seconds: 1 }, null, 1)}\n`);
    console.log(dir, result.probes.easy.error, result.probes.hard.error);
  }
}
process.exit(0);
