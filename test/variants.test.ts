// The test matrix: every kernel variant of every tuned op family, forced, against the float64
// references (test/variant-checks.ts), on lavapipe with subgroups (8 wide) and without; the
// variants that do not depend on the subgroup size also in headless Chromium on SwiftShader
// (4-wide subgroups, another compiler). `npm test` runs a representative subset — every kernel
// entry point and override dimension at least once, on tiny shapes — since lavapipe compiles
// each pipeline at its first dispatch (0.5–1.6 s); SAMGPU_TEST_MATRIX=full runs every variant on
// every transposition combo, shape kind and case.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { GpuDevice, Runtime, tensor, Rng } from '../engine/index.ts';
import { nodeGpu } from '../engine/device/gpu.node.ts';
import { matmulKernel, matmulConfig } from '../engine/ops/matmul.ts';
import { conv2dForwardKernel, conv2dGeometry } from '../engine/ops/conv2d.ts';
import { adapterFacts, type AdapterFacts } from '../engine/tune/variants/adapter.ts';
import { MATMUL_VARIANTS, matmulCandidates, defaultMatmulVariant } from '../engine/tune/variants/matmul.ts';
import { CONV2D_FAMILIES, CONV2D_VARIANTS, conv2dCandidates, defaultConv2dVariant } from '../engine/tune/variants/conv2d.ts';
import { serveStatic } from '../scripts/serve-web.node.ts';
import { checkBatchNorm, checkConv, checkLossRows, checkMatmul, mismatch, COMBOS, CONV_CASES, type Combo } from './variant-checks.ts';
import { BATCHNORM_FAMILIES, BATCHNORM_VARIANTS, LOSS_ROW_VARIANTS } from '../engine/tune/variants/rows.ts';
import { matmul as refMatmul } from './reference/nd.ts';
import * as refConv from './reference/conv.ts';
import { gpu } from './helpers.ts';

const FULL = process.env.SAMGPU_TEST_MATRIX === 'full';
const CHROMIUM = process.env.SAMGPU_CHROMIUM ?? '/usr/bin/chromium';

/** The subset: one transposition combo per variant (rotating), both shape kinds only for the kernels with a vec4 and a scalar entry point. */
function matmulPlan(ids: string[]): [string, Combo[], ('odd' | 'aligned')[]][] {
  return ids.map((id, i) => {
    const kernel = MATMUL_VARIANTS.find((v) => v.id === id.split('+')[0])!.config.kernel;
    const twoEntries = kernel === 'subgroup' || kernel === 'cluster';
    if (FULL) return [id, COMBOS, ['odd', 'aligned']];
    return [id, [COMBOS[i % 4]], twoEntries ? ['odd', 'aligned'] : [i % 2 ? 'aligned' : 'odd']];
  });
}

// Subset: one of each kernel kind and override dimension. The 8-lane subgroup kernels and the
// register kernels' hand-picked configurations run in matmul/conv2d tests already.
const SUBSET_MATMUL = ['tiled-32x32x32-4x4+sk64', 'tiled-128x64x16-8x4-db', 'register-4x4', 'cluster-4x16', 'cluster-8+sk64'];
const SUBSET_CONV = ['cluster-4', 'tiled-32x32x32-4x4+sk64'];

const fitting = (f: AdapterFacts) => ({
  matmul: MATMUL_VARIANTS.filter((v) => v.fits(f)).map((v) => v.id),
  conv: CONV2D_VARIANTS.filter((v) => v.fits(f)).map((v) => v.id),
});

