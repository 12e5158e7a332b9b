// The counter-claim: does SAM balance feature learning (Springer et al., ICLR 2024) or amplify
// simplicity bias? Chang & Khanna (NeurIPS 2025, arXiv 2511.17378) argue from linear stability
// that SAM prefers minima whose per-example curvature is coherent across the data, i.e. simpler,
// lower-rank solutions, and test it on a two-layer ReLU net learning the 2-bit parity of Boolean
// inputs (their nn_training.py: d = 30, n = 100, 120 hidden units, batch 10, lr 0.1). Andriushchenko
// et al. (NeurIPS 2023) and Gatmiry et al. (ICML 2024) find SAM driving features to low rank; Moon,
// Si & Yun (arXiv 2603.08290) find L2-SAM in diagonal linear nets relying first on minor, later on
// major coordinates, so an answer may depend on when it is read. This study trains SGD and SAM over
// a grid of ρ from the same initialization and data order per seed in three settings: Chang &
// Khanna's parity data (the linear coordinate carries no label in training, as in theirs),
// the parity competing with a linear coordinate that carries the label on 90% of the training
// examples (their simplicity bias in two-feature form), and the paper's toy. The probes of both
// features and the rank of the penultimate features are measured at five points of training.
import { pairedClaim, type Metric } from './compare.ts';
import { toFinding } from './findings.ts';
import { runsOf, settingArm, type Variant } from './settings.ts';
import type { Finding, Plan, Study, StudyContext, StudyResult } from './study.ts';
import { counterclaimSections } from './counterclaim-page.ts';
import { checkpoints, easyAt, hardAt, rankAt, samVariant, type TimedSetting } from './counterclaim-metrics.ts';

export { type TimedSetting };

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

function variants(s: TimedSetting): Variant[] {
  return [
    { id: 'sgd', label: 'SGD', optimizer: { name: 'sgd' } },
    ...s.grid.map((rho) => ({ id: samVariant(rho), label: `SAM ρ = ${rho}`, optimizer: { name: 'sam', rho } })),
  ];
}

interface Recipe {
  epochs: number;
  batchSize: number;
  grid: number[];
  sizes?: Record<string, number>;
}

const PROBE = (every: number) => ({ representation: 'penultimate', every, rank: true });

/** What differs between the settings; each reads five checkpoints of training (plain gradient steps, no weight decay). */
interface SettingSpec extends Pick<TimedSetting, 'id' | 'label' | 'features' | 'note'> {
  dataset: TimedSetting['config']['dataset'];
  model: Record<string, unknown>;
  lr: number;
}

function timed(r: Recipe, s: SettingSpec): TimedSetting {
  const every = Math.max(1, Math.round(r.epochs / 5));
  return {
    id: s.id, label: s.label, classes: 2, features: s.features, grid: r.grid, epochs: r.epochs, every, note: s.note,
    config: {
      dataset: s.dataset, model: s.model, optimizer: { lr: s.lr, momentum: 0, weightDecay: 0 },
      epochs: r.epochs, batchSize: r.batchSize, probe: PROBE(every), importance: { examples: 0, every: 1 },
    },
  };
}

const PARITY_FEATURES = [{ id: 'linear', name: 'linear coordinate' }, { id: 'parity', name: '2-bit parity' }];

/** Chang & Khanna's data: the parity is the label; the linear coordinate is an unlabelled bit in training. */
const parityOnly = (r: Recipe) => timed(r, {
  id: 'ck-parity', label: 'Chang & Khanna parity (MLP, 120 units)', features: PARITY_FEATURES,
  note: 'their data: y = x₁₅·x₁₆ of 30 ±1 inputs, the linear coordinate independent of y in training (trainCorrelation 0.5), n = 100, batch 10, lr 0.1 without momentum (their recipe); cross-entropy on two outputs where they use squared loss on one',
  dataset: { name: 'parity', options: { trainCorrelation: 0.5, ...(r.sizes ? { sizes: r.sizes } : {}) } },
  model: { name: 'mlp', units: 60 }, lr: 0.1,
});

/** The parity competing with a coherent linear coordinate that carries the label on 90% of training. */
const parityCompete = (r: Recipe) => timed(r, {
  id: 'parity-linear', label: 'parity vs linear coordinate (MLP, 120 units)', features: PARITY_FEATURES,
  note: 'the simple, coherent linear coordinate agrees with the label on 90% of the training examples, the parity on all: simplicity bias is relying on the linear coordinate and memorizing the rest',
  dataset: { name: 'parity', options: { trainCorrelation: 0.9, sizes: r.sizes ?? { train: 400 } } },
  model: { name: 'mlp', units: 60 }, lr: 0.1,
});

