// Float64 reference for the toy's gradients (experiments/toy): f(x) = ⟨v, ReLU((W ⊙ M) x)⟩ and
// ∇ = Σᵢ cᵢ ∇f(xᵢ) with cᵢ = ∂L/∂fᵢ = −yᵢ ωᵢ / n, where the gradient reaching W flows through
// the head h (v for the real network, ṽ for the phantom-head variants).

export interface ToyParams {
  w: Float64Array; // [units, d]
  mask: Float64Array | null; // [units, d]
  v: Float64Array; // [units]
}

export function forwardRef(p: ToyParams, x: Float64Array, n: number, d: number): { f: Float64Array; pre: Float64Array } {
  const units = p.v.length;
  const pre = new Float64Array(n * units);
  const f = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let u = 0; u < units; u++) {
      let a = 0;
      for (let j = 0; j < d; j++) a += (p.mask ? p.mask[u * d + j] : 1) * p.w[u * d + j] * x[i * d + j];
      pre[i * units + u] = a;
      f[i] += p.v[u] * Math.max(a, 0);
    }
  }
  return { f, pre };
}

/** σ(−y f): the logistic importance weights. */
export function logisticWeightsRef(f: Float64Array, y: ArrayLike<number>): Float64Array {
  return f.map((fi, i) => 1 / (1 + Math.exp(y[i] * fi)));
}

/**
 * Gradients of Σᵢ cᵢ fᵢ with cᵢ = −yᵢ ωᵢ / n: ω = `weights` (λ̃) or, when null, the real
 * σ(−yᵢ fᵢ); `head` replaces v in the gradient reaching W (null: v).
 */
export function toyGradRef(p: ToyParams, x: Float64Array, y: ArrayLike<number>, n: number, d: number, weights: Float64Array | null, head: Float64Array | null): { w: Float64Array; v: Float64Array } {
  const units = p.v.length;
  const { f, pre } = forwardRef(p, x, n, d);
  const omega = weights ?? logisticWeightsRef(f, y);
  const h = head ?? p.v;
  const gw = new Float64Array(units * d);
  const gv = new Float64Array(units);
  for (let i = 0; i < n; i++) {
    const c = (-y[i] * omega[i]) / n;
    for (let u = 0; u < units; u++) {
      const a = pre[i * units + u];
      gv[u] += c * Math.max(a, 0);
      if (a <= 0) continue;
      for (let j = 0; j < d; j++) gw[u * d + j] += c * h[u] * x[i * d + j] * (p.mask ? p.mask[u * d + j] : 1);
    }
  }
  return { w: gw, v: gv };
}
