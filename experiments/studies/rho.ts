// ρ between in-distribution accuracy and feature quality: SAM over a grid of radii (ρ = 0 is SGD,
// which SAM at ρ = 0 equals bit for bit), LSAM at larger radii, and a ρ warm-up at the top of the
// range, on the toy and the embedded FMNIST-MNIST (CIFAR-MNIST and Waterbirds with the user's
// files), all paired by seed. The answers: does the ρ that maximizes in-distribution accuracy
// differ from the ρ that minimizes the hard feature's probe error (a bootstrap over seeds of the
// difference of the two arg-extremes on the grid)? From which ρ does in-distribution accuracy
// fall? Does the stall of large ρ (the loss at chance for epochs before learning) explain the top
// of the range, and does a warm-up remove it?
import { argmax, argmin, bootstrap, columnMeans } from '../stats/bootstrap.ts';
import { pairedClaim, stallEpochs, METRICS, type Metric } from './compare.ts';
import { bootstrapFinding, toFinding } from './findings.ts';
import { armId, meanBand, rhoVariant, runsOf, settingArm, shareUntrained, type RhoSetting, type Setting, type Variant } from './settings.ts';
import { DATA_DIR, type Finding, type Plan, type Study, type StudyContext, type StudyResult } from './study.ts';
import { rhoSections } from './rho-page.ts';

export { rhoVariant, type RhoSetting };

export const RHO_GRID = [0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1];

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

// Only SGD (ρ = 0) probes the untrained network: the initialization is the seed's, so its probe
// is every arm's reference (shared in the analysis), and the other arms skip a probe per run.
const shared = { probe: { untrained: false } };

function variants(s: RhoSetting): Variant[] {
  return [
    ...s.grid.map((rho) => ({ id: rhoVariant(rho), label: rho === 0 ? 'SGD (ρ = 0)' : `SAM ρ = ${rho}`, optimizer: rho === 0 ? { name: 'sgd', rho: 0 } : { name: 'sam', rho }, ...(rho === 0 ? {} : shared) })),
    ...s.lsam.map((rho) => ({ id: `lsam-${rho}`, label: `LSAM ρ = ${rho}`, optimizer: { name: 'lsam', rho }, ...shared })),
    ...s.warm.map((rho) => ({ id: `warm-${rho}`, label: `SAM ρ = ${rho}, ${s.warmupEpochs}-epoch warm-up`, optimizer: { name: 'sam', rho, rhoWarmup: s.warmupEpochs }, ...shared })),
  ];
}

const SETTINGS: Record<string, RhoSetting[]> = {};

function plan(budget: string, settings: RhoSetting[], seeds: number[]): Plan {
  SETTINGS[budget] = settings;
  return { base: { name: 'rho' }, arms: settings.flatMap((s) => variants(s).map((v) => settingArm(s, v))), seeds, selectionSeeds: [] };
}

interface Recipe {
  epochs: number; batchSize: number; grid?: number[]; lsam?: number[]; warm?: number[]; warmupEpochs?: number;
  /** λ/λ̃ on this many training examples every `every` epochs (default 1,024 every epoch). */
  importance?: { examples: number; every: number };
}

function toy(r: Recipe & { sizes?: Record<string, number> }): RhoSetting {
  return {
    id: 'toy', label: 'toy (branch net)', classes: 2, features: [{ id: 'easy', name: 'easy toy feature' }, { id: 'hard', name: 'hard toy feature' }],
    grid: r.grid ?? RHO_GRID, lsam: r.lsam ?? [1, 2, 5], warm: r.warm ?? [0.2, 0.5, 1], warmupEpochs: r.warmupEpochs ?? Math.max(1, Math.round(r.epochs / 5)),
    config: {
      dataset: { name: 'toy', ...(r.sizes ? { options: { sizes: r.sizes } } : {}) },
      model: { name: 'branch', units: 16, bias: false },
      // the toy's recipe: plain gradient descent at lr 0.5 (here on minibatches of 100)
      optimizer: { lr: 0.5, momentum: 0, weightDecay: 0 },
      epochs: r.epochs, batchSize: r.batchSize,
      probe: { representation: 'penultimate' },
      importance: { examples: 500, every: Math.max(1, Math.floor(r.epochs / 6)) },
    },
  };
}

