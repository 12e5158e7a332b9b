// Batched matmul with NumPy broadcasting of the batch dims; backward as two more matmuls
// that read the operands transposed in place (no transpose copies).
import source from '../../shaders/matmul.wgsl';
import { SamgpuError, fmtShape } from '../device/errors.ts';
import type { KernelSource } from '../runtime/pipeline-cache.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { Uniforms } from '../runtime/uniforms.ts';
import { empty, type Tensor } from '../tensor.ts';
import { record } from '../autograd/record.ts';
import { broadcastShapes, contiguousStrides, sameRuntime } from './util.ts';
import { sumTo } from './binary.ts';
import { reshape } from './shape.ts';

const TILED: KernelSource = { name: 'matmul.wgsl', code: source, entry: 'matmul_tiled' };
const REGISTER: KernelSource = { name: 'matmul.wgsl', code: source, entry: 'matmul_register' };

/** Tile configuration per adapter: shared-memory tiles on GPUs, register blocks on CPU adapters. */
export interface MatmulConfig {
  kernel: 'tiled' | 'register';
  /** register kernel: rows per thread and threads per workgroup along N and M */
  tm: number;
  wgx: number;
  wgy: number;
}

export function matmulConfig(rt: Runtime): MatmulConfig {
  return rt.gpu.info.isSoftware ? { kernel: 'register', tm: 4, wgx: 8, wgy: 8 } : { kernel: 'tiled', tm: 4, wgx: 16, wgy: 16 };
}

/**
 * C = op(A)·op(B) where op transposes the last two dims when asked. Shapes are the stored
 * shapes; the result has the broadcast batch dims and [M, N].
 */
export function matmulKernel(a: Tensor, b: Tensor, transA = false, transB = false, cfg?: MatmulConfig): Tensor {
  const rt = sameRuntime('matmul', a, b);
  if (a.rank < 2 || b.rank < 2) throw new SamgpuError(`matmul: operands need rank >= 2 here, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  const [M, Ka] = transA ? [a.shape[a.rank - 1], a.shape[a.rank - 2]] : [a.shape[a.rank - 2], a.shape[a.rank - 1]];
  const [Kb, N] = transB ? [b.shape[b.rank - 1], b.shape[b.rank - 2]] : [b.shape[b.rank - 2], b.shape[b.rank - 1]];
  if (Ka !== Kb) {
    throw new SamgpuError(`matmul: inner dimensions differ: ${fmtShape(a.shape)}${transA ? 'ᵀ' : ''} · ${fmtShape(b.shape)}${transB ? 'ᵀ' : ''} (${Ka} vs ${Kb})`);
  }
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const batch = broadcastShapes('matmul (batch dims)', batchA, batchB);
  if (batch.length > 4) throw new SamgpuError(`matmul: at most 4 batch dims, got ${fmtShape(batch)}`);
  const nBatch = batch.reduce((x, y) => x * y, 1);
  const out = empty([...batch, M, N], rt);
  if (out.size === 0) return out;
  const bstrides = (shape: readonly number[], mat: number) => {
    const s = contiguousStrides(shape).map((v) => v * mat);
    const off = batch.length - shape.length;
    return batch.map((d, i) => (i < off || shape[i - off] === 1 ? 0 : s[i - off]));
  };
  const pad4 = (v: number[], fill: number) => [...Array(4 - v.length).fill(fill), ...v];
  const u = new Uniforms()
    .u32(M, N, Ka, nBatch)
    .vec4u(pad4(batch, 1))
    .vec4u(pad4(bstrides(batchA, M * Ka), 0))
    .vec4u(pad4(bstrides(batchB, Ka * N), 0))
    .build();
  const c = cfg ?? matmulConfig(rt);
  const buffers = { a: a.buffer('matmul'), b: b.buffer('matmul'), c: out.buffer() };
  if (c.kernel === 'tiled') {
    rt.dispatch(TILED, {
      overrides: { TRANS_A: transA, TRANS_B: transB },
      buffers,
      uniforms: u,
      workgroups: [Math.ceil(N / 64), Math.ceil(M / 64), nBatch],
    });
  } else {
    rt.dispatch(REGISTER, {
      overrides: { TRANS_A: transA, TRANS_B: transB, TM: c.tm, WG_X: c.wgx, WG_Y: c.wgy },
      buffers,
      uniforms: u,
      workgroups: [Math.ceil(N / (4 * c.wgx)), Math.ceil(M / (c.tm * c.wgy)), nBatch],
    });
  }
  return out;
}

/** Matrix product with PyTorch's `matmul` semantics (1-D operands, broadcast batch dims). */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.rank === 0 || b.rank === 0) throw new SamgpuError(`matmul: scalars are not matrices (${fmtShape(a.shape)}, ${fmtShape(b.shape)})`);
  if (a.rank === 1 || b.rank === 1) {
    const a2 = a.rank === 1 ? reshape(a, [1, a.shape[0]]) : a;
    const b2 = b.rank === 1 ? reshape(b, [b.shape[0], 1]) : b;
    const c = matmul(a2, b2);
    const shape = c.shape.slice(0, -2);
    if (a.rank !== 1) shape.push(c.shape[c.rank - 2]);
    if (b.rank !== 1) shape.push(c.shape[c.rank - 1]);
    const out = reshape(c, shape);
    // The temporary handles go; the tape keeps what backward needs.
    for (const t of [a2, b2, c]) if (t !== a && t !== b) t.dispose();
    return out;
  }
  const out = matmulKernel(a, b);
  return record('matmul', out, [a, b], [a, b], ([as, bs]) => (g) => [
    a.requiresGrad ? sumTo(matmulKernel(g, bs, false, true), a.shape) : null,
    b.requiresGrad ? sumTo(matmulKernel(as, g, true, false), b.shape) : null,
  ]);
}
