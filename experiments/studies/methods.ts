// Methods against simplicity bias with and without SAM: is SAM additive to DFR, JTT, group DRO,
// spectral decoupling and USEFUL (worst-group accuracy, in-distribution accuracy, the hard
// feature's probe error), paired per seed; and is SAM's lower hard-feature probe error the kind
// of feature quality that DFR turns into worst-group accuracy? DFR is post-hoc: the plain arms
// refit their last layer after training, so every plain run reports both the network's numbers
// and DFR's. The published hyper-parameters are scaled to each budget (see the descriptions).
import type { FinalResult } from '../runner/types.ts';
import { pairedClaim, summarize, METRICS, type Metric } from './compare.ts';
import { PRESETS } from '../runner/presets.ts';
import { DATA_DIR, WEIGHTS, type Arm, type Finding, type Plan, type Study, type StudyContext, type StudyResult } from './study.ts';
import { bootstrapFinding, toFinding } from './findings.ts';
import { bootstrap } from '../stats/bootstrap.ts';
import { methodsSections } from './methods-page.ts';

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

/** The methods compared, each with SGD and with SAM ('plain' runs carry DFR's refit head too). */
export const METHODS = ['plain', 'jtt', 'gdro', 'sd', 'useful'] as const;
export type MethodId = (typeof METHODS)[number] | 'dfr';
export const METHOD_LABELS: Record<MethodId, string> = { plain: 'plain', dfr: 'DFR', jtt: 'JTT', gdro: 'group DRO', sd: 'spectral decoupling', useful: 'USEFUL' };
export const OPTIMIZERS = ['sgd', 'sam'] as const;

/** How each method is configured at a budget (the published defaults scaled to its length). */
interface MethodRecipe {
  dfr: Record<string, unknown>;
  jtt: Record<string, unknown>;
  gdro: Record<string, unknown>;
  sd: Record<string, unknown>;
  useful: Record<string, unknown>;
}

/** One dataset × model of a budget: the whole config of its runs, less optimizer name and method. */
interface Setting {
  id: string;
  label: string;
  config: { dataset: Record<string, unknown>; model: Record<string, unknown>; optimizer: Record<string, unknown>; epochs: number; batchSize: number; schedule?: unknown };
}

export const armOf = (setting: string, opt: string, method: string) => `${setting}_${opt}-${method}`;

function arms(s: Setting, r: MethodRecipe): Arm[] {
  const out: Arm[] = [];
  for (const opt of OPTIMIZERS) {
    for (const m of METHODS) {
      const method = m === 'plain' ? r.dfr : r[m];
      // spectral decoupling replaces weight decay (Pezeshki et al.)
      const optimizer = { ...s.config.optimizer, name: opt, ...(m === 'sd' ? { weightDecay: 0 } : {}) };
      out.push({ id: armOf(s.id, opt, m), label: `${opt.toUpperCase()} + ${METHOD_LABELS[m]} (${s.label})`, params: { ...s.config, optimizer, method } });
    }
  }
  return out;
}

function plan(settings: [Setting, MethodRecipe][], seeds: number[], probe: Record<string, unknown> = {}): Plan {
  return {
    base: { name: 'methods', probe: { representation: 'pooled', fitShare: 0.6, untrained: false, ...probe }, importance: { examples: 0, every: 1 } },
    arms: settings.flatMap(([s, r]) => arms(s, r)),
    seeds,
    selectionSeeds: [],
  };
}

/** Two domino pairs (MNIST 0/1 over Fashion-MNIST T-shirt/trouser): 4 groups, the two minority ones 5% of training each at correlation 0.9. */
const PAIRS = [[0, 0], [1, 1]];
const fmnist = (sizes: Record<string, number>, epochs: number, batchSize: number): Setting => ({
  id: 'fmnist',
  label: 'FMNIST-MNIST, small CNN',
  config: {
    dataset: { name: 'fmnist-mnist-embedded', options: { sizes, pairs: PAIRS, trainCorrelation: 0.9 } },
    model: { name: 'small-cnn' },
    optimizer: { lr: 0.05, momentum: 0.9, weightDecay: 5e-4, rho: 0.05 },
    epochs,
    batchSize,
  },
});

/**
 * Short budgets: ~20 steps instead of thousands. Group DRO's η_q 0.01 would barely move q in 20
 * steps: 0.1. JTT's λ_up 50 would make an epoch several times longer: 5, T = 1 epoch. USEFUL's
 * identification run is one epoch (the shortest possible; the paper's is ~8% of training). DFR
 * keeps its grid; 10 balanced retrains instead of 20.
 */