function image(id: string, label: string, dataset: Setting['config']['dataset'], model: Record<string, unknown>, lr: number, classes: number, r: Recipe): RhoSetting {
  return {
    id, label, classes, features: [{ id: 'easy', name: 'easy feature' }, { id: 'hard', name: 'hard feature' }],
    grid: r.grid ?? RHO_GRID, lsam: r.lsam ?? [], warm: r.warm ?? [0.5, 1], warmupEpochs: r.warmupEpochs ?? 2,
    config: {
      dataset, model, optimizer: { lr, momentum: 0.9, weightDecay: 5e-4 }, epochs: r.epochs, batchSize: r.batchSize,
      probe: { representation: 'pooled' }, importance: r.importance ?? { examples: 1024, every: 1 },
    },
  };
}

const FMNIST_SIZES = { train: 2000, val: 1250, test: 1500 };
const fmnist = (r: Recipe, sizes: Record<string, number> = FMNIST_SIZES) => image('fmnist', 'FMNIST-MNIST (embedded), small CNN', { name: 'fmnist-mnist-embedded', options: { sizes } }, { name: 'small-cnn' }, 0.05, 5, r);

export const rho: Study = {
  name: 'rho',
  title: 'ρ between in-distribution accuracy and feature quality',
  abstract:
    'SAM is trained over a grid of radii ρ ∈ {0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1} (ρ = 0 is SGD), LSAM at larger radii, and SAM with a linear ρ warm-up at the top of the range, from the same initialization and data order per seed, on the two-feature toy and the embedded FMNIST-MNIST dominoes (CIFAR-MNIST and Waterbirds with the user\'s files). ' +
    'Each run reports its in-distribution accuracy (test groups weighted like training), its accuracy on the decorrelated test split, its worst-group accuracy, a linear probe\'s error per feature (fitted on decorrelated validation data) and the Gini of SAM\'s phantom importance weights λ̃. ' +
    'The ρ that maximizes in-distribution accuracy and the ρ that minimizes the hard feature\'s probe error are compared by a bootstrap over seeds (ties go to the smaller ρ).',
  questions: [
    { id: 'argmax', text: 'Are the ρ that maximizes in-distribution accuracy and the ρ that minimizes the hard feature\'s probe error different?' },
    { id: 'fall', text: 'From which ρ does in-distribution accuracy fall below SGD\'s?' },
    { id: 'quality', text: 'How does each ρ change the hard feature\'s probe error (and LSAM\'s larger ρ)?' },
    { id: 'stall', text: 'Does training stall at large ρ (loss at chance for epochs), does that explain the top of the range, and does a ρ warm-up remove it?' },
  ],
  defaultBudget: 'default',
  budgets: {
    smoke: {
      description: 'a plumbing check in seconds (tiny toy runs on three radii, LSAM, a warm-up; two seeds; the image path is the headline and features smoke budgets\' to check): every verdict is inconclusive by design',
      plan: plan('smoke', [
        toy({ epochs: 3, batchSize: 50, sizes: { train: 100, val: 64, test: 64 }, grid: [0, 0.1, 1], lsam: [2], warm: [1], warmupEpochs: 2 }),
      ], [0, 1]),
    },
    default: {
      description: 'the embedded default: the toy (60 epochs of minibatch gradient descent, LSAM at ρ 2, a 12-epoch warm-up at ρ 1) and FMNIST-MNIST (the headline\'s small protocol on 640 training dominoes: 3 epochs of 10 batches of 64, λ/λ̃ on 512 examples before and after training, a 1-epoch warm-up at ρ 1; the untrained network probed once per seed, in SGD\'s run) over the whole ρ grid, 5 paired seeds. Measured here with --backend local --jobs 2 on the idle 2-core machine: 33 min of sweep time (1.05 hours of the runs\' own clocks)',
      plan: plan('default', [
        toy({ epochs: 60, batchSize: 100, lsam: [2], warm: [1] }),
        fmnist({ epochs: 3, batchSize: 64, warm: [1], warmupEpochs: 1, importance: { examples: 512, every: 3 } }, { train: 640, val: 600, test: 800 }),
      ], range(0, 5)),
    },
    powered: {
      description: 'for a GPU or Slurm: 10 paired seeds, FMNIST-MNIST with 8 epochs and LSAM at ρ 0.5, 1, 2, the toy with 200 epochs',
      plan: plan('powered', [toy({ epochs: 200, batchSize: 100 }), fmnist({ epochs: 8, batchSize: 128, lsam: [0.5, 1, 2], warm: [0.2, 0.5, 1] })], range(0, 10)),
    },
    files: {
      description: 'CIFAR-MNIST (small CNN, 10 epochs) and Waterbirds (ResNet-18 at 64×64, 20 epochs) from the user\'s files over the whole ρ grid with warm-ups at ρ 0.5 and 1, 5 paired seeds: for a GPU or Slurm',
      needs: 'mnist/ (IDX files) and cifar-10-batches-bin/ for CIFAR-MNIST, waterbird_complete95_forest2water2/ for Waterbirds',
      plan: plan('files', [
        image('cifar-mnist', 'CIFAR-MNIST, small CNN', { name: 'cifar-mnist', dataDir: DATA_DIR }, { name: 'small-cnn' }, 0.05, 2, { epochs: 10, batchSize: 128 }),
        image('waterbirds', 'Waterbirds 64×64, ResNet-18', { name: 'waterbirds', dataDir: DATA_DIR, options: { resolution: 64 } }, { name: 'resnet18', stem: 'cifar' }, 0.01, 2, { epochs: 20, batchSize: 64 }),
      ], range(0, 5)),
    },
  },
  analyze,
};

