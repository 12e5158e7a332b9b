// Inverted dropout; the mask is a counter-based hash of (seed, element index) computed in
// WGSL (shaders/dropout.wgsl), so it is reproducible across platforms and never stored.
import source from '../../shaders/dropout.wgsl';
import { SamgpuError } from '../device/errors.ts';
import type { KernelSource } from '../runtime/pipeline-cache.ts';
import { Uniforms } from '../runtime/uniforms.ts';
import { empty, type Tensor } from '../tensor.ts';
import { record } from '../autograd/record.ts';
import { workgroups1d } from './util.ts';
import { reshape } from './shape.ts';
import { bool, positional, show } from '../args.ts';

export interface DropoutOptions {
  /** default true, as F.dropout */
  training?: boolean;
  /** the mask's seed (needed when training with p > 0): the same seed gives the same mask */
  seed?: number;
}

const DROPOUT: KernelSource = { name: 'dropout.wgsl', code: source, entry: 'dropout' };

function apply(x: Tensor, seed: number, threshold: number, scale: number): Tensor {
  const out = empty(x.shape, x.rt);
  x.rt.dispatch(DROPOUT, {
    buffers: { x: x.buffer('dropout'), out: out.buffer() },
    uniforms: new Uniforms().u32(x.size, seed, threshold).f32(scale).build(),
    workgroups: workgroups1d(x.size),
  });
  return out;
}

/**
 * Inverted dropout: each element is zeroed with probability p and survivors are scaled by
 * 1/(1 − p); the identity (a view, gradient passing through) when !training or p == 0; zeros
 * when p == 1. The mask depends only on (seed, element index): the same seed gives the same
 * mask everywhere, and the backward applies the same mask. Use a new seed per step.
 */
export function dropout(x: Tensor, p = 0.5, training?: boolean | DropoutOptions, inplace?: false): Tensor {
  const op = 'dropout';
  // F.dropout(input, p, training=True, inplace=False), or options {training, seed}.
  const o = positional(op, [training, inplace], ['training', 'inplace'], ['seed']);
  if (bool(op, 'inplace', o.inplace, false)) throw new SamgpuError('dropout: inplace is not supported (ops never modify their input; use the result)');
  const isTraining = bool(op, 'training', o.training, true);
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new SamgpuError(`dropout: p must be in [0, 1], got ${show(p)}`);
  if (!isTraining || p === 0) return reshape(x, x.shape);
  const seed = o.seed;
  if (seed === undefined) throw new SamgpuError('dropout: training needs a seed for the mask: dropout(x, p, {training: true, seed}) (nn.Dropout draws one per call)');
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new SamgpuError(`dropout: seed must be an integer in [0, 2^32), got ${show(seed)}`);
  // p == 1: keep everything, scaled by 0 (PyTorch returns zeros, with zero gradient).
  const threshold = p === 1 ? 0 : Math.min(0xffffffff, Math.floor(p * 2 ** 32));
  const scale = p === 1 ? 0 : 1 / (1 - p);
  const out = apply(x, seed, threshold, scale);
  return record('dropout', out, [x], [], () => (g) => [apply(g, seed, threshold, scale)]);
}
