// Batch normalization with PyTorch's semantics (F.batch_norm): batch statistics in training,
// running statistics in eval, running stats updated in place with the unbiased variance.
import source from '../../shaders/batchnorm.wgsl';
import { SamgpuError, fmtShape } from '../device/errors.ts';
import type { KernelSource, Overrides } from '../runtime/pipeline-cache.ts';
import { chooseVariant } from '../tune/choices.ts';
import { adapterFacts } from '../tune/variants/adapter.ts';
import { batchNormKey, batchNormVariant, DEFAULT_BATCHNORM_VARIANT, type BatchNormConfig, type BatchNormFamily } from '../tune/variants/rows.ts';
import { Runtime, type Binding } from '../runtime/runtime.ts';
import { Uniforms } from '../runtime/uniforms.ts';
import { empty, Tensor } from '../tensor.ts';
import { bool, positional, show } from '../args.ts';
import { record } from '../autograd/record.ts';
import { workgroups1d } from './util.ts';

// The shader calls sub_add(v): subgroupAdd in a module compiled with subgroups (for the
// reductions' subgroup variants), the identity in the plain one.
const BASE = `fn sub_add(v: vec2<f32>) -> vec2<f32> { return v; }\n${source}`;
const WITH_SUBGROUPS = `enable subgroups;\nfn sub_add(v: vec2<f32>) -> vec2<f32> { return subgroupAdd(v); }\n${source}`;
const kernel = (entry: string, sg = false): KernelSource => (sg ? { name: 'batchnorm.wgsl+subgroups', code: WITH_SUBGROUPS, entry } : { name: 'batchnorm.wgsl', code: BASE, entry });
const EVAL_STATS = kernel('bn_eval_stats');
const APPLY = kernel('bn_apply');
const BWD_TRAIN = kernel('bn_bwd_apply_train');
const BWD_EVAL = kernel('bn_bwd_apply_eval');

/** The reduction kernel `entry` in `family`'s chosen (or given) variant, with its overrides. */
function reduction(rt: Runtime, family: BatchNormFamily, entry: string, d: Dims, cfg?: BatchNormConfig): { src: KernelSource; overrides: Overrides } {
  let c = cfg;
  if (!c) {
    const id = chooseVariant(rt, family, batchNormKey(d.c, d.m), () => ({ c: d.c, s: d.s, n: d.m / d.s }));
    const v = id === null ? undefined : batchNormVariant(id);
    c = (v && v.fits(adapterFacts(rt)) ? v : batchNormVariant(DEFAULT_BATCHNORM_VARIANT)!).config;
  }
  // the default passes no overrides: the same pipeline as before variants existed
  if (!c.subgroup && c.wg === 64) return { src: kernel(entry), overrides: {} };
  const f = adapterFacts(rt);
  return { src: kernel(entry, c.subgroup), overrides: { WG: c.wg, ...(c.subgroup ? { SG_REDUCE: true, SG_SIZE: f.sgMin } : {}) } };
}

export interface BatchNormOptions {
  /** false when omitted in a call, as F.batch_norm (nn.BatchNorm layers pass their mode) */
  training: boolean;
  /** weight of the new batch statistic in the running average (default 0.1) */
  momentum?: number;
  eps?: number;
  /** default: `training`. SAM's second forward passes false to leave the running stats alone. */
  updateRunningStats?: boolean;
  /** Force the reductions' kernel variants (tests, the tuner); default: the tuned choice or the built-in one. */
  statsConfig?: BatchNormConfig;
  gradReduceConfig?: BatchNormConfig;
}

interface Dims {
  c: number;
  s: number;
  m: number;
  total: number;
}

function validate(x: Tensor, rm: Tensor | null, rv: Tensor | null, w: Tensor | null, b: Tensor | null, o: BatchNormOptions): Dims {
  const op = 'batchNorm';
  if (x.rank < 2 || x.rank > 5) {
    throw new SamgpuError(`${op}: expected a 2-D to 5-D input [N,C], [N,C,L], [N,C,H,W] or [N,C,D,H,W], got ${fmtShape(x.shape)}`);
  }
  const c = x.shape[1];
  const per = (t: Tensor | null, name: string) => {
    if (t && (t.rank !== 1 || t.size !== c)) {
      throw new SamgpuError(`${op}: ${name} ${fmtShape(t.shape)} should be [${c}], one value per channel of input ${fmtShape(x.shape)}`);
    }
  };
  per(rm, 'runningMean');
  per(rv, 'runningVar');
  per(w, 'weight');
  per(b, 'bias');
  if (!rm !== !rv) throw new SamgpuError(`${op}: runningMean and runningVar must be given together (input ${fmtShape(x.shape)})`);
  if (!o.training && !rm) throw new SamgpuError(`${op}: eval mode needs runningMean and runningVar (input ${fmtShape(x.shape)})`);
  const momentum = o.momentum ?? 0.1;
  const eps = o.eps ?? 1e-5;
  if (!Number.isFinite(momentum)) throw new SamgpuError(`${op}: momentum must be a finite number, got ${momentum}`);
  if (!Number.isFinite(eps) || eps < 0) throw new SamgpuError(`${op}: eps must be a finite non-negative number, got ${eps}`);
  const s = x.shape.slice(2).reduce((a, d) => a * d, 1);
  const m = x.shape[0] * s;
  if (o.training && m <= 1) {
    throw new SamgpuError(`${op}: expected more than 1 value per channel when training, got input ${fmtShape(x.shape)}`);
  }
  if (x.size === 0) throw new SamgpuError(`${op}: input ${fmtShape(x.shape)} is empty`);
  return { c, s, m, total: x.size };
}

function params(d: Dims, eps: number, momentum: number): ArrayBuffer {
  return new Uniforms().u32(d.c, d.s, d.m, d.total).f32(eps, momentum).build();
}

