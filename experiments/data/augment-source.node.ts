// The stored sources of augmented training images: each file decoded once, resized to one
// fixed source size (or kept when the originals already have it), kept as 8-bit CHW with the
// original's size, and cached like the evaluation images.
import { loadImageBytes, type LoadImagesOptions } from './decode.node.ts';
import { AUGMENTS, type AugmentSource, type AugmentSpec } from './augment.ts';
import { DataError, type ImageShape } from './types.ts';

/** A named protocol's augmentation or an explicit spec (missing fields: no crop, no flip, no jitter). */
export function resolveAugment(a: string | Partial<AugmentSpec>): AugmentSpec {
  if (typeof a === 'string') {
    const spec = AUGMENTS[a];
    if (!spec) throw new DataError(`augment: unknown augmentation '${a}' (known: ${Object.keys(AUGMENTS).join(', ')})`);
    return spec;
  }
  return { crop: a.crop ?? null, flip: a.flip ?? 0, colorJitter: a.colorJitter ?? null, grayscale: a.grayscale ?? 0 };
}

export async function loadAugmentSource(
  files: string[], spec: AugmentSpec, sourceSize: [number, number], normalize: AugmentSource['normalize'], opts: LoadImagesOptions,
): Promise<AugmentSource> {
  const r = await loadImageBytes(files, { steps: [{ op: 'resize', size: sourceSize }] }, { ...opts, originalSizes: true });
  return { spec, bytes: r.data, shape: r.shape as ImageShape & [number, number, number], originalSize: r.originalSize!, normalize };
}

/** Examples `idx` of a source, in that order (for splits cut out of a larger decoded set). */
export function pickAugmentSource(parts: { src: AugmentSource; idx: ArrayLike<number> }[]): AugmentSource {
  const first = parts[0].src;
  const per = first.shape[0] * first.shape[1] * first.shape[2];
  const n = parts.reduce((t, p) => t + p.idx.length, 0);
  const bytes = new Uint8Array(n * per);
  const originalSize = new Int32Array(2 * n);
  let at = 0;
  for (const { src, idx } of parts) {
    for (let i = 0; i < idx.length; i++, at++) {
      const k = idx[i];
      bytes.set(src.bytes.subarray(k * per, (k + 1) * per), at * per);
      originalSize.set(src.originalSize.subarray(2 * k, 2 * k + 2), 2 * at);
    }
  }
  return { ...first, bytes, originalSize };
}