const SHORT: MethodRecipe = {
  dfr: { name: 'dfr', retrains: 10 },
  jtt: { name: 'jtt', epochs: 1, upweight: 5 },
  gdro: { name: 'group-dro', stepSize: 0.1 },
  sd: { name: 'sd', lambda: 0.01 },
  useful: { name: 'useful', epochs: 1, upweight: 2 },
};

/** The published settings for long runs (GPU budgets). */
const PUBLISHED: MethodRecipe = {
  dfr: { name: 'dfr' },
  jtt: { name: 'jtt', epochs: 1, upweight: 50 },
  gdro: { name: 'group-dro', stepSize: 0.01 },
  sd: { name: 'sd', lambda: 0.01 },
  useful: { name: 'useful', fraction: 0.08, upweight: 2 },
};

const image = (id: string, label: string, dataset: Record<string, unknown>, model: Record<string, unknown>, lr: number, epochs: number, batchSize: number): Setting => ({
  id, label, config: { dataset, model, optimizer: { lr, momentum: 0.9, weightDecay: 1e-4, rho: 0.05 }, epochs, batchSize },
});

/** A published protocol's preset (ImageNet-pretrained ResNet-50, its optimizer, schedule and augmentation) on the user's data and weights. */
function published(id: string, label: string, name: 'waterbirds-dfr' | 'celeba-dfr'): Setting {
  const p = PRESETS[name] as unknown as Setting['config'];
  return { id, label, config: { ...p, dataset: { ...p.dataset, dataDir: DATA_DIR }, model: { ...p.model, weights: WEIGHTS }, optimizer: { ...p.optimizer, rho: 0.05 } } };
}

export const methods: Study = {
  name: 'methods',
  title: 'Methods against simplicity bias, with SGD and with SAM: additive, and does DFR cash in SAM\'s features?',
  abstract:
    'Each method — DFR (last layer refit on group-balanced held-out data, L1 logistic regression), JTT (upsample what a short run misclassifies), group DRO (online worst-group weighting), spectral decoupling (a logit penalty instead of weight decay) and USEFUL (upsample the slow-to-learn cluster of each class) — is trained with SGD and with SAM from the same initialization and data order per seed, on data whose training split has minority groups (the two features disagree on 10% of examples). ' +
    'Each run reports its worst-group and in-distribution accuracy on the decorrelated test split and the hard feature\'s linear-probe error. DFR refits the plain runs\' heads on the selection split (disjoint from the probes\' fit set and from test).',
  questions: [
    { id: 'additivity', text: 'For each method, is SAM + method better than the method alone (worst-group accuracy, in-distribution accuracy, hard-feature probe error), and is each method better than plain training under SGD?' },
    { id: 'dfr', text: 'Does SAM\'s lower hard-feature probe error translate into higher worst-group accuracy after DFR?' },
  ],
  defaultBudget: 'default',
  budgets: {
    smoke: {
      description: 'a plumbing check (tiny embedded dominoes, one epoch, two seeds, every method with SGD and SAM): every verdict is inconclusive by design',
      // two steps a run, a two-point probe grid, JTT's upweighting at 2: the plumbing, not the numbers
      plan: plan([[fmnist({ train: 64, val: 96, test: 64 }, 1, 32), { ...SHORT, jtt: { name: 'jtt', epochs: 1, upweight: 2 }, dfr: { name: 'dfr', retrains: 2, cGrid: [1, 0.1] } }]], [0, 1], { l2Grid: [0.01, 1] }),
    },
    default: {
      description: 'the embedded FMNIST-MNIST dominoes with two pairs and training correlation 0.9 (4 groups, minorities 5% each): 500 training dominoes, 2 epochs in batches of 64 (16 steps; JTT and USEFUL more, on their upsampled epochs), ρ 0.05, 5 paired seeds, 10 arms (5 methods × SGD/SAM; DFR on the plain runs), 50 runs. Published hyper-parameters scaled to ~16 steps: group DRO η_q 0.1 (0.01 published), JTT T = 1 epoch and λ_up 5 (50 published), USEFUL identification 1 epoch, DFR 10 balanced retrains (20 published), spectral decoupling λ 0.01 without weight decay. Measured here with --backend local --jobs 2 (2 CPU cores): 26 min of sweep time, 49 CPU-minutes of runs',
      plan: plan([[fmnist({ train: 500, val: 400, test: 500 }, 2, 64), SHORT]], range(0, 5)),
    },
    files: {
      description: 'for a GPU: CIFAR-MNIST (small CNN, 10 epochs, training correlation 0.9), Waterbirds and CelebA (ResNet-18 from scratch at 64×64, 20 epochs) from the user\'s files, the published method settings (JTT λ_up 50 after 1 epoch, group DRO η_q 0.01, USEFUL after 8% of training, DFR\'s C grid with 20 retrains), 5 paired seeds. The pretrained-ResNet-50 DFR protocol is the `published` budget',
      needs: 'mnist/ (IDX files) and cifar-10-batches-bin/ for CIFAR-MNIST, waterbird_complete95_forest2water2/ for Waterbirds, celeba/ (img_align_celeba/, list_attr_celeba.txt, list_eval_partition.txt) for CelebA',
      plan: plan([
        [image('cifar-mnist', 'CIFAR-MNIST, small CNN', { name: 'cifar-mnist', dataDir: DATA_DIR, options: { trainCorrelation: 0.9 } }, { name: 'small-cnn' }, 0.05, 10, 128), PUBLISHED],
        [image('waterbirds', 'Waterbirds 64×64, ResNet-18', { name: 'waterbirds', dataDir: DATA_DIR, options: { resolution: 64 } }, { name: 'resnet18', stem: 'cifar' }, 0.01, 20, 64), PUBLISHED],
        [image('celeba', 'CelebA 64×64, ResNet-18', { name: 'celeba', dataDir: DATA_DIR, options: { resolution: 64 } }, { name: 'resnet18', stem: 'cifar' }, 0.01, 20, 128), PUBLISHED],
      ], range(0, 5)),
    },
    published: {
      description: 'for a GPU: DFR\'s base-model protocols (presets waterbirds-dfr and celeba-dfr: ImageNet-pretrained ResNet-50 at 224×224 with DFR\'s augmentation, SGD at lr 1e-3; Waterbirds 100 epochs, batch 32, weight decay 1e-3; CelebA 50 epochs, batch 128, weight decay 1e-4), SAM at ρ 0.05, the published method settings, 5 paired seeds',
      needs: 'waterbird_complete95_forest2water2/ for Waterbirds and celeba/ (img_align_celeba/, list_attr_celeba.txt, list_eval_partition.txt) for CelebA',
      needsWeights: 'ImageNet ResNet-50 weights converted with `python3 scripts/convert-torchvision.py resnet50.pth resnet50.safetensors`',
      plan: plan([
        [published('waterbirds', 'Waterbirds, pretrained ResNet-50', 'waterbirds-dfr'), PUBLISHED],
        [published('celeba', 'CelebA, pretrained ResNet-50', 'celeba-dfr'), PUBLISHED],
      ], range(0, 5)),
    },
  },
  analyze,
};

