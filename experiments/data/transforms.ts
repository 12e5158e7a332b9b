// The standard torchvision eval transforms on 8-bit images, bit-exact with PIL 9:
//   resize: PIL's bilinear `Image.resize` (libImaging/Resample.c): a triangle filter whose support
//           is scaled by the downscale factor (antialiasing), horizontal pass then vertical, each
//           rounding to 8 bits through 22-bit fixed-point coefficients;
//   centerCrop: torchvision's offsets (Python's round-half-even), zero padding when too small;
//   toFloat: ToTensor (x/255) then Normalize ((x − mean)/std), each step rounded to float32.
import type { U8Image } from './image.ts';
import type { ImageShape } from './types.ts';

export type TransformStep =
  /** A number resizes the shorter side (aspect kept, as torchvision's Resize(int)); [h, w] is exact. */
  | { op: 'resize'; size: number | [number, number] }
  | { op: 'centerCrop'; size: number | [number, number] };

export interface ImageTransform {
  steps: TransformStep[];
  /** Per-channel mean/std after scaling to [0, 1]; null or absent: no normalization. */
  normalize?: { mean: number[]; std: number[] } | null;
}

export const IMAGENET_NORMALIZE = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

const PRECISION_BITS = 22; // 32 − 8 − 2, as in Resample.c

