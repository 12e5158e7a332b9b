// Float64 CPU reference for 2-D convolution (NCHW, PyTorch's F.conv2d), by its definition,
// and its two gradients written as the same sum read the other way round.
import type { Nd } from './nd.ts';

export interface ConvArgs {
  stride?: [number, number];
  padding?: [number, number];
  dilation?: [number, number];
  groups?: number;
}

interface Dims {
  n: number; cin: number; h: number; w: number; cout: number; cinG: number; coutG: number;
  kh: number; kw: number; oh: number; ow: number;
  sh: number; sw: number; ph: number; pw: number; dh: number; dw: number;
}

function dims(xShape: number[], wShape: number[], a: ConvArgs): Dims {
  const [n, cin, h, w] = xShape;
  const [cout, cinG, kh, kw] = wShape;
  const groups = a.groups ?? 1;
  const [sh, sw] = a.stride ?? [1, 1];
  const [ph, pw] = a.padding ?? [0, 0];
  const [dh, dw] = a.dilation ?? [1, 1];
  if (cin !== cinG * groups || cout % groups) throw new Error('reference conv2d: channel mismatch');
  const oh = Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((w + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  return { n, cin, h, w, cout, cinG, coutG: cout / groups, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw };
}

/**
 * Visit every (output element, weight element, input element) triple of the convolution sum:
 * f(outIndex, weightIndex, inputIndex), skipping taps that land in the zero padding.
 */
function forEachTerm(d: Dims, f: (o: number, wi: number, xi: number) => void): void {
  for (let n = 0; n < d.n; n++)
    for (let co = 0; co < d.cout; co++) {
      const g = Math.floor(co / d.coutG);
      for (let oy = 0; oy < d.oh; oy++)
        for (let ox = 0; ox < d.ow; ox++) {
          const o = ((n * d.cout + co) * d.oh + oy) * d.ow + ox;
          for (let ci = 0; ci < d.cinG; ci++)
            for (let ky = 0; ky < d.kh; ky++) {
              const iy = oy * d.sh - d.ph + ky * d.dh;
              if (iy < 0 || iy >= d.h) continue;
              for (let kx = 0; kx < d.kw; kx++) {
                const ix = ox * d.sw - d.pw + kx * d.dw;
                if (ix < 0 || ix >= d.w) continue;
                const wi = ((co * d.cinG + ci) * d.kh + ky) * d.kw + kx;
                const xi = ((n * d.cin + g * d.cinG + ci) * d.h + iy) * d.w + ix;
                f(o, wi, xi);
              }
            }
        }
    }
}

export function conv2d(x: Nd, w: Nd, bias: Nd | null, a: ConvArgs = {}): Nd {
  const d = dims(x.shape, w.shape, a);
  const out = new Float64Array(d.n * d.cout * d.oh * d.ow);
  if (bias) for (let i = 0; i < out.length; i++) out[i] = bias.data[Math.floor(i / (d.oh * d.ow)) % d.cout];
  forEachTerm(d, (o, wi, xi) => (out[o] += w.data[wi] * x.data[xi]));
  return { shape: [d.n, d.cout, d.oh, d.ow], data: out };
}

/** dL/dx given dL/dout. */
export function conv2dGradInput(dy: Nd, xShape: number[], w: Nd, a: ConvArgs = {}): Nd {
  const d = dims(xShape, w.shape, a);
  const dx = new Float64Array(d.n * d.cin * d.h * d.w);
  forEachTerm(d, (o, wi, xi) => (dx[xi] += dy.data[o] * w.data[wi]));
  return { shape: [...xShape], data: dx };
}

/** dL/dweight given dL/dout. */
export function conv2dGradWeight(dy: Nd, x: Nd, wShape: number[], a: ConvArgs = {}): Nd {
  const d = dims(x.shape, wShape, a);
  const dw = new Float64Array(wShape.reduce((p, q) => p * q, 1));
  forEachTerm(d, (o, wi, xi) => (dw[wi] += dy.data[o] * x.data[xi]));
  return { shape: [...wShape], data: dw };
}
