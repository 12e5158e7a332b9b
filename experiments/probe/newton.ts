// Newton's method with a backtracking (Armijo) line search per probe. Gradients, Hessians and
// objective values come from the GPU (ProbeProblem, batched over all probes); each probe's
// (d+1)K × (d+1)K system is solved on the CPU in float64 (Cholesky). Converges in ~5–15
// iterations; meant for small feature counts ((d+1)·K up to a few hundred).
import { scope } from '../../engine/scope.ts';
import { noGrad } from '../../engine/autograd/grad-mode.ts';
import type { ProbeProblem } from './problem.ts';
import { choleskySolve } from './linalg.ts';

/** Relative size of an objective change that float32 evaluation can still resolve. */
const OBJECTIVE_RESOLUTION = 1e-6;

export interface SolveResult {
  w: Float64Array[];
  iterations: number;
  converged: boolean;
}

function penalty(w: Float64Array, l2: number): number {
  let s = 0;
  for (const v of w) s += v * v;
  return 0.5 * l2 * s;
}

async function objectives(pr: ProbeProblem, w: Float64Array[]): Promise<number[]> {
  const loss = noGrad(() => scope(() => pr.meanLoss(pr.upload(w))));
  const v = await loss.read();
  loss.dispose();
  return w.map((wi, i) => v[i] + penalty(wi, pr.l2));
}

/**
 * Stops a probe when max|∇| ≤ gradTol (converged), or without converging when float32 precision
 * is reached before that (the predicted decrease gᵀH⁻¹g/2 is below what a float32 objective
 * resolves and stops falling), when the line search finds no decrease, or when the gradient is
 * not finite. `converged` is true only when every probe met gradTol.
 */
export async function newtonSolve(pr: ProbeProblem, maxIter: number, gradTol: number): Promise<SolveResult> {
  const count = pr.b * pr.t;
  const { m, p, k, l2 } = pr;
  const w = Array.from({ length: count }, () => new Float64Array(m));
  let obj = await objectives(pr, w);
  const done = new Array<boolean>(count).fill(false);
  const met = new Array<boolean>(count).fill(false);
  const prevDec = new Array<number>(count).fill(Infinity);
  let it = 0;
  for (; it < maxIter && done.some((d) => !d); it++) {
    const [gT, hT] = noGrad(() => scope(() => {
      const { grad, hess } = pr.derivatives(pr.upload(w));
      return [grad, hess];
    }));
    const [g32, h32] = [await gT.read(), await hT.read()];
    gT.dispose();
    hT.dispose();
    const step: Float64Array[] = [];
    const slope: number[] = [];
    const search = new Array<boolean>(count).fill(false);
    for (let q = 0; q < count; q++) {
      if (done[q]) {
        step.push(new Float64Array(m));
        slope.push(0);
        continue;
      }
      const g = new Float64Array(m);
      let gmax = 0;
      for (let i = 0; i < m; i++) {
        g[i] = g32[q * m + i] + l2 * w[q][i];
        gmax = Math.max(gmax, Math.abs(g[i]));
      }
      if (!Number.isFinite(gmax) || gmax <= gradTol) {
        done[q] = true;
        met[q] = gmax <= gradTol;
        step.push(new Float64Array(m));
        slope.push(0);
        continue;
      }
      const h = new Float64Array(m * m);
      const hq = q * p * k * k * p;
      for (let j = 0; j < p; j++) {
        for (let a = 0; a < k; a++) {
          for (let kk = 0; kk < p; kk++) {
            for (let c = 0; c < k; c++) {
              h[(j * k + a) * m + kk * k + c] = h32[hq + j * k * k * p + (a * k + c) * p + kk] / pr.n;
            }
          }
        }
      }
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < i; j++) h[i * m + j] = h[j * m + i] = 0.5 * (h[i * m + j] + h[j * m + i]);
        h[i * m + i] += l2;
      }
      const d = choleskySolve(h, g, m).map((v) => -v);
      let gd = 0;
      for (let i = 0; i < m; i++) gd += g[i] * d[i];
      step.push(d);
      slope.push(gd);
      const dec = -gd / 2; // predicted decrease of the objective
      if (dec <= OBJECTIVE_RESOLUTION * Math.abs(obj[q])) {
        // Too small a decrease for the float32 objective to confirm: trust the quadratic model
        // (full Newton steps) while the decrement keeps falling; when it stalls, the gradient
        // has reached float32 noise: the probe stops, converged only if it met gradTol above.
        if (dec > 0.25 * prevDec[q]) done[q] = true;
        else w[q] = w[q].map((v, i) => v + d[i]);
      } else search[q] = true;
      prevDec[q] = dec;
    }
    // Backtracking: the probes that need it are evaluated together; each halves its own step.
    const t = new Array<number>(count).fill(1);
    for (let ls = 0; ls < 40 && search.some(Boolean); ls++) {
      const trial = w.map((wi, q) => (search[q] ? wi.map((v, i) => v + t[q] * step[q][i]) : wi));
      const f = await objectives(pr, trial);
      for (let q = 0; q < count; q++) {
        if (!search[q]) continue;
        if (f[q] <= obj[q] + 1e-4 * t[q] * slope[q]) {
          w[q] = trial[q];
          obj[q] = f[q];
          search[q] = false;
        } else t[q] /= 2;
      }
    }
    // No decrease found at all (the objective is flat at float32 precision, or not finite): stop
    // this probe, unconverged.
    for (let q = 0; q < count; q++) if (search[q]) done[q] = true;
  }
  return { w, iterations: it, converged: met.every(Boolean) };
}
