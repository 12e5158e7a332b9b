// Training-time augmentation as the published protocols use it (torchvision's RandomResizedCrop,
// RandomHorizontalFlip, ColorJitter, RandomGrayscale), drawn on the CPU per example and applied
// on the GPU (engine/ops/augment.ts). Each example's parameters are a pure function of
// (run seed, epoch, example index): a run is reproducible, and a resumed run draws what the
// uninterrupted one would have. The generator is ours (not torch's), so the crops are
// torchvision's distribution, not its exact draws.
//
// Sources: train images are kept as 8-bit CHW images of one fixed size (`sourceSize`: the
// original resized, or the originals themselves when they all have that size, as CelebA's) with
// each original's size. A crop box is drawn on the original's size, as torchvision does, then
// mapped to the stored source (rounded to whole pixels) and resized to the output there.
import { Rng } from '../../engine/random.ts';
import { AUGMENT_PARAMS } from '../../engine/ops/augment.ts';
import { roundHalfEven } from './transforms.ts';

export interface AugmentSpec {
  /** RandomResizedCrop's area-fraction and aspect-ratio (w/h) ranges; null: the whole image, resized. */
  crop: { scale: [number, number]; ratio: [number, number] } | null;
  /** Probability of a horizontal flip (RandomHorizontalFlip: 0.5). */
  flip: number;
  /** ColorJitter's ranges: factors in [1 − b, 1 + b] (clipped at 0), hue in [−h, h]; null: none. */
  colorJitter: { brightness: number; contrast: number; saturation: number; hue: number } | null;
  /** Probability of RandomGrayscale (DomainBed: 0.1). */
  grayscale: number;
}

/** The protocols' training transforms, by name (sources in docs/DATA.md). */
export const AUGMENTS: Record<string, AugmentSpec> = {
  /** Kirichenko et al. (DFR) for Waterbirds and CelebA; Sagawa et al. for Waterbirds. */
  dfr: { crop: { scale: [0.7, 1], ratio: [3 / 4, 4 / 3] }, flip: 0.5, colorJitter: null, grayscale: 0 },
  /** Sagawa et al. for CelebA ("we don't squish it in that direction any more"). */
  'sagawa-celeba': { crop: { scale: [0.7, 1], ratio: [1, 4 / 3] }, flip: 0.5, colorJitter: null, grayscale: 0 },
  /** Gulrajani & Lopez-Paz (DomainBed), training domains only. */
  domainbed: { crop: { scale: [0.7, 1], ratio: [3 / 4, 4 / 3] }, flip: 0.5, colorJitter: { brightness: 0.3, contrast: 0.3, saturation: 0.3, hue: 0.3 }, grayscale: 0.1 },
};

/** Train images for augmentation: 8-bit CHW sources of one size, and each original's [h, w]. */
export interface AugmentSource {
  spec: AugmentSpec;
  /** n·C·H·W bytes. */
  bytes: Uint8Array;
  shape: [number, number, number];
  /** [h0, w0] of each original, 2n values. */
  originalSize: Int32Array;
  normalize: { mean: number[]; std: number[] } | null;
}

/** torchvision's RandomResizedCrop.get_params on an h×w image with uniforms from `rng`: [top, left, height, width]. */
export function randomResizedCropBox(h: number, w: number, scale: [number, number], ratio: [number, number], rng: Rng): [number, number, number, number] {
  const area = h * w;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * (scale[0] + (scale[1] - scale[0]) * rng.next());
    const aspect = Math.exp(logRatio[0] + (logRatio[1] - logRatio[0]) * rng.next());
    const cw = roundHalfEven(Math.sqrt(targetArea * aspect));
    const ch = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (cw > 0 && cw <= w && ch > 0 && ch <= h) {
      const top = Math.floor(rng.next() * (h - ch + 1));
      const left = Math.floor(rng.next() * (w - cw + 1));
      return [top, left, ch, cw];
    }
  }
  // torchvision's fallback: a central crop clamped to the ratio range
  const inRatio = w / h;
  let cw = w;
  let ch = h;
  if (inRatio < Math.min(...ratio)) ch = roundHalfEven(w / Math.min(...ratio));
  else if (inRatio > Math.max(...ratio)) cw = roundHalfEven(h * Math.max(...ratio));
  return [Math.floor((h - ch) / 2), Math.floor((w - cw) / 2), ch, cw];
}

