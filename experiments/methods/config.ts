// The run config's `method` field: a method against simplicity bias, trained with any
// optimizer.name (sgd, sam, lsam, asam). Absent means none (plain ERM), so configs written before
// methods existed keep their run ids. Defaults are the published hyper-parameters (each module
// names its source); errors name the field and what was expected.
import { SamgpuError } from '../../engine/device/errors.ts';
import { fail, isInt, noUnknown, num, type Json } from '../runner/config-check.ts';

/** Spectral decoupling (Pezeshki et al. 2021): loss += λ/2 · mean_i ‖logits_i‖². */
export interface SdConfig {
  name: 'sd';
  lambda: number;
}

/** Group DRO (Sagawa et al. 2020): online group weights q_g ← q_g·exp(η_q·L_g), loss = Σ q_g L_g. */
export interface GroupDroConfig {
  name: 'group-dro';
  /** η_q, the step size of the group weights. */
  stepSize: number;
}

/** JTT (Liu et al. 2021): train `epochs` epochs, upsample the misclassified training examples `upweight` times, retrain. */
export interface JttConfig {
  name: 'jtt';
  /** T: epochs of the identification run. */
  epochs: number;
  /** λ_up: how many times each misclassified example appears in an epoch of the final run. */
  upweight: number;
}

/** USEFUL (Nguyen et al. 2024): a short run, 2-means per class on its outputs, the higher-loss cluster upsampled. */
export interface UsefulConfig {
  name: 'useful';
  /** Epochs of the identification run (default: round(fraction · epochs), at least 1). */
  epochs?: number;
  /** Share of the final run's epochs the identification run trains when `epochs` is absent. */
  fraction: number;
  /** How many times the higher-loss cluster's examples appear in an epoch (the paper: 2). */
  upweight: number;
}

/** DFR (Kirichenko et al. 2023): after training, the last layer refit as L1 logistic regression on group-balanced held-out data. */
export interface DfrConfig {
  name: 'dfr';
  /** Inverse L1 strengths tried (sklearn's C: ‖w‖₁ + C·Σ loss). */
  cGrid: number[];
  /** Balanced resamples of the held-out set whose fitted heads are averaged. */
  retrains: number;
  /** Random halvings of the held-out set that C is chosen on (worst-group accuracy of the other half). */
  tuneRetrains: number;
}

export type MethodConfig = SdConfig | GroupDroConfig | JttConfig | UsefulConfig | DfrConfig;
export type MethodName = 'none' | MethodConfig['name'];

export const METHOD_NAMES = ['none', 'sd', 'group-dro', 'jtt', 'useful', 'dfr'] as const;

/** DFR's published grid of C (dfr_evaluate_spurious.py). */
export const DFR_C_GRID = [1, 0.7, 0.3, 0.1, 0.07, 0.03, 0.01];

export const METHOD_DEFAULTS = {
  // Pezeshki et al. use λ between 0.001 and 0.1 by dataset (tuned); 0.01 is the middle of that range
  sd: { name: 'sd', lambda: 0.01 },
  // Sagawa et al.'s step size η_q = 0.01 (their code's default --robust_step_size)
  'group-dro': { name: 'group-dro', stepSize: 0.01 },
  // Liu et al.'s CelebA setting: T = 1 epoch, λ_up = 50 (Waterbirds: T = 60, λ_up = 100)
  jtt: { name: 'jtt', epochs: 1, upweight: 50 },
  // Nguyen et al.: separate after ~8% of training (8 of 200 CIFAR-10 epochs), upsample ×2
  useful: { name: 'useful', fraction: 0.08, upweight: 2 },
  // Kirichenko et al.: C grid above, 20 balanced retrains averaged, C chosen on a half of the held-out set
  dfr: { name: 'dfr', cGrid: DFR_C_GRID, retrains: 20, tuneRetrains: 1 },
} satisfies Record<Exclude<MethodName, 'none'>, MethodConfig>;

const KEYS: Record<Exclude<MethodName, 'none'>, string[]> = {
  sd: ['name', 'lambda'],
  'group-dro': ['name', 'stepSize'],
  jtt: ['name', 'epochs', 'upweight'],
  useful: ['name', 'epochs', 'fraction', 'upweight'],
  dfr: ['name', 'cGrid', 'retrains', 'tuneRetrains'],
};