/** DFR's numbers of a plain run (NaN for runs without DFR). */
export const DFR_METRICS = {
  worstGroupAcc: (r) => r.dfr?.worstGroupAcc ?? NaN,
  inDistAcc: (r) => r.dfr?.inDistAcc ?? NaN,
  testAcc: (r) => r.dfr?.testAcc ?? NaN,
} satisfies Record<string, Metric>;

/** The metrics of method `m`'s runs: DFR reads its head's numbers from the plain runs. */
export function metricsOf(m: MethodId): { wga: Metric; inDist: Metric; hard: Metric | null } {
  if (m === 'dfr') return { wga: DFR_METRICS.worstGroupAcc, inDist: DFR_METRICS.inDistAcc, hard: null };
  return { wga: METRICS.worstGroupAcc, inDist: METRICS.inDistAcc, hard: METRICS.hardError };
}

/** The runs of method `m` with optimizer `opt` in a setting (DFR: the plain runs). */
export const runsFor = (ctx: StudyContext, setting: string, opt: string, m: MethodId): FinalResult[] => ctx.runs.get(armOf(setting, opt, m === 'dfr' ? 'plain' : m)) ?? [];

/** The settings a plan runs, in order, from its arm ids. */
export function settingsOf(p: Plan): { id: string; label: string }[] {
  const seen = new Map<string, string>();
  for (const a of p.arms) {
    const id = a.id.slice(0, a.id.lastIndexOf('_'));
    if (!seen.has(id)) seen.set(id, a.label.slice(a.label.lastIndexOf('(') + 1, -1));
  }
  return [...seen].map(([id, label]) => ({ id, label }));
}

/** Pearson correlation of paired values (NaN when either has no spread). */
export function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  if (n < 2) return NaN;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

const ALL_METHODS: MethodId[] = ['plain', 'dfr', 'jtt', 'gdro', 'sd', 'useful'];

