// argmax and accuracy. Indices are f32 tensors holding exact integers (exact below 2^24).
import source from '../../shaders/select.wgsl';
import { SamgpuError, fmtShape } from '../device/errors.ts';
import type { KernelSource } from '../runtime/pipeline-cache.ts';
import { Uniforms } from '../runtime/uniforms.ts';
import { countOf, fmtValue, withErrorFlag } from '../runtime/error-flag.ts';
import { empty, type Tensor } from '../tensor.ts';
import { checkRank, normAxes, sameRuntime, workgroups1d } from './util.ts';
import { bool } from '../args.ts';
import { mean } from './reduce.ts';

const code = withErrorFlag(source);
const ARGMAX: KernelSource = { name: 'select.wgsl', code, entry: 'argmax_rows' };
const CORRECT: KernelSource = { name: 'select.wgsl', code, entry: 'correct_rows' };
const NAN_BITS = 0x7fc00000;

function params(n: number, c: number, inner: number, site = 0): ArrayBuffer {
  return new Uniforms().u32(n, c, inner, NAN_BITS, site).build();
}

/**
 * Index of the maximum along `dim` (default the last), as f32; the first one on ties, and a
 * NaN counts as the maximum (PyTorch's rules). No gradient.
 */
export function argmax(x: Tensor, dim = -1, keepDims = false): Tensor {
  checkRank('argmax', x);
  keepDims = bool('argmax', 'keepDims', keepDims, false);
  const shape = x.rank === 0 ? [1] : x.shape;
  const d = normAxes('argmax', dim, shape.length)[0];
  const c = shape[d];
  if (c === 0) throw new SamgpuError(`argmax: dim ${dim} of ${fmtShape(x.shape)} is empty`);
  const inner = shape.slice(d + 1).reduce((a, b) => a * b, 1);
  const rows = x.size / c;
  const outShape = x.rank === 0 ? [] : keepDims ? x.shape.map((v, i) => (i === d ? 1 : v)) : x.shape.filter((_, i) => i !== d);
  const out = empty(outShape, x.rt);
  x.rt.dispatch(ARGMAX, { buffers: { x: x.buffer('argmax'), out: out.buffer() }, uniforms: params(rows, c, inner), workgroups: workgroups1d(rows) });
  return out;
}

/**
 * Fraction of rows of logits [N, C] whose argmax equals the label (labels [N], integer-valued
 * f32), as a scalar tensor; nothing is read back. A label that is not an integer in [0, C)
 * is an InvalidInputError at the next readback. No gradient.
 */
export function accuracy(logits: Tensor, labels: Tensor): Tensor {
  const rt = sameRuntime('accuracy', logits, labels);
  const shapes = `logits ${fmtShape(logits.shape)}, labels ${fmtShape(labels.shape)}`;
  if (logits.rank !== 2) throw new SamgpuError(`accuracy: logits must be [N, C], got ${fmtShape(logits.shape)}`);
  const [n, c] = logits.shape;
  if (labels.size !== n) throw new SamgpuError(`accuracy: ${labels.size} labels for ${n} rows (${shapes})`);
  if (labels.rank !== 1) throw new SamgpuError(`accuracy: labels must be a vector [N] of class indices (${shapes})`);
  if (n === 0 || c === 0) throw new SamgpuError(`accuracy: needs at least one row and one class (${shapes})`);
  const err = rt.errorSite({
    op: 'accuracy',
    describe: (i, v, k) => `labels[${i}] = ${fmtValue(v)} is not a class index (an integer in [0, ${c})) (${shapes}; ${countOf(k, 'label')})`,
  });
  const correct = empty([n], rt);
  rt.dispatch(CORRECT, {
    buffers: { x: logits.buffer('accuracy'), labels: labels.buffer('accuracy'), out: correct.buffer(), error_flag: err.binding },
    uniforms: params(n, c, 1, err.id),
    workgroups: workgroups1d(n),
  });
  const acc = mean(correct);
  correct.dispose();
  return acc;
}