/**
 * y = (x − mean)/sqrt(var + eps)·weight + bias per channel (dim 1). Training uses the batch's
 * mean and biased variance and, when `updateRunningStats` (default: training), writes
 * running ← (1 − momentum)·running + momentum·batch (unbiased variance) into the running
 * stats' buffers; eval uses the running stats. weight and bias are optional (no affine).
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight?: Tensor | null | Partial<BatchNormOptions>,
  bias?: Tensor | null | Partial<BatchNormOptions>,
  trainingArg?: boolean | Partial<BatchNormOptions>,
  momentum?: number,
  eps?: number,
): Tensor {
  const op = 'batchNorm';
  // F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps), or
  // an options object from any position after the running statistics.
  const a = positional(op, [weight, bias, trainingArg, momentum, eps], ['weight', 'bias', 'training', 'momentum', 'eps'], ['updateRunningStats', 'statsConfig', 'gradReduceConfig']);
  for (const k of ['weight', 'bias'] as const) {
    if (a[k] != null && !(a[k] instanceof Tensor)) throw new SamgpuError(`${op}: ${k} must be a Tensor or null, got ${show(a[k])}`);
  }
  weight = (a.weight ?? null) as Tensor | null;
  bias = (a.bias ?? null) as Tensor | null;
  const opts: BatchNormOptions = {
    training: bool(op, 'training', a.training, false),
    momentum: a.momentum as number | undefined,
    eps: a.eps as number | undefined,
    updateRunningStats: bool(op, 'updateRunningStats', a.updateRunningStats, true),
    statsConfig: a.statsConfig as BatchNormConfig | undefined,
    gradReduceConfig: a.gradReduceConfig as BatchNormConfig | undefined,
  };
  const d = validate(x, runningMean, runningVar, weight, bias, opts);
  const rt = x.rt;
  const u = params(d, opts.eps ?? 1e-5, opts.momentum ?? 0.1);
  const training = opts.training;
  const update = training && (opts.updateRunningStats ?? true) && runningMean !== null;

  // Per-channel mean and 1/sqrt(var + eps), from the batch or (eval) from the running stats.
  const mean = empty([d.c], rt);
  const invstd = empty([d.c], rt);
  const statsOut = { mean_out: mean.buffer(), invstd_out: invstd.buffer() };
  if (training) {
    const buffers: Record<string, Binding> = { x: x.buffer(op), ...statsOut };
    if (update) Object.assign(buffers, { running_mean: runningMean!.buffer(op), running_var: runningVar!.buffer(op) });
    const k = reduction(rt, 'batchnorm.stats', update ? 'bn_stats_running' : 'bn_stats', d, opts.statsConfig);
    rt.dispatch(k.src, { overrides: k.overrides, buffers, uniforms: u, workgroups: Runtime.grid(d.c) });
  } else {
    rt.dispatch(EVAL_STATS, {
      buffers: { running_mean: runningMean!.buffer(op), running_var: runningVar!.buffer(op), ...statsOut },
      uniforms: u,
      workgroups: workgroups1d(d.c),
    });
  }

  // A missing weight or bias is skipped by an override; its binding gets a stand-in never read.
  const out = empty(x.shape, rt);
  rt.dispatch(APPLY, {
    overrides: { HAS_WEIGHT: weight !== null, HAS_BIAS: bias !== null },
    buffers: {
      x: x.buffer(op),
      mean: mean.buffer(),
      invstd: invstd.buffer(),
      weight: weight ? weight.buffer(op) : mean.buffer(),
      bias: bias ? bias.buffer(op) : mean.buffer(),
      out: out.buffer(),
    },
    uniforms: u,
    workgroups: workgroups1d(d.total),
  });

  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  const toSave = [x, mean, invstd, ...(weight ? [weight] : [])];
  record(op, out, inputs, toSave, ([xs, ms, is, ws]) => (g) => {
    const needX = x.requiresGrad;
    const needAffine = (weight?.requiresGrad ?? false) || (bias?.requiresGrad ?? false);
    const common = { x: xs.buffer(op), grad: g.buffer(op), mean: ms.buffer(op), invstd: is.buffer(op) };
    // Σg is dbias and Σg·x̂ is dweight; training's dx needs both too.
    const sumG = empty([d.c], rt);
    const sumGxhat = empty([d.c], rt);
    if (needAffine || (training && needX)) {
      const k = reduction(rt, 'batchnorm.gradReduce', 'bn_bwd_reduce', d, opts.gradReduceConfig);
      rt.dispatch(k.src, {
        overrides: k.overrides,
        buffers: { ...common, sum_g_out: sumG.buffer(), sum_gxhat_out: sumGxhat.buffer() },
        uniforms: u,
        workgroups: Runtime.grid(d.c),
      });
    }
    let dx: Tensor | null = null;
    if (needX) {
      dx = empty(x.shape, rt);
      const buffers: Record<string, Binding> = { ...common, weight: ws ? ws.buffer(op) : ms.buffer(op), out: dx.buffer() };
      if (training) Object.assign(buffers, { sum_g: sumG.buffer(), sum_gxhat: sumGxhat.buffer() });
      rt.dispatch(training ? BWD_TRAIN : BWD_EVAL, {
        overrides: { HAS_WEIGHT: ws !== undefined },
        buffers,
        uniforms: u,
        workgroups: workgroups1d(d.total),
      });
    }
    // Unreturned tensors are freed by the backward sweep's scope.
    return [dx, ...(weight ? [weight.requiresGrad ? sumGxhat : null] : []), ...(bias ? [bias.requiresGrad ? sumG : null] : [])];
  });
  mean.dispose();
  invstd.dispose();
  return out;
}