/** The paper's toy, as in the ρ study (branch net without biases, gradient descent at lr 0.5). */
const toy = (r: Recipe) => timed(r, {
  id: 'toy', label: 'the paper\'s toy (branch net)', features: [{ id: 'easy', name: 'easy toy feature' }, { id: 'hard', name: 'hard toy feature' }],
  note: 'Springer et al.\'s two-feature toy, where the paper finds SAM learning the hard feature better',
  dataset: { name: 'toy', ...(r.sizes ? { options: { sizes: r.sizes } } : {}) },
  model: { name: 'branch', units: 16, bias: false }, lr: 0.5,
});

const SETTINGS: Record<string, TimedSetting[]> = {};

function plan(budget: string, settings: TimedSetting[], seeds: number[]): Plan {
  SETTINGS[budget] = settings;
  return { base: { name: 'counterclaim' }, arms: settings.flatMap((s) => variants(s).map((v) => settingArm(s, v))), seeds, selectionSeeds: [] };
}

const GRID = [0.02, 0.05, 0.1, 0.2];
const POWERED_GRID = [0.02, 0.05, 0.1, 0.2, 0.5];

export const counterclaim: Study = {
  name: 'counterclaim',
  title: 'Does SAM balance feature learning or amplify simplicity bias? Over training time and ρ',
  abstract:
    'Chang & Khanna (NeurIPS 2025, arXiv 2511.17378) argue that SAM favours minima whose per-example curvature is coherent across the data, hence simpler, lower-rank solutions, and test it on a two-layer ReLU net (120 units) learning the 2-bit parity of 30 Boolean inputs from 100 examples (their code: batch 10, lr 0.1); Andriushchenko et al. (2023) and Gatmiry et al. (2024) find SAM lowering feature rank, and Moon, Si & Yun (2026) find SAM\'s reliance on minor and major coordinates changing over training. ' +
    'SGD and SAM over a grid of ρ train from the same initialization and data order per seed in three settings: their parity data (the linear coordinate carries no label in training), the parity beside a linear coordinate that agrees with the label on 90% of the training examples (our two-feature form of their simplicity bias; their paper has no second feature), and the paper\'s two-feature toy. ' +
    'At five points of training, a linear probe per feature on the frozen penultimate features (fitted on decorrelated validation data, scored on decorrelated test data) and the rank of those features on the test split (Roy & Vetterli\'s effective rank, the numerical rank, and the components explaining 90% of the variance, Chang & Khanna\'s measure). ' +
    'SAM − SGD differences are paired by seed with 95% t-intervals; a claim is supported when the interval excludes 0 on its side. Each probe claim is the paper\'s (SAM lowers the harder feature\'s probe error): contradicted means SAM learned it worse, as the counter-claim predicts.',
  questions: [
    { id: 'time', text: 'At each point of training and each ρ, does SAM lower the harder feature\'s probe error compared with SGD?' },
    { id: 'reversal', text: 'Does SAM\'s advantage on the harder feature grow or shrink over training (the sign reverses)?' },
    { id: 'balance', text: 'At the end, does SAM narrow the gap between the two features\' probe errors?' },
    { id: 'rank', text: 'Does SAM lower the rank of the penultimate features?' },
  ],
  defaultBudget: 'default',
  budgets: {
    smoke: {
      description: 'a plumbing check in seconds (the three settings with tiny splits, 2 epochs, SAM at ρ 0.1 only, two seeds): every verdict is inconclusive by design',
      plan: plan('smoke', [
        parityOnly({ epochs: 2, batchSize: 10, grid: [0.1], sizes: { train: 40, val: 64, test: 64 } }),
        parityCompete({ epochs: 2, batchSize: 10, grid: [0.1], sizes: { train: 40, val: 64, test: 64 } }),
        toy({ epochs: 2, batchSize: 50, grid: [0.1], sizes: { train: 100, val: 64, test: 64 } }),
      ], [0, 1]),
    },
    default: {
      description: 'Chang & Khanna\'s parity (n = 100, 50 epochs of batch 10), the parity beside a 90%-correlated linear coordinate (n = 400, 20 epochs of batch 20) and the paper\'s toy (60 epochs of batch 100); SGD and SAM at ρ 0.02, 0.05, 0.1, 0.2; probes and ranks at 5 points; 5 paired seeds: 75 runs, measured at 8.2 min here with --backend local --jobs 2 (2 CPU cores, 13 CPU-minutes of runs)',
      plan: plan('default', [
        parityOnly({ epochs: 50, batchSize: 10, grid: GRID }),
        parityCompete({ epochs: 20, batchSize: 20, grid: GRID }),
        toy({ epochs: 60, batchSize: 100, grid: GRID }),
      ], range(0, 5)),
    },
    powered: {
      description: 'for a GPU or Slurm: 10 paired seeds, ρ up to 0.5 (Chang & Khanna\'s README value), twice the training time (100, 40 and 200 epochs) so late reversals can show',
      plan: plan('powered', [
        parityOnly({ epochs: 100, batchSize: 10, grid: POWERED_GRID }),
        parityCompete({ epochs: 40, batchSize: 20, grid: POWERED_GRID }),
        toy({ epochs: 200, batchSize: 100, grid: POWERED_GRID }),
      ], range(0, 10)),
    },
  },
  analyze,
};

