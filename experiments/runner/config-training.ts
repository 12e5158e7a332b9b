// The training half of a run config: model (architecture, pretrained weights, frozen batch norm),
// optimizer (method × base update rule), learning-rate schedule, and the batch mechanics (steps,
// micro-batches, sampler). Validated field by field, errors naming the field.
import { SamgpuError } from '../../engine/device/errors.ts';
import { fail, isInt, noUnknown, num, oneOf, optionalNum, type Json } from './config-check.ts';

export interface OptimizerConfig {
  /** The method: 'sgd' is the base optimizer alone (the paper's SGD column, whatever `base` is);
   * 'sam', 'lsam' (last layer only), 'asam' (adaptive) wrap the base optimizer. */
  name: 'sgd' | 'sam' | 'lsam' | 'asam';
  /** The update rule (default 'sgd': momentum SGD; 'adam': L2 in the gradient; 'adamw': decoupled decay). */
  base?: 'sgd' | 'adam' | 'adamw';
  lr: number;
  /** SGD only (absent when base is 'adam' or 'adamw'). */
  momentum?: number;
  weightDecay: number;
  /** SAM's radius (sgd runs use it only as the reference ρ of their importance diagnostics). */
  rho: number;
  /** Epochs over which ρ rises linearly from 0 to `rho` (0: no warm-up). */
  rhoWarmup: number;
  /** Adam/AdamW only: (β1, β2), default (0.9, 0.999), and ε, default 1e-8. */
  betas?: [number, number];
  eps?: number;
}