function analyze(ctx: StudyContext): StudyResult {
  const findings: Finding[] = [];
  for (const s of settingsOf(ctx.plan)) {
    const tag = s.label;
    // 1. additivity: SAM + X vs SGD + X, and X vs plain under SGD
    for (const m of ALL_METHODS) {
      const name = METHOD_LABELS[m];
      const sgd = runsFor(ctx, s.id, 'sgd', m);
      const sam = runsFor(ctx, s.id, 'sam', m);
      const mt = metricsOf(m);
      findings.push(toFinding('additivity', pairedClaim(`sam-${m}-wga`, `SAM + ${name} has a higher worst-group accuracy than SGD + ${name} (${tag})`, `SAM − SGD with ${name}, worst-group accuracy (test)`, 'positive', sam, sgd, mt.wga)));
      findings.push(toFinding('additivity', pairedClaim(`sam-${m}-id`, `SAM + ${name} has a higher in-distribution accuracy than SGD + ${name} (${tag})`, `SAM − SGD with ${name}, in-distribution accuracy (test)`, 'positive', sam, sgd, mt.inDist)));
      if (mt.hard) findings.push(toFinding('additivity', pairedClaim(`sam-${m}-hard`, `SAM + ${name} has a lower hard-feature probe error than SGD + ${name} (${tag})`, `SAM − SGD with ${name}, hard-feature probe error (test)`, 'negative', sam, sgd, mt.hard)));
      if (m === 'plain') continue;
      const plain = runsFor(ctx, s.id, 'sgd', 'plain');
      findings.push(toFinding('additivity', pairedClaim(`${m}-vs-plain-wga`, `${name} raises worst-group accuracy over plain SGD training (${tag})`, `SGD: ${name} − plain, worst-group accuracy (test)`, 'positive', sgd, plain, mt.wga, METRICS.worstGroupAcc)));
      findings.push(toFinding('additivity', pairedClaim(`${m}-vs-plain-id`, `${name} keeps or raises in-distribution accuracy over plain SGD training (${tag})`, `SGD: ${name} − plain, in-distribution accuracy (test)`, 'positive', sgd, plain, mt.inDist, METRICS.inDistAcc)));
      if (mt.hard) findings.push(toFinding('additivity', pairedClaim(`${m}-vs-plain-hard`, `${name} lowers the hard feature's probe error below plain SGD training's (${tag})`, `SGD: ${name} − plain, hard-feature probe error (test)`, 'negative', sgd, plain, mt.hard, METRICS.hardError)));
    }
    // 2. DFR as the probe that matters
    const sgd = runsFor(ctx, s.id, 'sgd', 'plain');
    const sam = runsFor(ctx, s.id, 'sam', 'plain');
    findings.push(toFinding('dfr', pairedClaim(`dfr-sam-wga-${s.id}`, `SAM's features give DFR a higher worst-group accuracy than SGD's (${tag})`, `SAM − SGD, DFR worst-group accuracy (test)`, 'positive', sam, sgd, DFR_METRICS.worstGroupAcc)));
    const seeds = [...new Set(sgd.map((r) => r.config.seed))].filter((x) => sam.some((r) => r.config.seed === x)).sort((a, b) => a - b);
    const pts = (seed: number) => [...sgd, ...sam].filter((r) => r.config.seed === seed).map((r) => [METRICS.hardError(r), DFR_METRICS.worstGroupAcc(r)] as const).filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
    if (seeds.length) {
      const stat = (idx: ArrayLike<number>) => {
        const p = Array.from(idx, (i) => pts(seeds[i])).flat();
        return pearson(p.map((v) => v[0]), p.map((v) => v[1]));
      };
      const b = bootstrap(seeds.length, stat, { resamples: 4000, seed: 23 });
      // per seed: the product of its SAM − SGD differences (negative when lower probe error comes with higher DFR worst-group accuracy)
      const perSeed = new Map(seeds.map((seed) => {
        const d = (ms: FinalResult[], f: Metric) => f(ms.find((r) => r.config.seed === seed)!);
        return [seed, (d(sam, METRICS.hardError) - d(sgd, METRICS.hardError)) * (d(sam, DFR_METRICS.worstGroupAcc) - d(sgd, DFR_METRICS.worstGroupAcc))];
      }));
      if (Number.isFinite(b.estimate) && [...perSeed.values()].every(Number.isFinite)) {
        findings.push(bootstrapFinding('dfr', `Across runs, a lower hard-feature probe error goes with a higher DFR worst-group accuracy (${tag})`,
          'Pearson r of hard-feature probe error and DFR worst-group accuracy over the SGD and SAM plain runs; 95% bootstrap interval over seeds', 'negative', b, perSeed,
          `${b.resamples} resamples of seeds (both optimizers' runs of a drawn seed enter together, ${b.failed} without spread left out); the per-seed values are the products of the seed's SAM − SGD differences in probe error and DFR worst-group accuracy`));
      }
    }
  }
  const { sections, files, summary } = methodsSections(ctx, settingsOf(ctx.plan), findings);
  return { findings, sections, files, summary };
}

/** Mean ± sd cell of a metric over runs. */
export function cell(runs: readonly FinalResult[], m: Metric): { mean: number; sd: number; n: number } {
  const s = summarize(runs, m);
  return { mean: s.mean, sd: s.sd, n: s.n };
}