export function settingsOf(budget: string): TimedSetting[] {
  return SETTINGS[budget] ?? [];
}

function analyzeSetting(ctx: StudyContext, s: TimedSetting, findings: Finding[]): void {
  const sgd = runsOf(ctx, s, 'sgd');
  if (!sgd.length) return;
  const tag = s.label;
  const [easy, hard] = [s.features[0], s.features[s.features.length - 1]];
  const times = checkpoints(s);
  const [first, last] = [times[0], times[times.length - 1]];
  for (const rho of s.grid) {
    const sam = runsOf(ctx, s, samVariant(rho));
    for (const t of times) {
      findings.push(toFinding('time', pairedClaim(`time-${s.id}-${rho}-${t}`, `SAM at ρ = ${rho} lowers the ${hard.name} probe error at epoch ${t} of ${last} (${tag})`, `SAM ρ = ${rho} − SGD, ${hard.name} probe error at epoch ${t} (test)`, 'negative', sam, sgd, hardAt(t))));
    }
    if (first !== last) {
      const change: Metric = (r) => hardAt(last)(r) - hardAt(first)(r);
      findings.push(toFinding('reversal', pairedClaim(`reversal-${s.id}-${rho}`, `SAM's advantage at ρ = ${rho} on the ${hard.name} grows from epoch ${first} to ${last} (${tag})`, `SAM ρ = ${rho} − SGD, change of the ${hard.name} probe error from epoch ${first} to ${last}`, 'negative', sam, sgd, change),
        'negative: SAM\'s probe error falls further (or rises less) than SGD\'s between the two epochs; contradicted: SAM\'s early advantage shrinks or reverses'));
    }
    const gap: Metric = (r) => hardAt(last)(r) - easyAt(last)(r);
    findings.push(toFinding('balance', pairedClaim(`balance-${s.id}-${rho}`, `SAM at ρ = ${rho} narrows the gap between the ${hard.name} and ${easy.name} probe errors (${tag})`, `SAM ρ = ${rho} − SGD, (${hard.name} − ${easy.name}) probe error at the end`, 'negative', sam, sgd, gap)));
    findings.push(toFinding('rank', pairedClaim(`rank-${s.id}-${rho}`, `SAM at ρ = ${rho} lowers the effective rank of the penultimate features (${tag})`, `SAM ρ = ${rho} − SGD, effective rank (Roy & Vetterli) at the end`, 'negative', sam, sgd, rankAt(last))));
    findings.push(toFinding('rank', pairedClaim(`pca-${s.id}-${rho}`, `SAM at ρ = ${rho} needs fewer principal components for 90% of the feature variance (${tag})`, `SAM ρ = ${rho} − SGD, components for 90% of the variance at the end`, 'negative', sam, sgd, rankAt(last, 'pca90'))));
  }
}

function analyze(ctx: StudyContext): StudyResult {
  const settings = settingsOf(ctx.budget);
  const findings: Finding[] = [];
  for (const s of settings) analyzeSetting(ctx, s, findings);
  const { sections, files, summary } = counterclaimSections(ctx, settings, findings);
  return { findings, sections, files, summary };
}
