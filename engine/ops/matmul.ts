// Batched matmul with NumPy broadcasting of the batch dims; backward as two more matmuls
// that read the operands transposed in place (no transpose copies).
import matmulSource from '../../shaders/matmul.wgsl';
import gemmSource from '../../shaders/gemm_tiled.wgsl';
import { SamgpuError, fmtShape } from '../device/errors.ts';
import type { KernelSource } from '../runtime/pipeline-cache.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { Uniforms } from '../runtime/uniforms.ts';
import { empty, type Tensor } from '../tensor.ts';
import { record } from '../autograd/record.ts';
import { broadcastShapes, contiguousStrides, sameRuntime } from './util.ts';
import { sumTo } from './binary.ts';
import { reshape } from './shape.ts';
import { sum } from './reduce.ts';
import { fillInto } from './elementwise.ts';
import { chooseVariant } from '../tune/choices.ts';
import { adapterFacts } from '../tune/variants/adapter.ts';
import {
  defaultMatmulVariant, matmulAligned, matmulKey, matmulSplits, matmulVariant, type MatmulConfig, type MatmulShape,
} from '../tune/variants/matmul.ts';

function fillZeros(t: Tensor): Tensor {
  fillInto(t, 0);
  return t;
}

// The kernels after the marker use subgroup builtins: they are compiled as a second module with
// `enable subgroups;` prepended, only on devices that have the feature. The tiled GEMM core is
// appended to the loaders matmul.wgsl defines for it.
const SG_MARK = '// ==== SUBGROUP KERNELS';
const BASE_CODE = `${matmulSource.slice(0, matmulSource.indexOf(SG_MARK))}\n${gemmSource}`;
const SG_CODE = `enable subgroups;\n${matmulSource}\n${gemmSource}`;
const base = (entry: string): KernelSource => ({ name: 'matmul.wgsl', code: BASE_CODE, entry });
const sg = (entry: string): KernelSource => ({ name: 'matmul.wgsl+subgroups', code: SG_CODE, entry });
const TILED = base('gemm_tiled');
const REGISTER = base('matmul_register');
const SG4 = sg('matmul_sg4');
const SG1 = sg('matmul_sg1');
const CLUSTER4 = sg('matmul_cluster4');
const CLUSTER1 = sg('matmul_cluster1');
/** Output block of one matmul_sg4 / matmul_sg1 workgroup (SG_TM × 8 lanes rows, 4 × SG_TN4 columns). */
const SG4_ROWS = 32;
const SG4_COLS = 16;

export type { MatmulConfig };

/** The kernel configuration for one matmul: the tuned choice for its shape class, else the adapter's default. */
export function matmulConfig(rt: Runtime, shape?: MatmulShape): MatmulConfig {
  const facts = adapterFacts(rt);
  const id = shape ? chooseVariant(rt, 'matmul', matmulKey(shape), () => ({ ...shape })) : null;
  const v = (id !== null && matmulVariant(id)) || matmulVariant(defaultMatmulVariant(facts))!;
  return v.fits(facts) ? v.config : matmulVariant(defaultMatmulVariant(facts))!.config;
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
  if (Ka === 0) return fillZeros(out);
  const shape: MatmulShape = { m: M, n: N, k: Ka, batch: nBatch, transA, transB };
  const c = cfg ?? matmulConfig(rt, shape);
  const splits = matmulSplits(c, shape);
  const chunk = splits > 1 ? Math.ceil(Ka / splits / 4) * 4 : Ka;
  const nSplit = Math.ceil(Ka / chunk);
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
    .u32(nSplit, chunk)
    .build();
  // Split-K writes one [batch, M, N] slice per split, summed below.
  const dst = nSplit === 1 ? out : empty([nSplit, nBatch * M * N], rt);
  const buffers = { a: a.buffer('matmul'), b: b.buffer('matmul'), c: dst.buffer() };
  const aligned = matmulAligned(shape);
  const z = nBatch * nSplit;
  const trans = { TRANS_A: transA, TRANS_B: transB };
  if (c.kernel === 'subgroup' || c.kernel === 'cluster') {
    const cl = c.kernel === 'cluster';
    const rows = cl ? 4 * (c.cw ?? 8) * (c.cl ?? 1) : SG4_ROWS;
    rt.dispatch(cl ? (aligned ? CLUSTER4 : CLUSTER1) : aligned ? SG4 : SG1, {
      overrides: cl ? { ...trans, CW: c.cw ?? 8, CL: c.cl ?? 1 } : trans,
      buffers: aligned ? { a4: buffers.a, b4: buffers.b, c: buffers.c } : buffers,
      uniforms: u,
      workgroups: [Math.ceil(N / SG4_COLS), Math.ceil(M / rows), z],
    });
  } else if (c.kernel === 'tiled') {
    const bm = c.bm ?? 64;
    const bn = c.bn ?? 64;
    rt.dispatch(TILED, {
      overrides: { ...trans, BM: bm, BN: bn, BK: c.bk ?? 16, TM: c.tm, TN: c.tn ?? 4, ...(c.db ? { DB: true } : {}) },
      buffers,
      uniforms: u,
      workgroups: [Math.ceil(N / bn), Math.ceil(M / bm), z],
    });
  } else {
    const tn4 = c.tn4 ?? 1;
    if (c.tm < 1 || c.tm > 8 || (tn4 !== 1 && tn4 !== 2)) throw new SamgpuError(`matmul: register kernel needs 1 ≤ tm ≤ 8 and tn4 ∈ {1, 2}, got ${c.tm}, ${tn4}`);
    rt.dispatch(REGISTER, {
      overrides: { ...trans, TM: c.tm, TN4: tn4, WG_X: c.wgx, WG_Y: c.wgy },
      buffers,
      uniforms: u,
      workgroups: [Math.ceil(N / (4 * tn4 * c.wgx)), Math.ceil(M / (c.tm * c.wgy)), z],
    });
  }
  if (dst === out) return out;
  // The splits in order, summed by the reduce kernel: deterministic, like every kernel here.
  const s = sum(dst, 0);
  dst.dispose();
  out.dispose();
  const r = s.view([...batch, M, N]);
  s.dispose();
  return r;
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