/** Map a box on an h0×w0 original onto the sh×sw stored source: whole pixels, inside the source. */
export function mapBox(box: [number, number, number, number], h0: number, w0: number, sh: number, sw: number): [number, number, number, number] {
  const map = (start: number, len: number, from: number, to: number): [number, number] => {
    if (from === to) return [start, len];
    const a = Math.min(to - 1, Math.round((start * to) / from));
    const l = Math.max(1, Math.min(to - a, Math.round((len * to) / from)));
    return [a, l];
  };
  const [top, h] = map(box[0], box[2], h0, sh);
  const [left, w] = map(box[1], box[3], w0, sw);
  return [top, left, h, w];
}

/** A generator for (seed, epoch, example): murmur3's finalizer over the three, so nearby keys are unrelated. */
export function exampleRng(seed: number, epoch: number, index: number): Rng {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(epoch + 0x632be5ab, 0xc2b2ae35) ^ Math.imul(index + 0x7f4a7c15, 0x27d4eb2f);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return new Rng(h >>> 0);
}

/** The 16 parameters of one example (layout in shaders/augment.wgsl). */
export function sampleAugmentParams(spec: AugmentSpec, h0: number, w0: number, sh: number, sw: number, rng: Rng, out = new Float32Array(AUGMENT_PARAMS)): Float32Array {
  const box = spec.crop ? randomResizedCropBox(h0, w0, spec.crop.scale, spec.crop.ratio, rng) : [0, 0, h0, w0] as [number, number, number, number];
  out.set(mapBox(box, h0, w0, sh, sw), 0);
  out[4] = spec.flip > 0 && rng.next() < spec.flip ? 1 : 0;
  out.fill(-1, 10, 14);
  out[5] = out[6] = out[7] = 1;
  out[8] = 0;
  const j = spec.colorJitter;
  if (j) {
    // ColorJitter.get_params: a random order of the four, then each factor (None when its range is 0)
    const order = [0, 1, 2, 3];
    for (let i = 3; i > 0; i--) {
      const k = Math.floor(rng.next() * (i + 1));
      [order[i], order[k]] = [order[k], order[i]];
    }
    const factor = (r: number) => Math.max(0, 1 - r) + (1 + r - Math.max(0, 1 - r)) * rng.next();
    const active = [j.brightness > 0, j.contrast > 0, j.saturation > 0, j.hue > 0];
    if (active[0]) out[5] = factor(j.brightness);
    if (active[1]) out[6] = factor(j.contrast);
    if (active[2]) out[7] = factor(j.saturation);
    if (active[3]) out[8] = -j.hue + 2 * j.hue * rng.next();
    let at = 10;
    for (const op of order) if (active[op]) out[at++] = op;
  }
  out[9] = spec.grayscale > 0 && rng.next() < spec.grayscale ? 1 : 0;
  return out;
}

/** Parameters for examples `indices` of an augmented split in `epoch`. */
export function batchAugmentParams(src: AugmentSource, indices: ArrayLike<number>, seed: number, epoch: number): Float32Array {
  const out = new Float32Array(indices.length * AUGMENT_PARAMS);
  const [, sh, sw] = src.shape;
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    sampleAugmentParams(src.spec, src.originalSize[2 * k], src.originalSize[2 * k + 1], sh, sw, exampleRng(seed, epoch, k), out.subarray(i * AUGMENT_PARAMS, (i + 1) * AUGMENT_PARAMS));
  }
  return out;
}

/** Parameters that show each stored source whole, resized to the output: no crop, flip or colour. */
export function plainAugmentParams(n: number, shape: [number, number, number]): Float32Array {
  const out = new Float32Array(n * AUGMENT_PARAMS);
  for (let i = 0; i < n; i++) {
    const p = out.subarray(i * AUGMENT_PARAMS, (i + 1) * AUGMENT_PARAMS);
    p.set([0, 0, shape[1], shape[2], 0, 1, 1, 1, 0, 0, -1, -1, -1, -1]);
  }
  return out;
}

/** The 8-bit sources of examples `indices`, contiguous. */
export function gatherSourceBytes(src: AugmentSource, indices: ArrayLike<number>): Uint8Array {
  const per = src.shape[0] * src.shape[1] * src.shape[2];
  const out = new Uint8Array(indices.length * per);
  for (let i = 0; i < indices.length; i++) out.set(src.bytes.subarray(indices[i] * per, (indices[i] + 1) * per), i * per);
  return out;
}
