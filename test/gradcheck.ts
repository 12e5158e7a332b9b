// Checks an op's backward rule on the GPU against central finite differences of its float64
// CPU reference: for L = Σ f(x…)·w with a fixed random w, ∂L/∂xᵢ from the engine's tape must
// match (L(xᵢ+ε) − L(xᵢ−ε)) / 2ε computed in float64.
import { backward, mul, sum, scope, type Tensor } from '../engine/index.ts';
import { dot, numericGrad, type Nd } from './reference/nd.ts';
import { assertClose, pair, size } from './helpers.ts';

export interface GradCase {
  name: string;
  shapes: number[][];
  gpu: (...xs: Tensor[]) => Tensor;
  ref: (...xs: Nd[]) => Nd;
  /** input range (default [-1, 1)) */
  lo?: number;
  hi?: number;
  rtol?: number;
  seed?: number;
}

export async function gradCheck(c: GradCase): Promise<void> {
  const seed = c.seed ?? 7;
  const inputs = c.shapes.map((s, i) => pair(s, seed + i, c.lo ?? -1, c.hi ?? 1));
  const xs = inputs.map(([t]) => t);
  for (const x of xs) x.requiresGrad = true;
  const refIn = inputs.map(([, r]) => r);
  const outRef = c.ref(...refIn);
  const [w, wRef] = pair(outRef.shape, seed + 100);
  scope(() => {
    const loss = sum(mul(c.gpu(...xs), w));
    backward(loss);
  });
  for (let i = 0; i < xs.length; i++) {
    const f = (xi: Nd) => {
      const args = refIn.map((r, j) => (j === i ? xi : r));
      return dot(c.ref(...args), wRef);
    };
    const copy: Nd = { shape: refIn[i].shape, data: Float64Array.from(refIn[i].data) };
    const expected = numericGrad(f, copy);
    const g = xs[i].grad;
    if (!g) throw new Error(`${c.name}: input ${i} got no gradient`);
    if (size(g.shape) !== size(expected.shape)) throw new Error(`${c.name}: gradient shape [${g.shape}] vs [${expected.shape}]`);
    assertClose(await g.read(), expected.data, c.rtol ?? 1e-4, `${c.name}: d/dx${i}`);
  }
  for (const x of xs) x.dispose();
  w.dispose();
}