/** Seeds that every grid arm of a setting has, and each metric as a [seed × ρ] matrix over them. */
export function gridMatrix(ctx: StudyContext, s: RhoSetting, metric: Metric): { seeds: number[]; rows: number[][] } {
  const arms = s.grid.map((rho) => new Map(runsOf(ctx, s, rhoVariant(rho)).map((r) => [r.config.seed, r])));
  const seeds = [...arms[0].keys()].filter((seed) => arms.every((a) => a.has(seed))).sort((a, b) => a - b);
  return { seeds, rows: seeds.map((seed) => arms.map((a) => metric(a.get(seed)!))) };
}

function analyzeSetting(ctx: StudyContext, s: RhoSetting, findings: Finding[]): void {
  const sgd = runsOf(ctx, s, rhoVariant(0));
  if (!sgd.length) return;
  const tag = s.label;
  const stall: Metric = (r) => stallEpochs(r, s.classes);
  // 1. arg-extremes over the grid, by a bootstrap over seeds
  const acc = gridMatrix(ctx, s, METRICS.inDistAcc);
  const err = gridMatrix(ctx, s, METRICS.hardError);
  if (acc.seeds.length) {
    const stat = (idx: ArrayLike<number>) => argmin(columnMeans(err.rows, idx)) - argmax(columnMeans(acc.rows, idx));
    const b = bootstrap(acc.seeds.length, stat, { resamples: 4000, seed: 17 });
    const perSeed = new Map(acc.seeds.map((seed, i) => [seed, argmin(err.rows[i]) - argmax(acc.rows[i])]));
    const all = acc.seeds.map((_, i) => i);
    const best = s.grid[argmax(columnMeans(acc.rows, all))];
    const cleanest = s.grid[argmin(columnMeans(err.rows, all))];
    // a flat curve (the toy's in-distribution accuracy is 1 at every ρ) has no maximizer: the
    // steps would count from the tie-break, so no verdict
    const flat = acc.rows.every((row) => row.every((v) => v === acc.rows[0][0]));
    const finding = bootstrapFinding('argmax', `The hard feature's probe error is lowest at a larger ρ than the one that maximizes in-distribution accuracy (${tag})`,
      `grid steps from argmax-ρ of in-distribution accuracy to argmin-ρ of hard-feature probe error (grid ${s.grid.join(', ')}); 95% bootstrap interval over seeds`, 'positive', b, perSeed,
      `over the seed means, in-distribution accuracy peaks at ρ = ${best} and the hard feature's probe error is lowest at ρ = ${cleanest}; ${b.resamples} resamples, ties to the smaller ρ`);
    findings.push(flat ? { ...finding, verdict: 'inconclusive', note: `in-distribution accuracy is ${acc.rows[0][0].toFixed(3)} at every ρ and seed: no ρ maximizes it, so the steps count from the tie-break (ρ = ${s.grid[0]}); the hard feature's probe error is lowest at ρ = ${cleanest}` } : finding);
  }
  // 2. where in-distribution accuracy falls, and 3. feature quality along ρ
  for (const rho of s.grid.slice(1)) {
    const runs = runsOf(ctx, s, rhoVariant(rho));
    findings.push(toFinding('fall', pairedClaim(`fall-${s.id}-${rho}`, `SAM at ρ = ${rho} lowers in-distribution accuracy below SGD's (${tag})`, `SAM ρ = ${rho} − SGD, in-distribution accuracy (test)`, 'negative', runs, sgd, METRICS.inDistAcc)));
    findings.push(toFinding('quality', pairedClaim(`quality-${s.id}-${rho}`, `SAM at ρ = ${rho} lowers the hard feature's probe error (${tag})`, `SAM ρ = ${rho} − SGD, hard-feature probe error (test)`, 'negative', runs, sgd, METRICS.hardError)));
  }
  for (const rho of s.lsam) {
    const runs = runsOf(ctx, s, `lsam-${rho}`);
    findings.push(toFinding('quality', pairedClaim(`lsam-${s.id}-${rho}`, `LSAM at ρ = ${rho} lowers the hard feature's probe error (${tag})`, `LSAM ρ = ${rho} − SGD, hard-feature probe error (test)`, 'negative', runs, sgd, METRICS.hardError)));
    findings.push(toFinding('fall', pairedClaim(`lsam-fall-${s.id}-${rho}`, `LSAM at ρ = ${rho} lowers in-distribution accuracy below SGD's (${tag})`, `LSAM ρ = ${rho} − SGD, in-distribution accuracy (test)`, 'negative', runs, sgd, METRICS.inDistAcc)));
  }
  // 4. the stall and the warm-up
  for (const rho of s.warm) {
    const plain = runsOf(ctx, s, rhoVariant(rho));
    const warm = runsOf(ctx, s, `warm-${rho}`);
    if (!plain.length) continue;
    findings.push(toFinding('stall', pairedClaim(`stall-${s.id}-${rho}`, `Training at ρ = ${rho} stalls: more leading epochs at chance loss than SGD (${tag})`, `SAM ρ = ${rho} − SGD, leading epochs with training loss ≥ 95% of ln ${s.classes}`, 'positive', plain, sgd, stall)));
    if (!warm.length) continue;
    findings.push(toFinding('stall', pairedClaim(`warm-stall-${s.id}-${rho}`, `A ${s.warmupEpochs}-epoch ρ warm-up shortens the stall at ρ = ${rho} (${tag})`, `warm-up − none at ρ = ${rho}, leading epochs at chance loss`, 'negative', warm, plain, stall)));
    findings.push(toFinding('stall', pairedClaim(`warm-acc-${s.id}-${rho}`, `The warm-up raises in-distribution accuracy at ρ = ${rho} (${tag})`, `warm-up − none at ρ = ${rho}, in-distribution accuracy`, 'positive', warm, plain, METRICS.inDistAcc)));
    findings.push(toFinding('stall', pairedClaim(`warm-hard-${s.id}-${rho}`, `The warm-up lowers the hard feature's probe error at ρ = ${rho} (${tag})`, `warm-up − none at ρ = ${rho}, hard-feature probe error`, 'negative', warm, plain, METRICS.hardError)));
    // the fall outlasting the warm-up says the stall does not explain it only where the warm-up
    // removed the stall (no more leading epochs at chance than SGD); otherwise it cannot tell
    const fall = toFinding('stall', pairedClaim(`warm-fall-${s.id}-${rho}`, `Even with the warm-up, ρ = ${rho} lowers in-distribution accuracy below SGD's: the stall does not explain the fall (${tag})`, `SAM ρ = ${rho} with warm-up − SGD, in-distribution accuracy`, 'negative', warm, sgd, METRICS.inDistAcc));
    const [warmStall, sgdStall] = [meanBand(warm, stall).mean, meanBand(sgd, stall).mean];
    findings.push(warmStall <= sgdStall ? fall : { ...fall, verdict: 'inconclusive', note: `the warm-up did not remove the stall (${warmStall.toFixed(1)} leading epochs at chance against SGD's ${sgdStall.toFixed(1)}), so the fall cannot be told apart from the stall` });
  }
}

function analyze(input: StudyContext): StudyResult {
  const settings = SETTINGS[input.budget] ?? [];
  let runs = input.runs;
  for (const s of settings) runs = shareUntrained(runs, armId(s, rhoVariant(0)), (arm) => arm.startsWith(armId(s, '')));
  const ctx = { ...input, runs };
  const findings: Finding[] = [];
  for (const s of settings) analyzeSetting(ctx, s, findings);
  const { sections, files, summary } = rhoSections(ctx, settings, findings);
  return { findings, sections, files, summary };
}

