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

// The kernels after the marker use subgroup builtins: they are compiled as a second module with
// `enable subgroups;` prepended, only on devices that have the feature.
const SG_MARK = '// ==== SUBGROUP KERNELS';
const BASE_CODE = source.slice(0, source.indexOf(SG_MARK));
const SG_CODE = `enable subgroups;\n${source}`;
const TILED: KernelSource = { name: 'matmul.wgsl', code: BASE_CODE, entry: 'matmul_tiled' };
const REGISTER: KernelSource = { name: 'matmul.wgsl', code: BASE_CODE, entry: 'matmul_register' };
const SG4: KernelSource = { name: 'matmul.wgsl+subgroups', code: SG_CODE, entry: 'matmul_sg4' };
const SG1: KernelSource = { name: 'matmul.wgsl+subgroups', code: SG_CODE, entry: 'matmul_sg1' };
/** Output block of one matmul_sg4 / matmul_sg1 workgroup (SG_TM × 8 lanes rows, 4 × SG_TN4 columns). */
const SG4_ROWS = 32;
const SG4_COLS = 16;

/** Tile configuration per adapter: shared-memory tiles on GPUs, register blocks on CPU adapters. */
export interface MatmulConfig {
  /**
   * tiled: shared-memory 64×64 tiles (GPUs). register: no shared memory, TM × 4·TN4 outputs
   * per thread (CPU adapters without subgroups). subgroup: 8-lane subgroup kernels for CPU
   * adapters whose subgroup size is exactly 8 (lavapipe), 32×16 outputs per workgroup: vec4
   * loads (matmul_sg4) when K % 4 == 0, N % 4 == 0 (unless transB) and M % 4 == 0 (if transA),
   * scalar loads (matmul_sg1) otherwise. Every kernel takes every shape.
   */
  kernel: 'tiled' | 'register' | 'subgroup';
  /**
   * register kernel: rows per thread (≤ 8), vec4 column groups per thread (1 or 2, default 1),
   * threads per workgroup along N and M. The subgroup kernels' blocks are fixed in the shader
   * (SG_TM, SG_TN4).
   */
  tm: number;
  tn4?: number;
  wgx: number;
  wgy: number;
}

export function matmulConfig(rt: Runtime): MatmulConfig {
  const info = rt.gpu.info;
  if (!info.isSoftware) return { kernel: 'tiled', tm: 4, wgx: 16, wgy: 16 };
  const sg8 = rt.gpu.hasFeature('subgroups' as GPUFeatureName) && info.subgroupMinSize === 8 && info.subgroupMaxSize === 8;
  // register (no subgroups): 8 rows × 8 columns per thread measured 20 GFLOP/s at 1024³ on
  // lavapipe, 8 × 4 13–14.5, 4 × 4 11.5 (bench/NOTES.md).
  return sg8 ? { kernel: 'subgroup', tm: 8, tn4: 2, wgx: 8, wgy: 8 } : { kernel: 'register', tm: 8, tn4: 2, wgx: 8, wgy: 8 };
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
  const aligned = Ka % 4 === 0 && (transA ? M % 4 === 0 : true) && (transB ? true : N % 4 === 0);
  if (c.kernel === 'subgroup') {
    rt.dispatch(aligned ? SG4 : SG1, {
      overrides: { TRANS_A: transA, TRANS_B: transB },
      buffers: aligned ? { a4: buffers.a, b4: buffers.b, c: buffers.c } : buffers,
      uniforms: u,
      workgroups: [Math.ceil(N / SG4_COLS), Math.ceil(M / SG4_ROWS), nBatch],
    });
  } else if (c.kernel === 'tiled') {
    rt.dispatch(TILED, {
      overrides: { TRANS_A: transA, TRANS_B: transB },
      buffers,
      uniforms: u,
      workgroups: [Math.ceil(N / 64), Math.ceil(M / 64), nBatch],
    });
  } else {
    const tn4 = c.tn4 ?? 1;
    if (c.tm < 1 || c.tm > 8 || (tn4 !== 1 && tn4 !== 2)) throw new SamgpuError(`matmul: register kernel needs 1 ≤ tm ≤ 8 and tn4 ∈ {1, 2}, got ${c.tm}, ${tn4}`);
    rt.dispatch(REGISTER, {
      overrides: { TRANS_A: transA, TRANS_B: transB, TM: c.tm, TN4: tn4, WG_X: c.wgx, WG_Y: c.wgy },
      buffers,
      uniforms: u,
      workgroups: [Math.ceil(N / (4 * tn4 * c.wgx)), Math.ceil(M / (c.tm * c.wgy)), nBatch],
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
