// linear(x, W, b) = x·Wᵀ + b over the last dim of x (torch.nn.functional.linear).
// Its own backward rule reads W and x transposed in place: dx = g·W, dW = gᵀ·x, db = Σ g.
import { SamgpuError, fmtShape } from '../device/errors.ts';
import type { Tensor } from '../tensor.ts';
import { record } from '../autograd/record.ts';
import { matmulKernel } from './matmul.ts';
import { binaryKernel } from './binary.ts';
import { sum } from './reduce.ts';

export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (weight.rank !== 2) throw new SamgpuError(`linear: weight must be [out, in], got ${fmtShape(weight.shape)}`);
  const [outF, inF] = weight.shape;
  if (x.rank < 1 || x.shape[x.rank - 1] !== inF) {
    throw new SamgpuError(`linear: input has ${x.shape[x.rank - 1]} features, weight expects ${inF} (input ${fmtShape(x.shape)}, weight ${fmtShape(weight.shape)})`);
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== outF)) {
    throw new SamgpuError(`linear: bias ${fmtShape(bias.shape)} does not match ${outF} output features`);
  }
  const lead = x.shape.slice(0, -1);
  const rows = lead.reduce((a, b) => a * b, 1);
  const x2 = x.view([rows, inF]);
  const y2 = matmulKernel(x2, weight, false, true);
  let y: Tensor;
  if (bias) {
    y = binaryKernel('add', y2, bias);
    y2.dispose();
  } else y = y2;
  const out = y.view([...lead, outF]);
  y.dispose();
  x2.dispose();
  return record('linear', out, bias ? [x, weight, bias] : [x, weight], [x, weight], ([xs, ws]) => (g) => {
    const g2 = g.view([rows, outF]);
    const xv = xs.view([rows, inF]);
    const dx = x.requiresGrad ? matmulKernel(g2, ws).view(x.shape) : null;
    const dw = weight.requiresGrad ? matmulKernel(g2, xv, true, false) : null;
    const db = bias && bias.requiresGrad ? sum(g2, 0) : null;
    return bias ? [dx, dw, db] : [dx, dw];
  });
}
