// Accelerated gradient descent (Nesterov, constant momentum for strongly convex objectives),
// entirely on the GPU, for probes too large for Newton (CNN features: d in the thousands).
// Step 1/L per probe with L = c·λmax(ZᵀZ/n) + λ (c = 1/4 binary, 1/2 multinomial: bounds on the
// loss Hessian), λmax by power iteration; momentum (√κ − 1)/(√κ + 1), κ = L/λ. Converged when
// max|∇| ≤ tol for every probe (checked every `checkEvery` iterations, one readback each); it
// stops unconverged after maxIter iterations or at a non-finite gradient.
import { tensor, type Tensor } from '../../engine/tensor.ts';
import { keep, scope } from '../../engine/scope.ts';
import { noGrad } from '../../engine/autograd/grad-mode.ts';
import { Rng } from '../../engine/random.ts';
import { abs, affine, sqrt, square } from '../../engine/ops/elementwise.ts';
import { add, div, mul, sub } from '../../engine/ops/binary.ts';
import { max, sum } from '../../engine/ops/reduce.ts';
import { matmulKernel } from '../../engine/ops/matmul.ts';
import type { ProbeProblem } from './problem.ts';
import type { SolveResult } from './newton.ts';

const POWER_ITERATIONS = 60;

/** λmax(ZᵀZ/n) per feature set, by power iteration (an underestimate; the caller adds a margin). */
async function gramTopEigenvalue(pr: ProbeProblem): Promise<Float32Array> {
  const { b, p, n } = pr;
  let v = keep(tensor(new Rng(7).uniform(b * p, 0.5, 1.5), [b, 1, p, 1], pr.z.rt));
  let norm: Tensor | null = null;
  for (let i = 0; i < POWER_ITERATIONS; i++) {
    const next = noGrad(() => scope(() => {
      const u = affine(matmulKernel(pr.z, matmulKernel(pr.z, v), true, false), 1 / n, 0);
      const nu = sqrt(sum(square(u), [2, 3], true));
      return { v: div(u, nu), nu };
    }));
    v.dispose();
    norm?.dispose();
    v = keep(next.v);
    norm = keep(next.nu);
  }
  const out = await norm!.read();
  v.dispose();
  norm!.dispose();
  return out;
}

export async function gdSolve(pr: ProbeProblem, maxIter: number, tol: number, checkEvery = 50): Promise<SolveResult> {
  const { b, t, m, l2 } = pr;
  const count = b * t;
  const top = await gramTopEigenvalue(pr);
  const c = pr.k === 1 ? 0.25 : 0.5;
  const alpha = new Float32Array(b);
  const beta = new Float32Array(b);
  top.forEach((ev, i) => {
    const lip = c * ev * 1.05 + l2;
    const kappa = lip / l2;
    alpha[i] = 1 / lip;
    beta[i] = (Math.sqrt(kappa) - 1) / (Math.sqrt(kappa) + 1);
  });
  const rt = pr.z.rt;
  const alphaT = keep(tensor(alpha, [b, 1, 1, 1], rt));
  const betaT = keep(tensor(beta, [b, 1, 1, 1], rt));
  const grad = (w: Tensor) => add(pr.lossGrad(w), affine(w, l2, 0));
  let w = keep(pr.upload(Array.from({ length: count }, () => new Float64Array(m))));
  let prev = keep(pr.upload(Array.from({ length: count }, () => new Float64Array(m))));
  let it = 0;
  let converged = false;
  while (it < maxIter) {
    for (let s = 0; s < checkEvery && it < maxIter; s++, it++) {
      const next = noGrad(() => scope(() => {
        const y = add(w, mul(betaT, sub(w, prev)));
        return sub(y, mul(alphaT, grad(y)));
      }));
      prev.dispose();
      prev = w;
      w = keep(next);
    }
    const gmax = noGrad(() => scope(() => max(abs(grad(w)), [2, 3])));
    const g = await gmax.read();
    gmax.dispose();
    if (g.every((v) => v <= tol)) {
      converged = true;
      break;
    }
    // A non-finite gradient never recovers: stop, unconverged.
    if (g.some((v) => !Number.isFinite(v))) break;
  }
  const flat = await w.read();
  for (const x of [w, prev, alphaT, betaT]) x.dispose();
  const out = Array.from({ length: count }, (_, q) => Float64Array.from(flat.subarray(q * m, (q + 1) * m)));
  return { w: out, iterations: it, converged };
}
