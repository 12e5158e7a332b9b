// Float64 reference of a two-layer MLP (Linear → ReLU → Linear) with mean softmax cross-entropy:
// loss and gradients, and SAM / SGD steps on it (davda54/sam and torch.optim.SGD semantics).
export interface MlpParams {
  w1: Float64Array; b1: Float64Array; w2: Float64Array; b2: Float64Array;
}
export const NAMES = ['0.weight', '0.bias', '2.weight', '2.bias'] as const;
const KEYS = ['w1', 'b1', 'w2', 'b2'] as const;

export function mlpLossGrad(p: MlpParams, x: Float64Array, y: number[], D: number, H: number, C: number): { loss: number; grads: MlpParams } {
  const N = y.length;
  const pre = new Float64Array(N * H), h = new Float64Array(N * H), z = new Float64Array(N * C);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < H; j++) {
      let s = p.b1[j];
      for (let d = 0; d < D; d++) s += x[n * D + d] * p.w1[j * D + d];
      pre[n * H + j] = s;
      h[n * H + j] = Math.max(s, 0);
    }
    for (let c = 0; c < C; c++) {
      let s = p.b2[c];
      for (let j = 0; j < H; j++) s += h[n * H + j] * p.w2[c * H + j];
      z[n * C + c] = s;
    }
  }
  const g: MlpParams = { w1: new Float64Array(H * D), b1: new Float64Array(H), w2: new Float64Array(C * H), b2: new Float64Array(C) };
  let loss = 0;
  for (let n = 0; n < N; n++) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, z[n * C + c]);
    let se = 0;
    for (let c = 0; c < C; c++) se += Math.exp(z[n * C + c] - m);
    loss += -(z[n * C + y[n]] - m - Math.log(se)) / N;
    const dz = new Float64Array(C);
    for (let c = 0; c < C; c++) dz[c] = (Math.exp(z[n * C + c] - m) / se - (c === y[n] ? 1 : 0)) / N;
    for (let c = 0; c < C; c++) {
      g.b2[c] += dz[c];
      for (let j = 0; j < H; j++) g.w2[c * H + j] += dz[c] * h[n * H + j];
    }
    for (let j = 0; j < H; j++) {
      if (pre[n * H + j] <= 0) continue;
      let dh = 0;
      for (let c = 0; c < C; c++) dh += dz[c] * p.w2[c * H + j];
      g.b1[j] += dh;
      for (let d = 0; d < D; d++) g.w1[j * D + d] += dh * x[n * D + d];
    }
  }
  return { loss, grads: g };
}

export interface SamRefOptions {
  rho: number; eps: number; adaptive: boolean; eta: number; l2: number; perturb: string[];
  lr: number; momentum: number; weightDecay: number;
}

/** `steps` SAM steps; returns the parameters after them. */
export function samReference(p0: MlpParams, x: Float64Array, y: number[], dims: [number, number, number], o: SamRefOptions, steps: number): MlpParams {
  const p: MlpParams = { w1: p0.w1.slice(), b1: p0.b1.slice(), w2: p0.w2.slice(), b2: p0.b2.slice() };
  const buf: Partial<MlpParams> = {};
  const sel = KEYS.filter((_, i) => o.perturb.includes(NAMES[i]));
  const gradWithL2 = (q: MlpParams) => {
    const g = mlpLossGrad(q, x, y, ...dims).grads;
    for (const k of KEYS) g[k].forEach((v, i) => (g[k][i] = v + o.l2 * q[k][i]));
    return g;
  };
  for (let s = 0; s < steps; s++) {
    const g = gradWithL2(p);
    let sq = 0;
    for (const k of sel) g[k].forEach((v, i) => { const t = o.adaptive ? Math.abs(p[k][i]) + o.eta : 1; sq += (t * v) ** 2; });
    const scale = o.rho / (Math.sqrt(sq) + o.eps);
    const ph: MlpParams = { w1: p.w1.slice(), b1: p.b1.slice(), w2: p.w2.slice(), b2: p.b2.slice() };
    for (const k of sel) ph[k].forEach((v, i) => { const t = o.adaptive ? Math.abs(v) + o.eta : 1; ph[k][i] = v + scale * t * t * g[k][i]; });
    const g2 = gradWithL2(ph);
    for (const k of KEYS) {
      const d = g2[k].map((v, i) => v + o.weightDecay * p[k][i]);
      if (o.momentum) {
        const b = buf[k] ? buf[k]!.map((v, i) => o.momentum * v + d[i]) : d.slice();
        buf[k] = b;
        d.set(b);
      }
      p[k].forEach((v, i) => (p[k][i] = v - o.lr * d[i]));
    }
  }
  return p;
}