/** undefined (absent or name 'none') or a complete method config. */
export function validateMethod(v: unknown): MethodConfig | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) fail('method', `an object {name: ${METHOD_NAMES.map((x) => `'${x}'`).join(' | ')}, …options}`, v);
  const o = v as Json;
  const name = o.name;
  if (typeof name !== 'string' || !(METHOD_NAMES as readonly string[]).includes(name)) fail('method.name', `one of ${METHOD_NAMES.map((x) => `'${x}'`).join(', ')}`, name);
  if (name === 'none') {
    noUnknown(o, ['name'], 'method.');
    return undefined;
  }
  const n = name as Exclude<MethodName, 'none'>;
  noUnknown(o, KEYS[n], 'method.');
  switch (n) {
    case 'sd':
      return { name: 'sd', lambda: num(o, 'lambda', 'method.lambda', METHOD_DEFAULTS.sd.lambda, (x) => x > 0, 'a number > 0 (the penalty λ on mean ‖logits‖²)') };
    case 'group-dro':
      return { name: 'group-dro', stepSize: num(o, 'stepSize', 'method.stepSize', METHOD_DEFAULTS['group-dro'].stepSize, (x) => x > 0, 'a number > 0 (η_q)') };
    case 'jtt':
      return {
        name: 'jtt',
        epochs: num(o, 'epochs', 'method.epochs', METHOD_DEFAULTS.jtt.epochs, (x) => isInt(x, 1), 'an integer >= 1 (epochs of the identification run)'),
        upweight: num(o, 'upweight', 'method.upweight', METHOD_DEFAULTS.jtt.upweight, (x) => isInt(x, 1), 'an integer >= 1 (λ_up: copies of each misclassified example)'),
      };
    case 'useful': {
      const out: UsefulConfig = {
        name: 'useful',
        fraction: num(o, 'fraction', 'method.fraction', METHOD_DEFAULTS.useful.fraction, (x) => x > 0 && x < 1, 'a number in (0, 1) (share of the epochs the identification run trains)'),
        upweight: num(o, 'upweight', 'method.upweight', METHOD_DEFAULTS.useful.upweight, (x) => isInt(x, 2), 'an integer >= 2 (copies of the higher-loss cluster)'),
      };
      if (o.epochs !== undefined) out.epochs = num(o, 'epochs', 'method.epochs', 1, (x) => isInt(x, 1), 'an integer >= 1 (epochs of the identification run)');
      return out;
    }
    case 'dfr': {
      const grid = o.cGrid ?? DFR_C_GRID;
      if (!Array.isArray(grid) || !grid.length || grid.some((c) => typeof c !== 'number' || !(c > 0) || !Number.isFinite(c))) fail('method.cGrid', 'a non-empty list of numbers > 0 (inverse L1 strengths C)', grid);
      return {
        name: 'dfr',
        cGrid: [...(grid as number[])],
        retrains: num(o, 'retrains', 'method.retrains', METHOD_DEFAULTS.dfr.retrains, (x) => isInt(x, 1), 'an integer >= 1 (balanced resamples averaged)'),
        tuneRetrains: num(o, 'tuneRetrains', 'method.tuneRetrains', METHOD_DEFAULTS.dfr.tuneRetrains, (x) => isInt(x, 1), 'an integer >= 1 (held-out halvings C is chosen on)'),
      };
    }
  }
}

/** Epochs of the identification run of a JTT or USEFUL config in a run of `epochs` epochs. */
export function identificationEpochs(m: JttConfig | UsefulConfig, epochs: number): number {
  if (m.name === 'jtt' || m.epochs !== undefined) return m.epochs!;
  return Math.max(1, Math.round(m.fraction * epochs));
}

/** Checks between the method and the rest of the config. */
export function checkMethodFits(m: MethodConfig | undefined, o: { epochs?: number; steps?: number; microBatchSize?: number; batchSize: number; sampler?: string }): void {
  if (!m) return;
  if ((m.name === 'jtt' || m.name === 'useful') && o.epochs === undefined) throw new SamgpuError(`config: method.name: '${m.name}' upsamples whole epochs: give epochs, not steps`);
  if ((m.name === 'jtt' || m.name === 'useful') && o.sampler === 'per-domain') throw new SamgpuError(`config: sampler: '${m.name}' brings its own upsampling sampler; 'per-domain' cannot be combined with it`);
  if (m.name === 'group-dro' && o.microBatchSize !== undefined && o.microBatchSize < o.batchSize) {
    throw new SamgpuError(`config: microBatchSize: group DRO weights each group's mean loss over the whole batch; micro-batches (${o.microBatchSize} < batchSize ${o.batchSize}) are not supported with it`);
  }
}
