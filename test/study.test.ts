// Studies: candidates and the choice on the selection split (known answers), and the headline
// study's smoke budget run end to end: sweep folders, findings.json, the page, a rerun that
// does nothing new.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { candidateId, candidates, choose, type Plan } from '../experiments/studies/study.ts';
import { headline } from '../experiments/studies/headline.ts';
import { runStudy, sweepClock } from '../experiments/studies/study.node.ts';
import type { FinalResult } from '../experiments/runner/types.ts';
import { gpu } from './helpers.ts';
import { findingsMarkdown } from '../experiments/studies/findings-doc.ts';
import { runDirOf } from './sweep-helpers.ts';
import { features } from '../experiments/studies/features.ts';
import { rho } from '../experiments/studies/rho.ts';
import { counterclaim, settingsOf } from '../experiments/studies/counterclaim.ts';
import { stepsToLearn } from '../experiments/studies/difficulty.ts';
import { ranks, spearman, spread } from '../experiments/studies/settings.ts';
import { DATA_DIR, WEIGHTS, withDataDir, withWeights } from '../experiments/studies/study.ts';
import { expandSweep } from '../experiments/runner/sweep.ts';
import { validateConfig } from '../experiments/runner/config.ts';
import { stallEpochs } from '../experiments/studies/compare.ts';
import { bootstrapFinding, seedClaim } from '../experiments/studies/findings.ts';
import { STUDIES } from '../experiments/studies/index.ts';
import { methods, pearson } from '../experiments/studies/methods.ts';

const fake = (seed: number, score: number) => ({ config: { seed }, probes: { easy: { valError: score }, hard: { valError: score } } }) as unknown as FinalResult;