/** Bounds and fixed-point weights of PIL's bilinear filter for one axis. */
function coefficients(inSize: number, outSize: number): { bounds: Int32Array; kk: Int32Array; ksize: number } {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 1.0 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const w = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1.0 / filterscale;
    // C's (int) cast truncates toward zero.
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const t = Math.abs((x + xmin - center + 0.5) * ss);
      w[x] = t < 1 ? 1 - t : 0;
      ww += w[x];
    }
    for (let x = 0; x < xmax; x++) {
      const k = ww !== 0 ? w[x] / ww : w[x];
      kk[xx * ksize + x] = Math.trunc(0.5 + k * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { bounds, kk, ksize };
}

function clip8(v: number): number {
  if (v >= 1 << (PRECISION_BITS + 8)) return 255;
  if (v <= 0) return 0;
  return Math.floor(v / (1 << PRECISION_BITS));
}

/** PIL `img.resize((w, h), Image.BILINEAR)` on an 8-bit image. */
export function resizeBilinear(img: U8Image, h: number, w: number): U8Image {
  const { c } = img;
  let cur = img;
  if (w !== cur.w) {
    const { bounds, kk, ksize } = coefficients(cur.w, w);
    const out = new Uint8Array(cur.h * w * c);
    const src = cur.data;
    for (let y = 0; y < cur.h; y++) {
      const row = y * cur.w * c;
      for (let xx = 0; xx < w; xx++) {
        const xmin = bounds[xx * 2];
        const xmax = bounds[xx * 2 + 1];
        for (let ch = 0; ch < c; ch++) {
          let ss = 1 << (PRECISION_BITS - 1);
          for (let x = 0; x < xmax; x++) ss += src[row + (x + xmin) * c + ch] * kk[xx * ksize + x];
          out[(y * w + xx) * c + ch] = clip8(ss);
        }
      }
    }
    cur = { data: out, h: cur.h, w, c };
  }
  if (h !== cur.h) {
    const { bounds, kk, ksize } = coefficients(cur.h, h);
    const out = new Uint8Array(h * cur.w * c);
    const src = cur.data;
    const stride = cur.w * c;
    for (let yy = 0; yy < h; yy++) {
      const ymin = bounds[yy * 2];
      const ymax = bounds[yy * 2 + 1];
      for (let i = 0; i < stride; i++) {
        let ss = 1 << (PRECISION_BITS - 1);
        for (let y = 0; y < ymax; y++) ss += src[(y + ymin) * stride + i] * kk[yy * ksize + y];
        out[yy * stride + i] = clip8(ss);
      }
    }
    cur = { data: out, h, w: cur.w, c };
  }
  return cur === img ? { ...img, data: img.data.slice() } : cur;
}

/** torchvision's output size for Resize(size) on an h×w image. */
export function resizedSize(h: number, w: number, size: number | [number, number]): [number, number] {
  if (Array.isArray(size)) return size;
  if (w <= h) return [Math.trunc((size * h) / w), size];
  return [size, Math.trunc((size * w) / h)];
}

/** Python 3's round(): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** torchvision's CenterCrop: pad with zeros when the image is smaller, then crop at round((H − h)/2). */
export function centerCrop(img: U8Image, th: number, tw: number): U8Image {
  let cur = img;
  if (th > cur.h || tw > cur.w) {
    const left = tw > cur.w ? Math.floor((tw - cur.w) / 2) : 0;
    const top = th > cur.h ? Math.floor((th - cur.h) / 2) : 0;
    const right = tw > cur.w ? Math.floor((tw - cur.w + 1) / 2) : 0;
    const bottom = th > cur.h ? Math.floor((th - cur.h + 1) / 2) : 0;
    const ph = cur.h + top + bottom;
    const pw = cur.w + left + right;
    const out = new Uint8Array(ph * pw * cur.c);
    for (let y = 0; y < cur.h; y++) {
      out.set(cur.data.subarray(y * cur.w * cur.c, (y + 1) * cur.w * cur.c), ((y + top) * pw + left) * cur.c);
    }
    cur = { data: out, h: ph, w: pw, c: cur.c };
    if (ph === th && pw === tw) return cur;
  }
  const top = roundHalfEven((cur.h - th) / 2);
  const left = roundHalfEven((cur.w - tw) / 2);
  const out = new Uint8Array(th * tw * cur.c);
  for (let y = 0; y < th; y++) {
    const from = ((y + top) * cur.w + left) * cur.c;
    out.set(cur.data.subarray(from, from + tw * cur.c), y * tw * cur.c);
  }
  return { data: out, h: th, w: tw, c: cur.c };
}

/** Apply the geometric steps in order. */
export function applySteps(img: U8Image, steps: readonly TransformStep[]): U8Image {
  let cur = img;
  for (const s of steps) {
    if (s.op === 'resize') {
      const [h, w] = resizedSize(cur.h, cur.w, s.size);
      cur = h === cur.h && w === cur.w ? cur : resizeBilinear(cur, h, w);
    } else {
      const [h, w] = typeof s.size === 'number' ? [s.size, s.size] : s.size;
      cur = centerCrop(cur, h, w);
    }
  }
  return cur;
}

/** The output [h, w] when it does not depend on the input size (the last sizing step is exact), else null. */
export function fixedOutputSize(steps: readonly TransformStep[]): [number, number] | null {
  for (let i = steps.length - 1; i >= 0; i--) {
    const s = steps[i];
    if (s.op === 'centerCrop') return typeof s.size === 'number' ? [s.size, s.size] : s.size;
    if (Array.isArray(s.size)) return s.size;
    return null;
  }
  return null;
}

/** Per-channel lookup tables byte → float32 value (ToTensor then Normalize, rounded as torch does in f32). */
export function byteLuts(channels: number, normalize?: { mean: number[]; std: number[] } | null): Float32Array[] {
  const luts: Float32Array[] = [];
  for (let ch = 0; ch < channels; ch++) {
    const lut = new Float32Array(256);
    const m = normalize ? Math.fround(normalize.mean[ch]) : 0;
    const s = normalize ? Math.fround(normalize.std[ch]) : 1;
    for (let b = 0; b < 256; b++) {
      const x = Math.fround(b / 255);
      lut[b] = normalize ? Math.fround(Math.fround(x - m) / s) : x;
    }
    luts.push(lut);
  }
  return luts;
}

/** CHW bytes of n images to float32 NCHW through `byteLuts`. */
export function bytesToFloat(data: Uint8Array, shape: ImageShape, normalize?: { mean: number[]; std: number[] } | null): Float32Array {
  const [c, h, w] = shape;
  if (normalize && (normalize.mean.length !== c || normalize.std.length !== c)) {
    throw new Error(`normalize: mean/std have ${normalize.mean.length}/${normalize.std.length} values for ${c} channels`);
  }
  const luts = byteLuts(c, normalize);
  const out = new Float32Array(data.length);
  const plane = h * w;
  for (let base = 0; base < data.length; base += c * plane) {
    for (let ch = 0; ch < c; ch++) {
      const lut = luts[ch];
      const o = base + ch * plane;
      for (let i = 0; i < plane; i++) out[o + i] = lut[data[o + i]];
    }
  }
  return out;
}
