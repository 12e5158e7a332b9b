// The demo page (web/) and the browser build: the page's bundle holds no Node-only module, the
// static data file round-trips the embedded dataset, and in headless Chromium (Debian's
// /usr/bin/chromium driven by playwright-core; WebGPU on SwiftShader) the page trains short
// fixed-seed runs whose numbers equal the same runs in Node (Dawn on lavapipe) within 1e-4,
// keeps the runs and overlays them (one colour each, a legend entry for every line, axes that
// contain the data, no phantom curves for SGD), explains itself without issue numbers, picks
// defaults that fit a CPU adapter, answers Stop within 2 s even during a long GPU phase, draws
// its sample images (screenshots at 1400 and 800 px in test-output/browser/), and shows a clear
// message where the browser has no WebGPU.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { buildWeb, DATA_FILE, datasetToBytes } from '../scripts/build-web.node.ts';
import { serveStatic, type StaticServer } from '../scripts/serve-web.node.ts';
import { browserGuard, isNodeOnly } from '../scripts/browser-guard.mjs';
import { loadEmbeddedFmnistMnist } from '../experiments/data/embedded.node.ts';
import { toDataset } from '../experiments/data/two-feature.ts';
import type { TwoFeatureDataset } from '../experiments/data/types.ts';
import { decodeTwoFeatureFile, encodeTwoFeatureFile } from '../web/data-file.ts';
import { runLive, type LiveResult } from '../web/live/session.ts';
import { validateSettings, type LiveSettings } from '../web/live/settings.ts';
import { liveTensorCount } from '../engine/index.ts';
import { adapterFailure, checkWebGpu } from '../web/gpu-check.ts';
import type {} from '../web/demo-api.ts';
import { gpu } from './helpers.ts';
import { chartProblems, ISSUE_NUMBER, svgOfDataUrl } from './svg-check.ts';
import { compareRuns } from '../web/comparison.ts';
import { RunStore } from '../web/runs.ts';
import { runColor } from '../experiments/chart-style.ts';

const root = new URL('..', import.meta.url).pathname;
const OUT = join(root, 'test-output', 'browser');
const CHROMIUM = process.env.SAMGPU_CHROMIUM ?? '/usr/bin/chromium';
/** Base flags for a clean headless profile, and SwiftShader's core WebGPU (works without a GPU). */
const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--enable-unsafe-webgpu', '--disable-gpu',
];
const RTOL = 1e-4;

// Short fixed-seed runs: SAM and SGD on the toy (with probes), SGD and SAM on the small CNN (a few
// FMNIST-MNIST batches; no probes: fitting them on 3,584 CNN features takes minutes on CPU adapters).
const API_RUNS: Partial<LiveSettings>[] = [
  { dataset: 'toy', optimizer: 'sam', seed: 1, steps: 20, every: 5, probeEvery: 10, probeSize: 400 },
  { dataset: 'toy', optimizer: 'sgd', seed: 2, steps: 10, every: 5, probeEvery: 0, probeSize: 400 },
  { dataset: 'fmnist-mnist', optimizer: 'sgd', seed: 0, lr: 0.05, steps: 3, batchSize: 16, every: 1, probes: false, evalEvery: 0, evalSize: 2 },
];
/** Run through the form and the Train button (the page's own path), then screenshotted. */
const FORM_RUN = { dataset: 'fmnist-mnist', optimizer: 'sam', seed: 3, lr: 0.05, rho: 0.05, steps: 8, batchSize: 16, probes: false } as const;

/** |a − e| / max(|a|, |e|) (0 when equal). */
const rel = (a: number, e: number) => (a === e ? 0 : Math.abs(a - e) / Math.max(Math.abs(a), Math.abs(e)));

/** Every compared number of a run, by name. */
function numbers(r: LiveResult): Map<string, number> {
  const m = new Map<string, number>();
  for (const p of r.points) for (const k of ['loss', 'accuracy', 'lossPhantom', 'gini', 'giniPhantom'] as const) if (p[k] !== undefined) m.set(`step ${p.step} ${k}`, p[k]);
  for (const p of r.probes) {
    m.set(`probe ${p.step} easyError`, p.easyError);
    m.set(`probe ${p.step} hardError`, p.hardError);
  }
  for (const e of r.evals) {
    m.set(`eval ${e.step} accuracyHard`, e.accuracyHard);
    m.set(`eval ${e.step} accuracyEasy`, e.accuracyEasy);
  }
  m.set('paramNorm', r.paramNorm);
  m.set('paramDistance', r.paramDistance);
  return m;
}