describe('kernel variants: every variant of every op family matches the float64 references when forced', function () {
  this.timeout(FULL ? 1_800_000 : 240_000);

  it(`matmul on lavapipe with subgroups: ${FULL ? 'every variant, every transposition, odd and aligned shapes' : 'one of each kernel kind (SAMGPU_TEST_MATRIX=full: all)'}, batched, split-K`, async () => {
    const rt = await gpu();
    const ids = FULL ? [...fitting(adapterFacts(rt)).matmul, 'register-8x8+sk64', 'subgroup8+sk64'].filter((id) => !id.startsWith('subgroup8') || adapterFacts(rt).sgMin === 8) : SUBSET_MATMUL;
    const failures: string[] = [];
    for (const [id, combos, shapes] of matmulPlan(ids)) failures.push(...(await checkMatmul(rt, id, combos, shapes)));
    assert.deepEqual(failures, []);
  });

  it(`conv2d on lavapipe with subgroups: ${FULL ? 'every variant' : 'the cluster and tiled kernels'} of the forward (bias, fused ReLU), input gradient and weight gradient (split)`, async () => {
    const rt = await gpu();
    const ids = FULL ? [...fitting(adapterFacts(rt)).conv, 'register-8+sk100000', 'cluster-8+sk100000'] : SUBSET_CONV;
    const cases = FULL ? CONV_CASES : CONV_CASES.slice(0, 2);
    const failures: string[] = [];
    for (const id of ids) for (const family of CONV2D_FAMILIES) failures.push(...(await checkConv(rt, family, id, cases, family === 'conv2d.forward')));
    assert.deepEqual(failures, []);
  });

  it('row reductions: every variant of batch norm\'s statistics and gradient sums, and both loss row strategies', async () => {
    const rt = await gpu();
    const f = adapterFacts(rt);
    const failures: string[] = [];
    for (const v of BATCHNORM_VARIANTS.filter((x) => x.fits(f))) for (const fam of BATCHNORM_FAMILIES) failures.push(...(await checkBatchNorm(rt, fam, v.id)));
    for (const v of LOSS_ROW_VARIANTS) failures.push(...(await checkLossRows(rt, v.id)));
    assert.deepEqual(failures, []);
  });

  it('on a device without subgroups, ops use and the tuner considers only kernels it has, and they match the references', async () => {
    const dev = await GpuDevice.create(nodeGpu(), { withoutFeatures: ['subgroups' as GPUFeatureName] });
    const rt = new Runtime(dev);
    try {
      const f = adapterFacts(rt);
      assert.equal(f.subgroups, false);
      const sgKinds = (ids: string[]) => ids.filter((id) => /^(subgroup|cluster)/.test(id));
      assert.equal(defaultMatmulVariant(f), 'register-8x8');
      assert.deepEqual(sgKinds(matmulCandidates(f, { m: 128, n: 2, k: 4096, batch: 1, transA: false, transB: true })), []);
      for (const fam of CONV2D_FAMILIES) assert.deepEqual(sgKinds(conv2dCandidates(fam, f, { kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, groups: 1, blocked: 64, summed: 64, pixels: 4096 })), []);
      assert.equal(defaultConv2dVariant(f, { blocked: 64, summed: 64 }), 'register-8');
      assert.equal(matmulConfig(rt, { m: 40, n: 24, k: 36, batch: 1, transA: false, transB: false }).kernel, 'register');
      // the ops' defaults on this device, through the op entry points
      const rng = new Rng(3);
      const [m, k, n] = [40, 37, 24];
      const ad = rng.uniform(m * k, -1, 1);
      const bd = rng.uniform(k * n, -1, 1);
      const c = matmulKernel(tensor(ad, [m, k], rt), tensor(bd, [k, n], rt));
      assert.equal(mismatch(await c.read(), refMatmul({ shape: [m, k], data: Float64Array.from(ad) }, { shape: [k, n], data: Float64Array.from(bd) })), null);
      const cc = CONV_CASES[0];
      const xd = rng.uniform(cc.x.reduce((a, b) => a * b), -1, 1);
      const wd = rng.uniform(cc.w.reduce((a, b) => a * b), -1, 1);
      const g = conv2dGeometry(cc.x, cc.w, null, cc.o);
      const y = conv2dForwardKernel(tensor(xd, cc.x, rt), tensor(wd, cc.w, rt), null, g);
      const e = refConv.conv2d({ shape: cc.x, data: Float64Array.from(xd) }, { shape: cc.w, data: Float64Array.from(wd) }, null, { stride: [2, 2], padding: [1, 1] });
      assert.equal(mismatch(await y.read(), e), null);
      if (FULL) {
        const ids = fitting(f);
        const failures: string[] = [];
        for (const [id, combos, shapes] of matmulPlan(ids.matmul)) failures.push(...(await checkMatmul(rt, id, combos, shapes)));
        for (const id of ids.conv) for (const family of CONV2D_FAMILIES) failures.push(...(await checkConv(rt, family, id, CONV_CASES, family === 'conv2d.forward')));
        assert.deepEqual(failures, []);
      }
    } finally {
      dev.destroy();
    }
  });

  it('in headless Chromium on SwiftShader: every variant that does not assume 8-wide subgroups (subset unless SAMGPU_TEST_MATRIX=full)', async function () {
    // Skipped only without Debian's Chromium (a developer's laptop); CI installs it.
    if (!existsSync(CHROMIUM)) {
      console.log(`    (skipped: no Chromium at ${CHROMIUM})`);
      this.skip();
    }
    const dir = mkdtempSync(join(tmpdir(), 'samgpu-variants-'));
    const profile = mkdtempSync(join(tmpdir(), 'samgpu-chromium-'));
    const server = await serveStaticDir(dir);
    const ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu', '--disable-gpu'],
    });
    try {
      const page = ctx.pages()[0] ?? (await ctx.newPage());
      await page.goto(server.url);
      // subset: the kernels whose correctness depends on the subgroup size (4 here, 8 on lavapipe)
      const plan = { full: FULL, matmul: FULL ? null : ['cluster-4x16', 'cluster-4+sk64'], conv: FULL ? null : ['cluster-4'] };
      const r = await page.evaluate((p) => (window as unknown as { runMatrix(p: unknown): Promise<{ adapter: string; subgroups: number[] | null; ran: string[]; failures: string[] }> }).runMatrix(p), plan);
      console.log(`    page adapter: ${r.adapter} (subgroups ${r.subgroups ? r.subgroups.join('–') : 'off'}); ${r.ran.length} variant checks`);
      assert.ok(r.ran.length >= (FULL ? 20 : 4), `ran ${r.ran.join(', ')}`);
      assert.deepEqual(r.failures, []);
    } finally {
      await ctx.close();
      await server.close();
      rmSync(profile, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The page: test/variant-page.ts bundled for the browser, served from `dir`. */
async function serveStaticDir(dir: string) {
  const out = await build({
    entryPoints: [new URL('./variant-page.ts', import.meta.url).pathname],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    loader: { '.wgsl': 'text' },
    logLevel: 'silent',
  });
  writeFileSync(join(dir, 'matrix.js'), out.outputFiles[0].text);
  writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>samgpu variants</title><script type="module" src="matrix.js"></script>');
  return serveStatic(dir, { port: 0 });
}