export const MODEL_NAMES = ['small-cnn', 'resnet18', 'resnet50', 'mlp', 'branch'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export interface ModelConfig {
  /** 'mlp' and 'branch' are the toy's one-hidden-layer ReLU nets for vector datasets. */
  name: ModelName;
  stem?: 'imagenet' | 'cifar';
  /** 'mlp'/'branch': hidden units per annotated feature (a branch each, or one dense layer with their sum). */
  units?: number;
  /** 'mlp'/'branch': biases (default true). */
  bias?: boolean;
  /** A safetensors file with torchvision's names (scripts/convert-torchvision.py), loaded before training. */
  weights?: string;
  /** The file's classifier (fc.*): 'reset' (default) keeps the task's freshly initialized head, 'keep' loads it. */
  head?: 'reset' | 'keep';
  /** The protocol starts from pretrained weights: `weights` is required. */
  pretrained?: boolean;
  /** Batch norm in eval mode while training (running statistics used, not updated; γ and β still
   * trained), as DomainBed's ResNet. */
  freezeBatchNorm?: boolean;
}

/** 'constant', 'cosine' (to 0 over the run), or an object: a schedule after an optional linear warm-up. */
export type ScheduleConfig = 'constant' | 'cosine' | {
  name: 'constant' | 'cosine' | 'step';
  /** Linear warm-up over this many epochs (fractions allowed), from warmupStartFactor·lr to lr (torch's LinearLR). */
  warmupEpochs?: number;
  /** Default 1/3 (torch's LinearLR). */
  warmupStartFactor?: number;
  /** 'step': multiply the learning rate by `gamma` (default 0.1) every `stepEpochs` epochs (StepLR). */
  stepEpochs?: number;
  gamma?: number;
  /** 'cosine': the final learning rate (default 0; CosineAnnealingLR's eta_min). */
  minLr?: number;
};

const BASES = ['sgd', 'adam', 'adamw'] as const;

export function isSamType(name: OptimizerConfig['name']): boolean {
  return name !== 'sgd';
}

export function validateModel(m: Json): ModelConfig {
  noUnknown(m, ['name', 'stem', 'units', 'bias', 'weights', 'head', 'pretrained', 'freezeBatchNorm'], 'model.');
  const model: ModelConfig = {
    name: oneOf(m, 'name', 'model.name', 'small-cnn', MODEL_NAMES),
    stem: m.stem === undefined ? undefined : oneOf(m, 'stem', 'model.stem', 'imagenet', ['imagenet', 'cifar'] as const),
  };
  if (m.units !== undefined) model.units = num(m, 'units', 'model.units', 16, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  if (m.bias !== undefined) {
    if (typeof m.bias !== 'boolean') fail('model.bias', 'true or false', m.bias);
    model.bias = m.bias;
  }
  if ((model.units !== undefined || model.bias !== undefined) && model.name !== 'mlp' && model.name !== 'branch') {
    fail('model.units', `no such option for '${model.name}' (units and bias are for 'mlp' and 'branch')`, m.units ?? m.bias);
  }
  if (m.weights !== undefined && m.weights !== null) {
    if (typeof m.weights !== 'string' || !m.weights) fail('model.weights', 'a path to a .safetensors file with torchvision names', m.weights);
    model.weights = m.weights;
  }
  if (m.head !== undefined) model.head = oneOf(m, 'head', 'model.head', 'reset', ['reset', 'keep'] as const);
  for (const k of ['pretrained', 'freezeBatchNorm'] as const) {
    if (m[k] === undefined) continue;
    if (typeof m[k] !== 'boolean') fail(`model.${k}`, 'true or false', m[k]);
    if (m[k]) model[k] = true;
  }
  if (model.pretrained && !model.weights) {
    fail('model.weights', "the pretrained weights this protocol starts from (ImageNet weights converted with `python3 scripts/convert-torchvision.py resnet50.pth resnet50.safetensors`; `--weights FILE` on the command line)", m.weights);
  }
  if (model.head !== undefined && !model.weights) throw new SamgpuError('config: model.head: only means something with model.weights (the loaded file\'s classifier)');
  if (model.name !== 'resnet18' && model.name !== 'resnet50' && model.weights) throw new SamgpuError(`config: model.weights: torchvision weights load into resnet18 or resnet50, not ${model.name}`);
  return model;
}

export function validateOptimizer(op: Json, d: OptimizerConfig): OptimizerConfig {
  noUnknown(op, ['name', 'base', 'lr', 'momentum', 'weightDecay', 'rho', 'rhoWarmup', 'betas', 'eps'], 'optimizer.');
  if (op.name === 'adam' || op.name === 'adamw') {
    fail('optimizer.name', `one of 'sgd', 'sam', 'lsam', 'asam' (the method; set optimizer.base: '${op.name}' for the update rule, with name 'sgd' for ${op.name === 'adam' ? 'Adam' : 'AdamW'} alone)`, op.name);
  }
  const out: OptimizerConfig = {
    name: oneOf(op, 'name', 'optimizer.name', d.name, ['sgd', 'sam', 'lsam', 'asam'] as const),
    lr: num(op, 'lr', 'optimizer.lr', d.lr, (v) => v > 0, 'a number > 0'),
    momentum: num(op, 'momentum', 'optimizer.momentum', d.momentum ?? 0.9, (v) => v >= 0 && v < 1, 'a number in [0, 1)'),
    weightDecay: num(op, 'weightDecay', 'optimizer.weightDecay', d.weightDecay, (v) => v >= 0, 'a number >= 0'),
    rho: num(op, 'rho', 'optimizer.rho', d.rho, (v) => v >= 0, 'a number >= 0'),
    rhoWarmup: num(op, 'rhoWarmup', 'optimizer.rhoWarmup', d.rhoWarmup, (v) => v >= 0, 'a number of epochs >= 0'),
  };
  const base = oneOf(op, 'base', 'optimizer.base', 'sgd', BASES);
  if (base !== 'sgd') out.base = base;
  if (op.betas !== undefined) {
    const b = op.betas;
    if (!Array.isArray(b) || b.length !== 2 || !b.every((x) => typeof x === 'number' && x >= 0 && x < 1)) fail('optimizer.betas', 'two numbers in [0, 1), e.g. [0.9, 0.999]', b);
    out.betas = [b[0], b[1]];
  }
  const eps = optionalNum(op, 'eps', 'optimizer.eps', (v) => v >= 0, 'a number >= 0');
  if (eps !== undefined) out.eps = eps;
  if (base === 'sgd' && (out.betas || out.eps !== undefined)) throw new SamgpuError("config: optimizer.betas/eps: Adam's settings, but optimizer.base is 'sgd'");
  if (base !== 'sgd') {
    if (op.momentum !== undefined) throw new SamgpuError(`config: optimizer.momentum: SGD's setting, but optimizer.base is '${base}' (use optimizer.betas)`);
    delete out.momentum;
  }
  return out;
}

export function validateSchedule(v: unknown, d: ScheduleConfig): ScheduleConfig {
  if (v === undefined) return d;
  if (v === 'constant' || v === 'cosine') return v;
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail('schedule', "'constant', 'cosine', or {name: 'constant' | 'cosine' | 'step', warmupEpochs?, warmupStartFactor?, stepEpochs?, gamma?, minLr?}", v);
  const o = v as Json;
  noUnknown(o, ['name', 'warmupEpochs', 'warmupStartFactor', 'stepEpochs', 'gamma', 'minLr'], 'schedule.');
  const out: Exclude<ScheduleConfig, string> = { name: oneOf(o, 'name', 'schedule.name', 'constant', ['constant', 'cosine', 'step'] as const) };
  const set = (k: 'warmupEpochs' | 'warmupStartFactor' | 'stepEpochs' | 'gamma' | 'minLr', ok: (x: number) => boolean, expected: string) => {
    const x = optionalNum(o, k, `schedule.${k}`, ok, expected);
    if (x !== undefined) out[k] = x;
  };
  set('warmupEpochs', (x) => x >= 0, 'a number of epochs >= 0');
  set('warmupStartFactor', (x) => x > 0 && x <= 1, 'a number in (0, 1]');
  set('stepEpochs', (x) => x > 0, 'a number of epochs > 0');
  set('gamma', (x) => x > 0, 'a number > 0');
  set('minLr', (x) => x >= 0, 'a number >= 0');
  if (out.name === 'step' && out.stepEpochs === undefined) fail('schedule.stepEpochs', "the epochs between decays of the 'step' schedule", o.stepEpochs);
  if (out.name !== 'step' && (out.stepEpochs !== undefined || out.gamma !== undefined)) throw new SamgpuError(`config: schedule.stepEpochs/gamma: settings of the 'step' schedule, not '${out.name}'`);
  if (out.name !== 'cosine' && out.minLr !== undefined) throw new SamgpuError(`config: schedule.minLr: a setting of the 'cosine' schedule, not '${out.name}'`);
  if (out.warmupStartFactor !== undefined && !out.warmupEpochs) throw new SamgpuError('config: schedule.warmupStartFactor: needs schedule.warmupEpochs > 0');
  return out;
}

/** steps, microBatchSize, sampler: present in the result only when given. */
export function validateTrainingExtras(o: Json): { steps?: number; microBatchSize?: number; sampler?: 'shuffle' | 'per-domain' } {
  const out: { steps?: number; microBatchSize?: number; sampler?: 'shuffle' | 'per-domain' } = {};
  const steps = optionalNum(o, 'steps', 'steps', (v) => isInt(v, 1), 'an integer >= 1 (training steps; replaces epochs)');
  if (steps !== undefined) out.steps = steps;
  if (steps !== undefined && o.epochs !== undefined) throw new SamgpuError(`config: epochs: the run counts steps (steps: ${steps}): give epochs or steps, not both`);
  const micro = optionalNum(o, 'microBatchSize', 'microBatchSize', (v) => isInt(v, 1), 'an integer >= 1');
  if (micro !== undefined) out.microBatchSize = micro;
  if (o.sampler !== undefined) out.sampler = oneOf(o, 'sampler', 'sampler', 'shuffle', ['shuffle', 'per-domain'] as const);
  return out;
}