/** The largest relative difference between two runs, asserting both have the same numbers. */
function compare(page: LiveResult, node: LiveResult, what: string): { maxRel: number; at: string; count: number } {
  const a = numbers(page);
  const e = numbers(node);
  assert.deepEqual([...a.keys()], [...e.keys()], `${what}: the page and Node measured different things`);
  let maxRel = 0;
  let at = '';
  for (const [k, v] of e) {
    const d = rel(a.get(k)!, v);
    assert.ok(Number.isFinite(a.get(k)!), `${what}: ${k} is ${a.get(k)} in the page`);
    if (d >= maxRel) [maxRel, at] = [d, k];
  }
  assert.ok(maxRel <= RTOL, `${what}: ${at} differs by ${maxRel.toExponential(2)} (page ${a.get(at)}, Node ${e.get(at)}); tolerance ${RTOL}`);
  return { maxRel, at, count: e.size };
}

/** Import specifiers of a TypeScript file (static imports, re-exports, dynamic imports). */
function importsOf(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const re = /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;
  return [...src.matchAll(re)].map((m) => m[1] ?? m[2] ?? m[3]);
}

const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));

describe('browser build and demo page files', () => {
  it('browser-side modules of engine/, experiments/ and web/ import nothing Node-only (Node code sits in *.node.ts)', () => {
    const files = ['engine', 'experiments', 'web'].flatMap((d) => walk(join(root, d)))
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.node.ts') && !f.endsWith('engine/node.ts') && !f.includes('/dist/') && !/\/_[^/]*\.ts$/.test(f));
    assert.ok(files.length > 80, `found ${files.length} browser-side files`);
    const bad = files.flatMap((f) => importsOf(f).filter(isNodeOnly).map((s) => `${relative(root, f)} imports '${s}'`));
    assert.deepEqual(bad, []);
  });

  it('the browser guard fails a bundle that reaches Node, naming the importing file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'samgpu-guard-'));
    try {
      writeFileSync(join(dir, 'a.ts'), "import { x } from './b.ts';\nconsole.log(x);\n");
      writeFileSync(join(dir, 'b.ts'), "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n");
      await assert.rejects(
        build({ entryPoints: [join(dir, 'a.ts')], bundle: true, platform: 'browser', write: false, logLevel: 'silent', plugins: [browserGuard] }),
        (e: Error) => /b\.ts imports 'node:fs', which is Node-only/.test(e.message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the data file holds the embedded FMNIST-MNIST exactly, and a damaged file is rejected by name', async () => {
    const ds = await loadEmbeddedFmnistMnist();
    const file = encodeTwoFeatureFile(datasetToBytes(ds));
    const payload = Object.values(ds.splits).reduce((a, s) => a + s.images.length + 2 * s.n, 0);
    assert.ok(file.length <= payload + 64 * 1024, `one byte per pixel and label: ${file.length} bytes for ${payload} values`);
    const back = toDataset(decodeTwoFeatureFile(file, 'x.bin'));
    for (const s of ['train', 'val', 'test'] as const) {
      assert.deepEqual(back.splits[s].images, ds.splits[s].images, `${s} images`);
      for (const k of ['y', 'easy', 'hard', 'group'] as const) assert.deepEqual(back.splits[s][k], ds.splits[s][k], `${s}.${k}`);
      assert.equal(back.splits[s].decorrelated, ds.splits[s].decorrelated);
    }
    assert.deepEqual([back.shape, back.features, back.blocks, back.task], [ds.shape, ds.features, ds.blocks, ds.task]);
    assert.throws(() => decodeTwoFeatureFile(file.subarray(0, file.length - 100), 'data/x.bin'), /two-feature file: data\/x\.bin: test\.hard .* runs past the end of the file: truncated\?/);
    assert.throws(() => decodeTwoFeatureFile(new Uint8Array(64), 'data/x.bin'), /data\/x\.bin: not a samgpu two-feature file/);
  });

  it('kept runs get their optimizer\'s colour, a new shade per further run, and the comparison is said as the paper makes it', () => {
    const store = new RunStore();
    const sgd = store.add(validateSettings({ optimizer: 'sgd' }));
    const sam = store.add(validateSettings({ optimizer: 'sam' }));
    const sam2 = store.add(validateSettings({ optimizer: 'sam', rho: 2, seed: 1 }));
    assert.deepEqual([sgd.color, sam.color, sam2.color], [runColor('sgd', 0), runColor('sam', 0), runColor('sam', 1)]);
    assert.equal(new Set([sgd.color, sam.color, sam2.color]).size, 3);
    assert.deepEqual([sgd.label, sam.label, sam2.label], ['#1 SGD', '#2 SAM ρ 1', '#3 SAM ρ 2 s1']);
    const pt = (step: number, loss: number, gini: number, giniPhantom?: number) => ({ step, loss, accuracy: 1, gini, giniPhantom, seconds: step });
    sgd.points.push(pt(0, 0.7, 0.1), pt(10, 0.05, 0.4), pt(20, 0.01, 0.5));
    sam.points.push(pt(0, 0.7, 0.1, 0.05), pt(10, 0.2, 0.45, 0.3), pt(20, 0.04, 0.55, 0.35));
    const lines = compareRuns([sgd, sam]).lines;
    assert.deepEqual(lines, [
      'Same checkpoint: in #2 SAM ρ 1, λ̃ is more even than λ (lower Gini) at 3 of 3 monitored steps.',
      // the lowest loss both reached is SAM's 0.04: SAM at step 20, SGD at its first step with loss ≤ 0.04
      "Matched loss: at training loss ≤ 0.040 (step 20 of #2 SAM ρ 1, step 20 of #1 SGD), #2 SAM ρ 1's λ̃ has Gini 0.35 and #1 SGD's λ 0.50: SAM's descent weights are the more even, as the paper says.",
    ]);
    sgd.status = 'done';
    store.remove(sgd.id);
    store.remove(sam.id); // running: stays
    assert.deepEqual(store.runs.map((r) => r.id), [2, 3]);
  });

  it('bad live settings throw naming the field', () => {
    assert.throws(() => validateSettings({ lr: -1 }), /settings: lr: expected a number > 0, got -1/);
    assert.throws(() => validateSettings({ dataset: 'cifar' as never }), /settings: dataset: expected one of toy, fmnist-mnist, got "cifar"/);
    assert.throws(() => validateSettings({ dataset: 'fmnist-mnist', batchSize: 1.5 }), /settings: batchSize: expected an integer >= 2, got 1.5/);
  });

  it('a live run frees every tensor it made', async () => {
    await gpu();
    const before = liveTensorCount();
    const r = await runLive({ dataset: 'toy', optimizer: 'sam', steps: 3, every: 1, probeEvery: 2, probeSize: 40 }, null);
    assert.equal(r.points.length, 4);
    assert.deepEqual(r.probes.map((p) => p.step), [0, 2, 3]);
    assert.equal(liveTensorCount() - before, 0, `${liveTensorCount() - before} tensors left`);
  });

  it('without navigator.gpu, or without an adapter, the page has a clear message', () => {
    assert.equal(checkWebGpu({ gpu: {} }, true).ok, true);
    assert.match(checkWebGpu({}, true).message, /This browser has no WebGPU \(navigator\.gpu is missing\)/);
    assert.match(checkWebGpu(undefined, false).message, /WebGPU needs a secure context/);
    assert.match(adapterFailure(new Error('No WebGPU adapter. In Node on Linux run `npm run setup`')).message, /has WebGPU but gave no usable GPU adapter \(No WebGPU adapter\.\)/);
  });
});

describe('demo page in headless Chromium', function () {
  this.timeout(240_000);
  let server: StaticServer | null = null;
  let ctx: BrowserContext | null = null;
  let page: Page;
  let profile = '';
  let dataset: TwoFeatureDataset;
  const report: Record<string, unknown> = { flags: CHROMIUM_FLAGS };

  before(async function () {
    // Skipped only on a machine without Debian's Chromium (a developer's laptop); .ci/run installs
    // it, so in CI this always runs.
    if (!existsSync(CHROMIUM)) {
      console.log(`    (skipped: no Chromium at ${CHROMIUM}; CI installs it with apt-get install chromium)`);
      this.skip();
    }
    const t0 = performance.now();
    mkdirSync(OUT, { recursive: true });
    const site = await buildWeb({ outDir: join(OUT, 'site') });
    dataset = toDataset(decodeTwoFeatureFile(readFileSync(join(site.outDir, DATA_FILE)), DATA_FILE));
    server = await serveStatic(site.outDir, { port: 0 });
    profile = mkdtempSync(join(tmpdir(), 'samgpu-chromium-'));
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1500, height: 1000 },
    });
    page = ctx.pages()[0] ?? (await ctx.newPage());
    page.on('pageerror', (e) => console.log(`    page error: ${e.message}`));
    await page.goto(server.url);
    report.startSeconds = (performance.now() - t0) / 1000;
  });

  after(async () => {
    await ctx?.close();
    await server?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (Object.keys(report).length > 1) writeFileSync(join(OUT, 'report.json'), JSON.stringify(report, null, 2));
  });

  it('the page finds a WebGPU adapter and reports it', async () => {
    const ready = await page.evaluate(() => window.samgpuDemo.ready);
    assert.ok(ready.ok, `no WebGPU in the page: ${ready.message}`);
    const info = await page.evaluate(() => window.samgpuDemo.adapterInfo);
    const rt = await gpu();
    report.adapters = { page: ready.adapter, pageInfo: info, node: rt.gpu.describe() };
    console.log(`    page adapter: ${ready.adapter} (subgroups ${info?.subgroupMinSize}–${info?.subgroupMaxSize}); Node: ${rt.gpu.describe()}`);
    assert.match(await page.locator('#status').innerText(), new RegExp(`WebGPU adapter: ${ready.adapter!.replace(/[()]/g, '\\$&')}`));
    await page.screenshot({ path: join(OUT, 'ready.png'), fullPage: true });
  });

  it('explains dominoes, probes, λ/λ̃ and LSAM with a link to the paper, without issue numbers; defaults fit a CPU adapter and say what probes cost', async () => {
    const text = await page.locator('body').innerText();
    assert.doesNotMatch(text, ISSUE_NUMBER);
    const explain = await page.locator('#explain').innerText();
    for (const term of ['dominoes', 'Probes', 'λ and λ̃', 'LSAM', 'at the same checkpoint', 'across optimizers at the same training loss']) assert.ok(explain.includes(term), `the explanation covers '${term}'`);
    assert.equal(await page.locator('a[href="https://arxiv.org/abs/2405.20439"]').count(), 1);
    const software = (await page.evaluate(() => window.samgpuDemo.adapterInfo))!.isSoftware;
    await page.selectOption('select[name=dataset]', 'fmnist-mnist');
    assert.equal(await page.isChecked('input[name=probes]'), !software, 'CNN probes are off by default on a CPU adapter');
    assert.match(await page.locator('#probe-cost').innerText(), software ? /takes minutes on this CPU adapter/ : /takes seconds/);
    if (software) assert.equal(await page.inputValue('input[name=steps]'), '40');
    await page.check('input[name=optimizer][value=sgd]');
    assert.ok(await page.isDisabled('input[name=rho]'), 'SGD has no ρ');
    await page.check('input[name=optimizer][value=sam]');
    assert.ok(!(await page.isDisabled('input[name=rho]')));
    await page.selectOption('select[name=dataset]', 'toy');
  });

  it(`fixed-seed toy and CNN runs in the page equal the same runs in Node within ${RTOL}`, async () => {
    await gpu();
    const rows: unknown[] = [];
    for (const [i, cfg] of API_RUNS.entries()) {
      const t0 = performance.now();
      const inPage = await page.evaluate((c) => window.samgpuDemo.run(c), cfg);
      const t1 = performance.now();
      const inNode = await runLive(cfg, dataset);
      const t2 = performance.now();
      const c = compare(inPage, inNode, `${cfg.dataset} ${cfg.optimizer}`);
      rows.push({ run: cfg, ...c, pageSeconds: (t1 - t0) / 1000, nodeSeconds: (t2 - t1) / 1000 });
      console.log(`    ${cfg.dataset} ${cfg.optimizer}: ${c.count} numbers, max relative difference ${c.maxRel.toExponential(2)} (${c.at}); page ${((t1 - t0) / 1000).toFixed(1)} s, Node ${((t2 - t1) / 1000).toFixed(1)} s`);
      if (i === 0) await page.screenshot({ path: join(OUT, 'toy.png'), fullPage: true });
    }
    report.apiRuns = rows;
  });

  it('the Train button refuses bad settings by name, then trains FMNIST-MNIST with the form\'s settings, draws every chart and the sample grid, and equals Node', async () => {
    await page.selectOption('select[name=dataset]', FORM_RUN.dataset);
    await page.check(`input[name=optimizer][value=${FORM_RUN.optimizer}]`);
    for (const k of ['lr', 'rho', 'steps', 'batchSize', 'seed'] as const) await page.fill(`input[name=${k}]`, String(FORM_RUN[k]));
    await page.setChecked('input[name=probes]', FORM_RUN.probes);
    await page.fill('input[name=lr]', '-1');
    await page.click('#train');
    await page.waitForFunction(() => document.querySelector('#status')!.textContent!.startsWith('Cannot train'));
    assert.equal(await page.locator('#status').innerText(), 'Cannot train: settings: lr: expected a number > 0, got -1');
    await page.fill('input[name=lr]', String(FORM_RUN.lr));
    const t0 = performance.now();
    await page.click('#train');
    await page.waitForSelector('body[data-state=done], body[data-state=error]', { timeout: 180_000 });
    const pageSeconds = (performance.now() - t0) / 1000;
    assert.match(await page.locator('#status').innerText(), /^Done: 8 steps of #\d+ SAM ρ 0\.05 s3 in/);
    const result = await page.evaluate(() => window.samgpuDemo.lastResult!);
    assert.deepEqual({ ...result.settings, ...FORM_RUN }, result.settings, 'the run used the form\'s settings');
    const charts = await page.$$eval('main img[id^=chart-]', (imgs) => imgs.map((i) => [i.id, (i as HTMLImageElement).src.startsWith('data:image/svg+xml'), (i as HTMLImageElement).naturalWidth]));
    assert.deepEqual(charts.map((c) => c[0]), ['chart-loss', 'chart-accuracy', 'chart-probe', 'chart-lorenz', 'chart-gini', 'chart-gini-loss']);
    for (const [id, svg, w] of charts) assert.ok(svg && (w as number) > 0, `${id} is drawn`);
    assert.equal(await page.locator('#samples canvas').count(), 24);
    const inNode = await runLive(result.settings, dataset);
    const c = compare(result, inNode, 'form run');
    report.formRun = { run: result.settings, ...c, pageSeconds };
    console.log(`    form run (fmnist-mnist sam): ${c.count} numbers, max relative difference ${c.maxRel.toExponential(2)} (${c.at}); page ${pageSeconds.toFixed(1)} s`);
  });

  it('keeps the runs and overlays them, one colour each with a legend entry for every line, axes that contain the data, no θ̃ for SGD (1400 and 800 px)', async () => {
    const runs = await page.evaluate(() => window.samgpuDemo.runs());
    assert.deepEqual(runs.map((r) => `${r.dataset} ${r.optimizer}`), ['toy sam', 'toy sgd', 'fmnist-mnist sgd', 'fmnist-mnist sam']);
    assert.equal(new Set(runs.map((r) => r.color)).size, runs.length, 'one colour per run');
    assert.equal(await page.locator('#run-list li:not(.other)').count(), 2, 'the FMNIST-MNIST runs are drawn, the toy runs listed');
    const sgd = runs[2];
    const sam = runs[3];
    for (const width of [1400, 800]) {
      await page.setViewportSize({ width, height: 1000 });
      const svgs = await page.$$eval('main img[id^=chart-]', (imgs) => imgs.map((i) => [i.id, (i as HTMLImageElement).src]));
      const bad = svgs.flatMap(([id, src]) => chartProblems(svgOfDataUrl(src), id));
      assert.deepEqual(bad, [], `at ${width} px`);
      const loss = svgOfDataUrl(svgs.find(([id]) => id === 'chart-loss')![1]);
      assert.ok(loss.includes(`>${sam.label} at θ̃<`) && loss.includes(`>${sgd.label}<`), 'both runs in the loss legend, SAM with its θ̃');
      assert.ok(!new RegExp(`stroke="${sgd.color}"[^>]*stroke-dasharray="6 4"`).test(loss) && !loss.includes(`${sgd.label} at θ̃`), 'no phantom curve for SGD');
      assert.ok(new RegExp(`stroke="${sam.color}"[^>]*stroke-dasharray="6 4"`).test(loss), "SAM's θ̃ dashed");
      const gini = svgOfDataUrl(svgs.find(([id]) => id === 'chart-gini-loss')![1]);
      assert.ok(gini.includes(`>${sam.label} λ̃<`) && !gini.includes(`>${sgd.label} λ̃<`));
      assert.match(await page.locator('#comparison').innerText(), /Matched loss: at training loss ≤ .*'s λ̃ has Gini \d\.\d\d and .*'s λ \d\.\d\d/);
      await page.screenshot({ path: join(OUT, `demo-${width}.png`), fullPage: true });
    }
    await page.setViewportSize({ width: 1500, height: 1000 });
    await page.click(`#run-list li[data-run="${runs[0].id}"] button`);
    assert.deepEqual((await page.evaluate(() => window.samgpuDemo.runs())).map((r) => r.id), runs.slice(1).map((r) => r.id), 'remove takes one run out');
  });

  it('Stop answers within 2 s, even during a long GPU phase (the decorrelated evaluation of the CNN)', async () => {
    await page.evaluate(() => void window.samgpuDemo.run({ dataset: 'fmnist-mnist', optimizer: 'sgd', steps: 50, batchSize: 16, probes: false, evalEvery: 1, evalSize: 4 }).catch(() => {}));
    await page.waitForFunction(() => /measuring accuracy on the decorrelated split… \d+ s/.test(document.querySelector('#status')!.textContent!), null, { timeout: 60_000 });
    const t0 = performance.now();
    await page.click('#stop');
    await page.waitForSelector('body[data-state=done], body[data-state=error]', { timeout: 10_000 });
    const seconds = (performance.now() - t0) / 1000;
    report.stopSeconds = seconds;
    console.log(`    Stop answered in ${seconds.toFixed(2)} s`);
    assert.ok(seconds < 2, `Stop took ${seconds.toFixed(2)} s`);
    assert.match(await page.locator('#status').innerText(), /^Stopped: \d+ steps of #\d+ SGD/);
    assert.equal((await page.evaluate(() => window.samgpuDemo.lastResult!)).stopped, true);
    await page.click('#clear-runs');
    await page.waitForFunction(() => document.querySelectorAll('#run-list li').length === 0);
  });

  it('a browser without navigator.gpu, or without an adapter, gets a clear message and no Train button', async () => {
    const cases = [
      { name: 'no-webgpu', script: () => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true }), text: /This browser has no WebGPU \(navigator\.gpu is missing\)/ },
      { name: 'no-adapter', script: () => ((GPU.prototype as { requestAdapter: unknown }).requestAdapter = async () => null), text: /has WebGPU but gave no usable GPU adapter/ },
    ];
    for (const c of cases) {
      const p = await ctx!.newPage();
      await p.addInitScript(c.script);
      await p.goto(server!.url);
      await p.waitForSelector('body[data-state=no-webgpu]', { timeout: 20_000 });
      assert.match(await p.locator('#nogpu').innerText(), c.text);
      assert.ok(await p.locator('#nogpu').isVisible());
      assert.ok(await p.locator('#train').isDisabled());
      if (c.name === 'no-webgpu') await p.screenshot({ path: join(OUT, 'no-webgpu.png') });
      await p.close();
    }
  });
});
