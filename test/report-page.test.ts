// `samgpu report`'s page as a reader sees it: report.html, built from the results fixture, opened
// from file:// in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core, plain
// flags: the page needs no WebGPU) shows the table, the claims and drawn SVGs with no NaN, no
// "undefined" and no console error; a full-page screenshot lands in test-output/report/.
// Also `samgpu info` (adapter, limits, features, versions), which needs no browser.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { writeReport } from '../experiments/report/report.node.ts';

const root = new URL('..', import.meta.url).pathname;
const fixture = new URL('./fixtures/results-mini', import.meta.url).pathname;
const OUT = join(root, 'test-output', 'report');
const CHROMIUM = process.env.SAMGPU_CHROMIUM ?? '/usr/bin/chromium';
/** test/browser.test.ts's base flags, without the WebGPU ones: the report is static HTML and SVG. */
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** "0.023 ± 0.011": a mean ± sd cell. */
const PM = /^\d+\.\d{3} ± \d+\.\d{3}$/;

describe('report page in headless Chromium', function () {
  this.timeout(120_000);
  let dir = '';
  let profile = '';
  let ctx: BrowserContext | null = null;
  let page: Page;
  const problems: string[] = [];

  before(async function () {
    // Same rule as test/browser.test.ts: skipped only where Debian's Chromium is missing (a
    // developer machine without it); .ci/run installs it, so CI never skips these tests.
    if (!existsSync(CHROMIUM)) {
      console.log(`    (skipped: no Chromium at ${CHROMIUM}; CI installs it with apt-get install chromium)`);
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'samgpu-report-page-'));
    cpSync(fixture, dir, { recursive: true });
    const html = writeReport(dir);
    profile = mkdtempSync(join(tmpdir(), 'samgpu-chromium-'));
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1400, height: 900 },
    });
    page = ctx.pages()[0] ?? (await ctx.newPage());
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`failed request: ${r.url()} (${r.failure()?.errorText})`));
    await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
  });

  after(async () => {
    await ctx?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the table has a row for SGD and one for SAM, with numbers and the untrained references', async () => {
    const tables = await page.$$eval('table', (ts) => ts.map((t) => ({
      head: Array.from(t.querySelectorAll('thead th')).map((th) => th.textContent!.trim()),
      rows: Array.from(t.querySelectorAll('tbody tr')).map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent!.trim())),
    })));
    const t = tables.find((x) => x.head.includes('hard probe error'))!;
    const col = (h: string) => t.head.indexOf(h);
    assert.deepEqual(t.rows.map((r) => r[col('optimizer')]), ['SGD', 'SAM']);
    for (const r of t.rows) {
      for (const h of ['easy probe error', 'hard probe error', 'untrained easy', 'untrained hard', 'selection acc', 'test acc', 'worst-group acc']) {
        assert.match(r[col(h)], PM, `${r[col('optimizer')]} ${h}: '${r[col(h)]}'`);
      }
      assert.ok(Number(r[col('lr')]) > 0 && Number(r[col('seeds')]) === 3, `${r[col('optimizer')]}: lr '${r[col('lr')]}', seeds '${r[col('seeds')]}'`);
    }
  });

  it('each claim has its paired interval, n and verdict; the ρ grid says which cell the selection split chose', async () => {
    const tables = await page.$$eval('table', (ts) => ts.map((t) => Array.from(t.querySelectorAll('tr')).map((tr) => Array.from(tr.querySelectorAll('th, td')).map((c) => c.textContent!.trim()))));
    const claims = tables.find((t) => t[0].includes('verdict'))!;
    assert.ok(claims.length >= 4, `${claims.length - 1} claims`);
    for (const r of claims.slice(1)) {
      assert.match(r[2], /^[−+]\d\.\d{3} \[[−+]\d\.\d{3}, [−+]\d\.\d{3}\], n = 3$/, r.join(' | '));
      assert.match(r[3], /^(supported|contradicted|inconclusive)$/);
    }
    const grid = tables.find((t) => t[0].includes('selection score'))!;
    assert.equal(grid.filter((r) => r.at(-1) === '✔').length, 2, 'one chosen cell per optimizer');
  });

  it('every SVG is laid out at a nonzero size and has drawn marks', async () => {
    const svgs = await page.$$eval('svg', (els) => els.map((s) => {
      const r = s.getBoundingClientRect();
      const drawn = Array.from(s.querySelectorAll('polyline, path, circle')).filter((p) => {
        const b = (p as SVGGraphicsElement).getBBox();
        return b.width > 0 || b.height > 0;
      });
      return { title: s.querySelector('text')?.textContent ?? '', width: r.width, height: r.height, lines: s.querySelectorAll('line').length, drawn: drawn.length };
    }));
    assert.equal(svgs.length, 3);
    // ids are page-global: each inlined chart clips to its own plot area
    const ids = await page.$$eval('svg [id]', (els) => els.map((e) => e.id));
    assert.equal(new Set(ids).size, ids.length, `duplicate ids: ${ids.join(', ')}`);
    for (const s of svgs) {
      assert.ok(s.width > 0 && s.height > 0, `${s.title}: ${s.width}×${s.height}`);
      assert.ok(s.drawn >= 2 && s.lines > 0, `${s.title}: ${s.drawn} drawn marks, ${s.lines} lines`);
    }
  });

  it('no NaN or undefined in the text or the markup, no console or page errors; the screenshot shows it', async () => {
    const text = await page.evaluate(() => document.body.innerText);
    const markup = await page.evaluate(() => document.body.innerHTML);
    for (const bad of [/\bNaN\b/, /\bundefined\b/]) {
      assert.doesNotMatch(text, bad);
      assert.doesNotMatch(markup, bad);
    }
    mkdirSync(OUT, { recursive: true });
    const png = join(OUT, 'report.png');
    await page.screenshot({ path: png, fullPage: true });
    assert.ok(statSync(png).size > 10_000, `${png}: ${statSync(png).size} bytes`);
    assert.deepEqual(problems, []);
  });
});

describe('samgpu info', () => {
  it('prints the adapter, the features, the limits and the versions (samgpu, Node, webgpu)', function () {
    this.timeout(60_000);
    const r = spawnSync(process.execPath, [join(root, 'bin', 'samgpu.mjs'), 'info'], { encoding: 'utf8', timeout: 50_000 });
    assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}`);
    const out = r.stdout;
    assert.match(out, /^samgpu \d+\.\d+\.\d+/m);
    assert.match(out, new RegExp(`^node ${process.version.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(out, /^webgpu \d+\.\d+\.\d+ \(Dawn\)/m);
    assert.match(out, /^adapter: .+ \((software|hardware)\)$/m);
    for (const k of ['vendor', 'architecture', 'description']) assert.match(out, new RegExp(`^  ${k}: `, 'm'));
    assert.match(out, /^features: subgroups (yes|no), timestamp-query (yes|no), shader-f16 (yes|no)$/m);
    for (const k of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup']) {
      assert.match(out, new RegExp(`^  ${k}: \\d+`, 'm'));
    }
  });
});
