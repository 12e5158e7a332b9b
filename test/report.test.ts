import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReport, loadRuns } from '../experiments/report/report.node.ts';
import { aggregate } from '../experiments/report/aggregate.ts';

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

  it('an empty folder is refused with its name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'samgpu-report-'));
    assert.throws(() => writeReport(dir), /report: no finished runs \(final.json\) under/);
    rmSync(dir, { recursive: true, force: true });
  });
});
