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

  it('the table has a row for SGD and one for SAM, with numbers', async () => {
    const rows = await page.$$eval('table tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent!.trim())));
    const head = await page.$$eval('table thead th', (ths) => ths.map((th) => th.textContent!.trim()));
    assert.deepEqual(rows.map((r) => r[head.indexOf('optimizer')]), ['SGD', 'SAM']);
    for (const r of rows) {
      const cell = (h: string) => r[head.indexOf(h)];
      for (const h of ['easy-feature probe error', 'hard-feature probe error', 'val acc', 'test acc', 'worst-group acc']) {
        assert.match(cell(h), PM, `${cell('optimizer')} ${h}: '${cell(h)}'`);
      }
      assert.ok(Number(cell('lr')) > 0 && Number(cell('seeds')) === 2, `${cell('optimizer')}: lr '${cell('lr')}', seeds '${cell('seeds')}'`);
    }
  });

  it('the claims list is there, each claim with its verdict and its numbers', async () => {
    const claims = await page.$$eval('h2 + ul > li', (lis) => lis.map((li) => li.textContent!));
    assert.equal(claims.length, 2);
    for (const c of claims) assert.match(c, /^\S+ (supported|not supported|inconclusive) \(synthetic\): .*\d\.\d{3}/);
  });

  it('every SVG is laid out at a nonzero size and has drawn lines', async () => {
    const svgs = await page.$$eval('svg', (els) => els.map((s) => {
      const r = s.getBoundingClientRect();
      // The data: polylines/paths with at least two points and a visible extent.
      const drawn = Array.from(s.querySelectorAll('polyline, path')).filter((p) => {
        const b = (p as SVGGraphicsElement).getBBox();
        return b.width > 0 || b.height > 0;
      });
      return { title: s.querySelector('text')?.textContent ?? '', width: r.width, height: r.height, lines: s.querySelectorAll('line').length, drawn: drawn.length };
    }));
    assert.equal(svgs.length, 2);
    // ids are page-global: each inlined chart clips to its own plot area
    const ids = await page.$$eval('svg [id]', (els) => els.map((e) => e.id));
    assert.equal(new Set(ids).size, ids.length, `duplicate ids: ${ids.join(', ')}`);
    for (const s of svgs) {
      assert.ok(s.width > 0 && s.height > 0, `${s.title}: ${s.width}×${s.height}`);
      assert.ok(s.drawn >= 2 && s.lines > 0, `${s.title}: ${s.drawn} drawn series, ${s.lines} lines`);
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
