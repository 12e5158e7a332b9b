// Studies: candidates and the choice on the selection split (known answers), and the headline
// study's smoke budget run end to end: sweep folders, findings.json, the page, a rerun that
// does nothing new.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { candidateId, candidates, choose, type Plan } from '../experiments/studies/study.ts';
import { headline } from '../experiments/studies/headline.ts';
import { runStudy } from '../experiments/studies/study.node.ts';
import type { FinalResult } from '../experiments/runner/types.ts';
import { gpu } from './helpers.ts';
import { findingsMarkdown } from '../experiments/studies/findings-doc.ts';

const fake = (seed: number, score: number) => ({ config: { seed }, probes: { easy: { valError: score }, hard: { valError: score } } }) as unknown as FinalResult;

describe('studies', () => {
  it('expands an arm\'s candidates, names them, and chooses the lowest mean selection score', () => {
    const plan: Plan = {
      base: {}, seeds: [0, 1, 2], selectionSeeds: [100, 101],
      arms: [{ id: 'sgd', label: 'SGD', params: {} }, { id: 'sam', label: 'SAM', params: {}, select: { 'optimizer.rho': [0.05, 0.1], 'optimizer.rhoWarmup': [0, 2] } }],
    };
    const cands = candidates(plan.arms[1]);
    assert.equal(cands.length, 4);
    assert.deepEqual(cands.map((c) => candidateId(plan.arms[1], c)), ['sam_rho-0.05_rhoWarmup-0', 'sam_rho-0.05_rhoWarmup-2', 'sam_rho-0.1_rhoWarmup-0', 'sam_rho-0.1_rhoWarmup-2']);
    const scores: Record<string, number[]> = { 'sam_rho-0.05_rhoWarmup-0': [0.3, 0.3], 'sam_rho-0.05_rhoWarmup-2': [0.2, 0.4], 'sam_rho-0.1_rhoWarmup-0': [0.25, 0.27], 'sam_rho-0.1_rhoWarmup-2': [0.1, NaN] };
    const runs = new Map(Object.entries(scores).map(([id, s]) => [id, s.map((v, i) => fake(100 + i, v))]));
    const sel = choose(plan, runs, (r) => r.probes.hard.valError!, 'test');
    // a candidate's NaN seed is left out of its mean, so 0.1 (one seed) wins
    assert.deepEqual(sel.chosen, { sam: { 'optimizer.rho': 0.1, 'optimizer.rhoWarmup': 2 } });
    assert.equal(sel.candidates.filter((c) => c.chosen).length, 1);
    assert.equal(sel.candidates.find((c) => c.values['optimizer.rho'] === 0.1 && c.values['optimizer.rhoWarmup'] === 0)!.score, 0.26);
    assert.equal((sel.chosen as Record<string, unknown>).sgd, undefined);
  });

  it('the headline smoke budget runs end to end: paired findings with n and verdicts, the page, and a rerun that does nothing', async function () {
    this.timeout(600_000);
    await gpu();
    const dir = mkdtempSync(join(tmpdir(), 'samgpu-study-'));
    try {
      const logs: string[] = [];
      const out = await runStudy(headline, { budget: 'smoke', dir, log: (l) => logs.push(l) });
      assert.equal(out.status, 'done');
      const f = JSON.parse(readFileSync(join(dir, 'findings.json'), 'utf8'));
      assert.equal(f.study, 'headline');
      assert.equal(f.budget, 'smoke');
      assert.deepEqual(new Set(f.findings.map((x: { question: string }) => x.question)), new Set(['hard', 'easy', 'both', 'accuracy', 'learned', 'mechanism']));
      for (const x of f.findings) {
        assert.ok(x.n <= 2 && (x.verdict === 'inconclusive' || x.verdict === null), `${x.statistic}: n ${x.n}, ${x.verdict}`);
        assert.equal(x.values.length, x.n);
      }
      const html = readFileSync(join(dir, 'report.html'), 'utf8');
      assert.ok(!/NaN/.test(html), 'no NaN on the page');
      for (const q of headline.questions) assert.ok(html.includes(q.text.replace(/'/g, '&#39;')) || html.includes(q.text), q.text);
      assert.match(html, /untrained/);
      assert.match(html, /oracle/);
      // a rerun finds every run done: nothing is trained again
      const final = join(dir, 'main', 'runs', 'sam_seed-0', 'final.json');
      const mtime = statSync(final).mtimeMs;
      await runStudy(headline, { budget: 'smoke', dir, log: () => undefined });
      assert.equal(statSync(final).mtimeMs, mtime);
      const again = JSON.parse(readFileSync(join(dir, 'findings.json'), 'utf8'));
      assert.deepEqual(again.findings, f.findings);
      // docs/FINDINGS.md is rendered from findings.json alone
      const md = findingsMarkdown([{ path: 'results/x/findings.json', findings: f }]);
      assert.match(md, /^# Findings/);
      assert.match(md, /samgpu study headline --budget smoke/);
      assert.match(md, /\| SAM lowers the hard feature's probe error .*\| inconclusive \|/);
      assert.ok(!/NaN|undefined/.test(md));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
