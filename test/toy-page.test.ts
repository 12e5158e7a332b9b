// The toy's page (results/toy/index.html) as a reader sees it: built from a short real run
// (SGD, SAM, LSAM, two seeds), opened from file:// in headless Chromium at 1400 and 800 px wide
// (screenshots in test-output/toy-page/): no issue numbers, every chart's axes contain its data
// and every line has a legend entry, no number broken across lines in a table cell, a page of
// sane height, and the key comparison (SAM's λ̃ vs SGD's λ at matched loss) said in words beside
// its figure.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { makeConfig } from '../experiments/toy/config.ts';
import { runPlans } from '../experiments/toy/runner.ts';
import { summarize } from '../experiments/toy/summary.ts';
import { figures, indexHtml } from '../experiments/toy/report.ts';
import { chartProblems, ISSUE_NUMBER } from './svg-check.ts';
import { gpu } from './helpers.ts';

const root = new URL('..', import.meta.url).pathname;
const OUT = join(root, 'test-output', 'toy-page');
const CHROMIUM = process.env.SAMGPU_CHROMIUM ?? '/usr/bin/chromium';
/** test/browser.test.ts's base flags without WebGPU: the page is static HTML and SVG. */
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('toy page in headless Chromium', function () {
  this.timeout(180_000);
  let dir = '';
  let profile = '';
  let ctx: BrowserContext | null = null;
  let page: Page;
  const svgs = new Map<string, string>();
  const problems: string[] = [];

  before(async function () {
    // Same rule as test/browser.test.ts: skipped only where Debian's Chromium is missing (a
    // developer machine without it); .ci/run installs it, so CI never skips these tests.
    if (!existsSync(CHROMIUM)) {
      console.log(`    (skipped: no Chromium at ${CHROMIUM}; CI installs it with apt-get install chromium)`);
      this.skip();
    }
    await gpu();
    const cfg = makeConfig({
      train: { steps: 40, recordEvery: 5, recordDenseUntil: 5, probeAt: [0, 40], lorenzAt: [10], matchedLoss: [0.1, 0.02] },
      plans: [{ structure: 'branch', methods: ['sgd', 'sam', 'lsam'], seeds: [0, 1] }],
    });
    const records = await runPlans(cfg);
    const figs = figures(cfg, records);
    dir = mkdtempSync(join(tmpdir(), 'samgpu-toy-page-'));
    for (const f of figs) {
      writeFileSync(join(dir, f.file), f.svg);
      svgs.set(f.file, f.svg);
    }
    writeFileSync(join(dir, 'index.html'), indexHtml(cfg, summarize(records, cfg.train.matchedLoss), figs, { wallSeconds: 1, device: 'test device', date: 'today' }));
    mkdirSync(OUT, { recursive: true });
    profile = mkdtempSync(join(tmpdir(), 'samgpu-chromium-'));
    ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1400, height: 900 } });
    page = ctx.pages()[0] ?? (await ctx.newPage());
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`failed request: ${r.url()}`));
    await page.goto(pathToFileURL(join(dir, 'index.html')).href, { waitUntil: 'load' });
  });

  after(async () => {
    await ctx?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every chart\'s axes contain its data and every line has a legend entry; the easy probe\'s axis reaches below chance', () => {
    const bad = [...svgs].flatMap(([file, svg]) => chartProblems(svg, file));
    assert.deepEqual(bad, []);
    // the easy feature is learned at once: its lines sit at 1.0, inside an axis from below chance to 1
    const easy = svgs.get('probe-easy-branch.svg')!;
    const frame = /<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)" fill="none" stroke="#333"\/>/.exec(easy)!;
    const chanceY = Number(/<polyline points="[\d.]+,([\d.]+) [^"]*"[^>]*stroke="#999999"/.exec(easy)![1]);
    const [top, bottom] = [Number(frame[1]), Number(frame[1]) + Number(frame[2])];
    assert.ok(chanceY > top && chanceY < bottom - 5, `the chance line (y ${chanceY}) is inside the plot (${top} … ${bottom}), not on its frame`);
    const ones = [...easy.matchAll(/<polyline points="([\d.]+),([\d.]+) [^"]*" fill="none" stroke="#(?!999999)/g)].map((m) => Number(m[2]));
    assert.ok(ones.length === 3 && ones.every((y) => y > top && y < top + 0.05 * (bottom - top)), `the methods' lines at 1.0 sit just below the top: ${ones}`);
  });

  for (const width of [1400, 800]) {
    it(`at ${width} px: no issue numbers, every image drawn, no number broken in a table cell, the key comparison in words beside its figure`, async () => {
      await page.setViewportSize({ width, height: 900 });
      const text = await page.locator('body').innerText();
      assert.doesNotMatch(text, ISSUE_NUMBER);
      assert.doesNotMatch(await page.title(), ISSUE_NUMBER);
      const imgs = await page.$$eval('img', (els) => els.map((i) => [i.getAttribute('src'), (i as HTMLImageElement).naturalWidth, i.getBoundingClientRect().width]));
      assert.equal(imgs.length, svgs.size);
      for (const [src, natural, shown] of imgs) assert.ok((natural as number) > 0 && (shown as number) > 200, `${src} drawn (${natural} px, shown ${shown} px)`);
      // a cell's text on one line: one client rect per text node
      const wrapped = await page.$$eval('td', (tds) => tds.filter((td) => {
        const r = document.createRange();
        r.selectNodeContents(td);
        return new Set(Array.from(r.getClientRects()).map((b) => Math.round(b.top))).size > 1;
      }).map((td) => td.textContent));
      assert.deepEqual(wrapped, [], 'table cells broken across lines');
      const key = await page.$$eval('.key', (els) => els.map((e) => ({ img: !!e.querySelector('img'), text: (e as HTMLElement).innerText })));
      assert.equal(key.length, 1);
      assert.ok(key[0].img, 'the key figure');
      assert.match(key[0].text, /at matched training loss, SAM's descent weights λ̃ .* the weights SGD trains with, λ/);
      assert.match(key[0].text, /loss ≤ 0\.1: SAM's λ̃ \d\.\d\d, LSAM's λ̃ \d\.\d\d vs SGD's λ \d\.\d\d/);
      const height = await page.evaluate(() => document.documentElement.scrollHeight);
      assert.ok(height < (width === 1400 ? 4000 : 7000), `page height ${height} px at ${width} px wide`);
      await page.screenshot({ path: join(OUT, `toy-${width}.png`), fullPage: true });
      console.log(`    ${width} px wide: page height ${height} px (screenshot test-output/toy-page/toy-${width}.png)`);
      assert.deepEqual(problems, []);
    });
  }
});
