import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReport, loadRuns, buildReport } from '../experiments/report/report.node.ts';
import { aggregate, datasetLabeler } from '../experiments/report/aggregate.ts';
import { inDistributionAccuracy } from '../experiments/runner/train.ts';
import type { TwoFeatureSplit } from '../experiments/data/types.ts';

const fixture = new URL('./fixtures/results-mini', import.meta.url).pathname;

describe('report', () => {
  it('aggregates runs: hyper-parameters chosen on validation, mean ± sd over seeds', () => {
    const { rows, rho, claims } = aggregate(loadRuns(fixture).map((r) => r.final));
    assert.deepEqual(rows.map((r) => r.optimizer), ['sgd', 'sam']);
    assert.equal(rows[0].seeds.length, 2);
    assert.deepEqual(rho.map((p) => p.rho).sort(), [0.05, 0.2]);
    assert.equal(claims.length, 2);
    for (const c of claims) assert.match(c.detail, /\d\.\d{3}/);
  });

  it('builds report.html with the table, the claims and the SVGs from a results folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'samgpu-report-'));
    try {
      cpSync(fixture, dir, { recursive: true });
      const path = writeReport(dir);
      const html = readFileSync(path, 'utf8');
      assert.match(html, /<table>/);
      assert.match(html, /hard-feature probe error/);
      assert.match(html, /(supported|not supported|inconclusive)/);
      assert.equal((html.match(/<svg /g) ?? []).length, 2);
      assert.ok(existsSync(join(dir, 'synthetic-probe-vs-rho.svg')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('in-distribution accuracy weights the test groups by the training split\'s group frequencies', () => {
    const train = { n: 4, group: Int32Array.from([0, 0, 0, 3]) } as unknown as TwoFeatureSplit;
    // groups 0 and 3 (the features agree) in train 3:1; group 1 never seen in training
    assert.equal(inDistributionAccuracy(train, { '0': 1, '1': 0, '2': 0.5, '3': 0.5 }), 0.875);
    assert.ok(Number.isNaN(inDistributionAccuracy(train, { '1': 1 })));
  });

  it('results written before in-distribution accuracy and probe convergence existed still aggregate; unfinished probe fits are reported', () => {
    const runs = loadRuns(fixture).map((r) => r.final);
    const { rows } = aggregate(runs);
    assert.ok(rows.every((r) => Number.isNaN(r.inDistAcc.mean) && r.unconvergedProbes === 0));
    const marked = structuredClone(runs);
    marked[0].inDistAcc = 0.9;
    marked[0].probes.hard.converged = false;
    const row = aggregate(marked).rows.find((r) => r.optimizer === marked[0].config.optimizer.name && r.seeds.includes(marked[0].config.seed))!;
    assert.equal(row.unconvergedProbes, 1);
    const dir = mkdtempSync(join(tmpdir(), 'samgpu-report-'));
    try {
      cpSync(fixture, dir, { recursive: true });
      assert.match(readFileSync(writeReport(dir), 'utf8'), /<th>in-distribution acc<\/th>/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('importance weights recorded by the runs give Lorenz curves and a verdict on the first mechanism', () => {
    const loaded = loadRuns(fixture);
    const lor = (g: number) => Array.from({ length: 21 }, (_, i) => (i / 20) ** (1 + g));
    for (const [i, r] of loaded.entries()) {
      const sam = r.final.config.optimizer.name !== 'sgd';
      const gini = 0.5 + 0.01 * i;
      r.final.metrics.at(-1)!.importance = { gini, lorenz: lor(gini), ...(sam ? { giniPhantom: gini - 0.1, lorenzPhantom: lor(gini - 0.1) } : {}) };
    }
    const { rows, claims } = aggregate(loaded.map((r) => r.final));
    const sam = rows.find((r) => r.optimizer === 'sam')!;
    assert.ok(Math.abs(sam.importance!.giniDrop!.mean - 0.1) < 1e-12 && sam.importance!.lorenzPhantom!.length === 21);
    assert.equal(rows.find((r) => r.optimizer === 'sgd')!.importance!.giniPhantom, undefined);
    const c = claims.find((x) => /phantom point/.test(x.claim))!;
    assert.equal(c.supported, true, c.detail);
    const { html, svgs } = buildReport(fixture, loaded);
    const svg = [...svgs].find(([name]) => name.endsWith('-lorenz.svg'));
    assert.ok(svg && /SAM λ̃, Gini/.test(svg[1]) && !/NaN/.test(svg[1]));
    assert.match(html, /more uniform at the phantom point/);
  });

  it('runs of one dataset that differ in options or model form separate rows, never pooled as seeds', () => {
    const runs = loadRuns(fixture).map((r) => r.final);
    const other = structuredClone(runs).map((r) => ({ ...r, config: { ...r.config, dataset: { ...r.config.dataset, options: { ...(r.config.dataset as { options?: object }).options, testDomain: 'art', seed: 9 } } } }));
    const label = datasetLabeler([...runs, ...other]);
    assert.equal(datasetLabeler(runs)(runs[0]), 'synthetic');
    assert.equal(label(other[0]), 'synthetic (testDomain=art)');
    assert.equal(label(runs[0]), 'synthetic (testDomain=–)');
    const { rows } = aggregate([...runs, ...other]);
    assert.equal(rows.length, 4);
    assert.deepEqual(rows.map((r) => r.seeds.length), [2, 2, 2, 2]);
  });

  it('an empty folder is refused with its name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'samgpu-report-'));
    assert.throws(() => writeReport(dir), /report: no finished runs \(final.json\) under/);
    rmSync(dir, { recursive: true, force: true });
  });
});