describe('studies', () => {
  it('times a sweep by its cells: overlapping runs count once, pauses between them not at all', () => {
    const dir = mkdtempSync(join(tmpdir(), 'samgpu-clock-'));
    try {
      const at = (s: number) => new Date(Date.UTC(2026, 0, 1) + s * 1000).toISOString();
      const dirs = [[0, 10], [5, 20], [300, 340], null].map((span, i) => {
        const d = join(dir, `c${i}`);
        mkdirSync(d);
        if (span) writeFileSync(join(d, 'cell-status.json'), JSON.stringify({ state: 'done', started: at(span[0]), ended: at(span[1]) }));
        return d;
      });
      assert.deepEqual(sweepClock(dirs), { seconds: 60, finished: at(340) });
      assert.equal(sweepClock([dirs[3]]), null);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

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
      const final = join(runDirOf(join(dir, 'main'), 'sam_seed-0')!, 'final.json');
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

  it('known answers of the k-feature and ρ statistics: ranks with ties, Spearman, spread, steps to learn (censored), the stall, bootstrap and per-seed verdicts', () => {
    assert.deepEqual(ranks([3, 1, 3, 2]), [3.5, 1, 3.5, 2]);
    assert.equal(spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1);
    assert.equal(spearman([1, 2, 3], [3, 2, 1]), -1);
    assert.ok(Number.isNaN(spearman([1, 2, 3], [0, 0, 0])));
    assert.equal(spread([1, 3]), 1);
    const run = (losses: number[], accs: number[]) => ({ metrics: losses.map((l, i) => ({ epoch: i + 1, step: 10 * (i + 1), trainLoss: l, valAcc: accs[i] })) }) as unknown as FinalResult;
    assert.deepEqual(stepsToLearn(run([0.7, 0.5, 0.1], [0.6, 0.95, 0.99])), { steps: 20, censored: false });
    assert.deepEqual(stepsToLearn(run([0.7, 0.6], [0.6, 0.7])), { steps: 30, censored: true });
    // ln 2 = 0.693: 0.69 is at chance (>= 95%), 0.6 is not
    assert.equal(stallEpochs(run([0.69, 0.68, 0.6, 0.69], [0, 0, 0, 0]), 2), 2);
    assert.equal(stallEpochs(run([0.69, 0.69], [0, 0]), 2), 2);
    const b = { estimate: 1, lo: 0.5, hi: 2, level: 0.95, n: 4, resamples: 100, failed: 0, mean: 1.1 };
    assert.equal(bootstrapFinding('q', 'c', 's', 'positive', b, new Map([[0, 1]])).verdict, 'supported');
    assert.equal(bootstrapFinding('q', 'c', 's', 'negative', b, new Map([[0, 1]])).verdict, 'contradicted');
    assert.equal(bootstrapFinding('q', 'c', 's', 'positive', { ...b, n: 2 }, new Map()).verdict, 'inconclusive');
    assert.equal(seedClaim('q', 'c', 's', 'positive', new Map([[0, 0.9], [1, 1], [2, 0.8]])).verdict, 'supported');
    // budgets that read real data need --data-dir, and get it at any depth of the arms' parameters
    const plan: Plan = { base: {}, seeds: [0], selectionSeeds: [], arms: [{ id: 'a', label: 'a', params: { dataset: { name: 'cifar-mnist', dataDir: DATA_DIR } } }] };
    assert.throws(() => withDataDir(plan, undefined, 'study x', 'cifar-10-batches-bin/'), /study x reads real datasets \(nothing is downloaded\): give --data-dir DIR, a folder holding cifar-10-batches-bin\//);
    assert.deepEqual(withDataDir(plan, '/data', 'study x').arms[0].params, { dataset: { name: 'cifar-mnist', dataDir: '/data' } });
    // budgets that start from pretrained weights need --weights, the same way
    const pre: Plan = { base: {}, seeds: [0], selectionSeeds: [], arms: [{ id: 'a', label: 'a', params: { model: { name: 'resnet50', weights: WEIGHTS } } }] };
    assert.throws(() => withWeights(pre, undefined, 'study y', 'ImageNet ResNet-50 weights'), /study y starts from pretrained weights \(nothing is downloaded\): give --weights FILE, ImageNet ResNet-50 weights/);
    assert.deepEqual(withWeights(pre, '/w.safetensors', 'study y').arms[0].params, { model: { name: 'resnet50', weights: '/w.safetensors' } });
    // every run of every budget (the GPU ones too) is a valid config once the user's paths are in
    for (const st of Object.values(STUDIES)) {
      for (const [name, bud] of Object.entries(st.budgets)) {
        const p = withWeights(withDataDir(bud.plan, '/data', name), '/w.safetensors', name);
        const cells = p.arms.map((a) => ({ id: a.id, params: a.params }));
        for (const c of expandSweep({ name: 'check', base: p.base, grid: { seed: p.seeds.slice(0, 1) }, cells })) {
          assert.doesNotThrow(() => validateConfig(c.config), `${st.name} ${name} ${c.id}`);
        }
      }
    }
    // every study's budgets keep selection seeds apart from the reported ones, and arm ids are unique
    for (const st of Object.values(STUDIES)) {
      for (const [name, bud] of Object.entries(st.budgets)) {
        const ids = bud.plan.arms.map((a) => a.id);
        assert.equal(new Set(ids).size, ids.length, `${st.name} ${name}: unique arm ids`);
        assert.ok(!bud.plan.seeds.some((x) => bud.plan.selectionSeeds.includes(x)), `${st.name} ${name}`);
      }
    }
  });

  it('the methods study\'s smoke budget runs every method with SGD and SAM: additivity and DFR findings, DFR numbers in the plain runs, the page', async function () {
    this.timeout(900_000);
    await gpu();
    assert.equal(pearson([1, 2, 3], [2, 4, 7]).toFixed(4), '0.9934');
    assert.ok(Number.isNaN(pearson([1, 1], [2, 3])));
    const dir = mkdtempSync(join(tmpdir(), 'samgpu-methods-'));
    try {
      const out = await runStudy(methods, { budget: 'smoke', dir, log: () => undefined });
      assert.equal(out.status, 'done');
      const f = JSON.parse(readFileSync(join(dir, 'findings.json'), 'utf8'));
      assert.deepEqual(new Set(f.findings.map((x: { question: string }) => x.question)), new Set(['additivity', 'dfr']));
      for (const x of f.findings) {
        assert.ok(x.n <= 2 && (x.verdict === 'inconclusive' || x.verdict === null), `${x.statistic}: n ${x.n}, ${x.verdict}`);
        assert.equal(x.values.length, x.n, x.statistic);
      }
      for (const m of ['plain', 'jtt', 'gdro', 'sd', 'useful']) assert.ok(f.findings.some((x: { statistic: string; n: number }) => x.n === 2 && x.statistic.startsWith('SAM − SGD with') && x.statistic.includes('worst-group')), m);
      const plain = JSON.parse(readFileSync(join(runDirOf(join(dir, 'main'), 'fmnist_sam-plain_seed-0')!, 'final.json'), 'utf8')) as FinalResult;
      assert.ok(plain.dfr && Number.isFinite(plain.dfr.worstGroupAcc));
      const jtt = JSON.parse(readFileSync(join(runDirOf(join(dir, 'main'), 'fmnist_sgd-jtt_seed-1')!, 'final.json'), 'utf8')) as FinalResult;
      assert.equal(jtt.upsampling?.method, 'jtt');
      const html = readFileSync(join(dir, 'report.html'), 'utf8');
      assert.ok(!/NaN|undefined/.test(html), 'no NaN or undefined on the page');
      assert.match(html, /<svg/);
      assert.match(html, /DFR worst-group/);
      const md = findingsMarkdown([{ path: 'results/x/findings.json', findings: f }]);
      assert.match(md, /samgpu study methods --budget smoke/);
      assert.ok(!/NaN|undefined/.test(md));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the ρ study judges "the stall does not explain the fall" only where the warm-up removed the stall', () => {
    const plan = rho.budgets.smoke.plan;
    const chance = Math.log(2);
    const mk = (seed: number, losses: number[], acc: number) => ({
      config: { seed }, metrics: losses.map((l, i) => ({ epoch: i + 1, step: i + 1, trainLoss: l, valAcc: 0 })),
      inDistAcc: acc, testAcc: 0.5, worstGroupAcc: 0, groupAcc: [], probes: { easy: { error: 0.1 }, hard: { error: 0.2 } }, seconds: 1,
    }) as unknown as FinalResult;
    const seeds = [0, 1, 2, 3];
    const learns = (s: number) => mk(s, [0.3, 0.1, 0.05], 0.99);
    const stalls = (s: number) => mk(s, [chance, chance, chance], 0.5 + 0.01 * s);
    const runs = new Map(plan.arms.map((a) => [a.id, seeds.map((s) => (a.id === 'toy_rho-1' || a.id === 'toy_warm-1' ? stalls(s) : learns(s)))]));
    const fallAfterWarmup = () => rho.analyze({ budget: 'smoke', plan, runs, selection: null }).findings.find((x) => x.claim.startsWith('Even with the warm-up, ρ = 1'))!;
    // the warm-up still stalls: its fall says nothing about the stall
    assert.equal(fallAfterWarmup().verdict, 'inconclusive');
    assert.match(fallAfterWarmup().note ?? '', /did not remove the stall \(3\.0 leading epochs at chance against SGD's 0\.0\)/);
    // the warm-up learns from the first epoch and accuracy still falls: supported
    runs.set('toy_warm-1', seeds.map((s) => mk(s, [0.3, 0.1, 0.05], 0.9 - 0.01 * s)));
    assert.equal(fallAfterWarmup().verdict, 'supported');
  });

  for (const [study, questions] of [[features, ['gain', 'order', 'dispersion', 'gini', 'difficulty']], [rho, ['argmax', 'fall', 'quality', 'stall']], [counterclaim, ['time', 'reversal', 'balance', 'rank']]] as const) {
    it(`the ${study.name} study's smoke budget runs end to end: per-feature probes, findings for every question, the page`, async function () {
      this.timeout(600_000);
      await gpu();
      const dir = mkdtempSync(join(tmpdir(), `samgpu-${study.name}-`));
      try {
        const out = await runStudy(study, { budget: 'smoke', dir, log: () => undefined });
        assert.equal(out.status, 'done');
        const f = JSON.parse(readFileSync(join(dir, 'findings.json'), 'utf8'));
        assert.deepEqual(new Set(f.findings.map((x: { question: string }) => x.question)), new Set(questions));
        for (const x of f.findings) {
          assert.ok(x.n <= 2 && (x.verdict === 'inconclusive' || x.verdict === null), `${x.statistic}: n ${x.n}, ${x.verdict}`);
          assert.equal(x.values.length, x.n, x.statistic);
        }
        const html = readFileSync(join(dir, 'report.html'), 'utf8');
        assert.ok(!/NaN|undefined/.test(html), 'no NaN or undefined on the page');
        assert.match(html, /<svg/);
        const md = findingsMarkdown([{ path: 'results/x/findings.json', findings: f }]);
        assert.match(md, new RegExp(`samgpu study ${study.name} --budget smoke`));
        assert.ok(!/NaN|undefined/.test(md));
        if (study === features) {
          const final = JSON.parse(readFileSync(join(runDirOf(join(dir, 'main'), 'lms-branch_sam_seed-0')!, 'final.json'), 'utf8')) as FinalResult;
          assert.deepEqual(Object.keys(final.probes.features!), ['linear', 'slab3', 'slab5']);
          assert.deepEqual(Object.keys(final.untrainedProbes!.features!), ['linear', 'slab3', 'slab5']);
          assert.equal(final.probes.hard.error, final.probes.features!.slab5.error);
          assert.ok(f.findings.some((x: { statistic: string }) => /trained on 5-slab coordinate alone/.test(x.statistic)), 'difficulty from the alone runs');
          const collage = JSON.parse(readFileSync(join(runDirOf(join(dir, 'main'), 'collage_lsam_seed-1')!, 'final.json'), 'utf8')) as FinalResult;
          assert.deepEqual(Object.keys(collage.probes.features!), ['mnist', 'grating', 'fashion']);
        } else if (study === rho) {
          assert.ok(f.findings.some((x: { claim: string; note?: string }) => x.claim.startsWith('The hard feature\'s probe error is lowest at a larger ρ') && /resamples|no ρ maximizes it/.test(x.note ?? '')));
          // a flat in-distribution curve (the toy's accuracy of 1 at every ρ) gets no verdict from the tie-break
          for (const x of f.findings.filter((y: { question: string; note?: string }) => y.question === 'argmax' && /no ρ maximizes it/.test(y.note ?? ''))) assert.equal(x.verdict, 'inconclusive');
          // only SGD probes the untrained network; the page shows it as every arm's reference
          const sam = JSON.parse(readFileSync(join(runDirOf(join(dir, 'main'), 'toy_rho-0.1_seed-0')!, 'final.json'), 'utf8')) as FinalResult;
          const sgd = JSON.parse(readFileSync(join(runDirOf(join(dir, 'main'), 'toy_rho-0_seed-0')!, 'final.json'), 'utf8')) as FinalResult;
          assert.equal(sam.untrainedProbes, undefined);
          assert.ok(sgd.untrainedProbes!.hard.error >= 0);
          assert.match(html, /untrained network \(same seeds\)/);
          assert.match(html, /untrained: hard feature/);
        } else {
          // probes and ranks over training: epoch 1 of 2 in the run, both epochs in the findings
          const final = JSON.parse(readFileSync(join(runDirOf(join(dir, 'main'), 'parity-linear_sam-0.1_seed-1')!, 'final.json'), 'utf8')) as FinalResult;
          assert.deepEqual(Object.keys(final.metrics[0].probes!.features!), ['linear', 'parity']);
          assert.ok(final.metrics[0].featureRank!.effective > 0 && final.featureRank!.units === 120);
          assert.deepEqual(settingsOf('smoke').map((x) => x.id), ['ck-parity', 'parity-linear', 'toy']);
          for (const s of settingsOf('smoke')) {
            for (const t of [1, 2]) assert.ok(f.findings.some((x: { question: string; claim: string }) => x.question === 'time' && x.claim.includes(`at epoch ${t} of 2`) && x.claim.endsWith(`(${s.label})`)), `${s.id} epoch ${t}`);
          }
          assert.match(html, /SAM − SGD, 2-bit parity probe error \(paired by seed\)/);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
