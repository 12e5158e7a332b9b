import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReport, loadRuns, buildReport } from '../experiments/report/report.node.ts';
import { aggregate, datasetLabeler } from '../experiments/report/aggregate.ts';
import { inDistributionAccuracy } from '../experiments/runner/train.ts';
import type { TwoFeatureSplit } from '../experiments/data/types.ts';
import type { FinalResult } from '../experiments/runner/types.ts';

const fixture = new URL('./fixtures/results-mini', import.meta.url).pathname;
const finals = () => loadRuns(fixture).map((r) => r.final);

describe('report', () => {
  it('chooses each optimizer\'s ρ on the selection split, never on the probes\' fit or test split, and pairs SAM with SGD by seed', () => {
    const runs = finals();
    const { rows, grid, claims } = aggregate(runs);
    assert.deepEqual(rows.map((r) => r.optimizer), ['sgd', 'sam']);
    assert.deepEqual(rows.map((r) => r.seeds), [[0, 1, 2], [0, 1, 2]]);
    const sam = grid.filter((g) => g.optimizer === 'sam');
    assert.equal(sam.length, 2);
    const best = sam.reduce((b, g) => (g.selectionScore < b.selectionScore ? g : b));
    assert.ok(best.chosen && sam.filter((g) => g.chosen).length === 1);
    assert.equal(rows[1].rho, best.rho);
    // Making the other cell's test errors perfect must not change the choice (the test split is not looked at).
    const other = sam.find((g) => !g.chosen)!;
    const tampered = structuredClone(runs).map((r) => (r.config.optimizer.name === 'sam' && r.config.optimizer.rho === other.rho ? { ...r, probes: { ...r.probes, easy: { ...r.probes.easy, error: 0 }, hard: { ...r.probes.hard, error: 0 } } } : r));
    assert.equal(aggregate(tampered).rows[1].rho, best.rho);
    const hard = claims.find((c) => c.id === 'hard')!;
    assert.equal(hard.comparison.n, 3);
    const sgdHard = new Map(runs.filter((r) => r.config.optimizer.name === 'sgd').map((r) => [r.config.seed, r.probes.hard.error]));
    const samHard = new Map(rows[1].runs.map((r) => [r.config.seed, r.probes.hard.error]));
    assert.deepEqual(hard.comparison.differences, [0, 1, 2].map((s) => samHard.get(s)! - sgdHard.get(s)!));
  });

  it('a lone seed, or seeds without a partner, never get a definite verdict', () => {
    const runs = finals().filter((r) => r.config.seed === 0 || (r.config.optimizer.name === 'sgd'));
    const { claims } = aggregate(runs);
    assert.ok(claims.length && claims.every((c) => c.verdict === 'inconclusive' && c.comparison.n <= 1), JSON.stringify(claims.map((c) => [c.id, c.verdict, c.comparison.n])));
  });

  it('the verdict does not flip when unrelated runs are added to the folder', () => {
    const runs = finals();
    const before = aggregate(runs).claims.map((c) => [c.id, c.verdict, c.comparison.mean]);
    const extra = structuredClone(runs.filter((r) => r.config.optimizer.name === 'sam')).map((r) => ({ ...r, config: { ...r.config, optimizer: { ...r.config.optimizer, name: 'lsam' as const } } }));
    const after = aggregate([...runs, ...extra]).claims.filter((c) => !c.statistic.includes('LSAM')).map((c) => [c.id, c.verdict, c.comparison.mean]);
    assert.deepEqual(after, before);
  });

  it('builds report.html with the table, intervals, verdicts and figures from a results folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'samgpu-report-'));
    try {
      cpSync(fixture, dir, { recursive: true });
      const html = readFileSync(writeReport(dir), 'utf8');
      assert.match(html, /<table>/);
      assert.match(html, /hard-feature probe error/);
      assert.match(html, /\[[−+]\d\.\d{3}, [−+]\d\.\d{3}\], n = 3/);
      assert.match(html, /(supported|contradicted|inconclusive)/);
      assert.match(html, /untrained hard/);
      assert.ok(!/NaN/.test(html));
      for (const f of ['synthetic-claims.svg', 'synthetic-train-loss.svg', 'synthetic-lorenz.svg']) assert.ok(existsSync(join(dir, f)), f);
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

  it('unfinished probe fits are counted and named', () => {
    const runs = finals();
    const sgd = runs.find((r) => r.config.optimizer.name === 'sgd')!;
    sgd.probes.hard.converged = false;
    const row = aggregate(runs).rows.find((r) => r.runs.includes(sgd))!;
    assert.equal(row.unconvergedProbes, 1);
    assert.match(buildReport('x', runs).html, /stopped before their tolerance/);
  });

  it('runs of one dataset that differ in options or model form separate rows, never pooled as seeds', () => {
    const runs = finals();
    const other: FinalResult[] = structuredClone(runs).map((r) => ({ ...r, config: { ...r.config, dataset: { ...r.config.dataset, options: { ...(r.config.dataset as { options?: object }).options, testDomain: 'art', seed: 9 } } } }));
    const label = datasetLabeler([...runs, ...other]);
    assert.equal(datasetLabeler(runs)(runs[0]), 'synthetic');
    assert.equal(label(other[0]), 'synthetic (testDomain=art)');
    assert.equal(label(runs[0]), 'synthetic (testDomain=–)');
    const { rows } = aggregate([...runs, ...other]);
    assert.equal(rows.length, 4);
    assert.deepEqual(rows.map((r) => r.seeds.length), [3, 3, 3, 3]);
  });

  it('an empty folder is refused with its name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'samgpu-report-'));
    assert.throws(() => writeReport(dir), /report: no finished runs \(final.json\) under/);
    rmSync(dir, { recursive: true, force: true });
  });
});
