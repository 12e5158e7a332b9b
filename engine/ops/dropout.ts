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
export function dropout(x: Tensor, p: number, opts: { training: boolean; seed: number }): Tensor {
  if (!(p >= 0 && p <= 1)) throw new SamgpuError(`dropout: p must be in [0, 1], got ${p}`);
  const seed = opts.seed;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new SamgpuError(`dropout: seed must be an integer in [0, 2^32), got ${seed}`);
  if (!opts.training || p === 0) return reshape(x, x.shape);
  // p == 1: keep everything, scaled by 0 (PyTorch returns zeros, with zero gradient).
  const threshold = p === 1 ? 0 : Math.min(0xffffffff, Math.floor(p * 2 ** 32));
  const scale = p === 1 ? 0 : 1 / (1 - p);
  const out = apply(x, seed, threshold, scale);
  return record('dropout', out, [x], [], () => (g) => [apply(g, seed, threshold, scale)]);
}
