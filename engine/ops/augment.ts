// Training-time image augmentation as two GPU passes (shaders/augment.wgsl): crop boxes resized
// with the antialiased bilinear filter and flipped, then ColorJitter / RandomGrayscale / Normalize
// per image. Inputs are 8-bit images packed four per 32-bit word, so a batch uploads a quarter of
// the bytes of float images; the per-example parameters come from the CPU (drawn there from a
// seeded generator: see experiments/data/augment.ts). No gradient: it makes inputs.
import source from '../../shaders/augment.wgsl';
import { options, show } from '../args.ts';
import { SamgpuError } from '../device/errors.ts';
import type { KernelSource } from '../runtime/pipeline-cache.ts';
import { Uniforms } from '../runtime/uniforms.ts';
import { empty, tensor, type Tensor } from '../tensor.ts';
import { getRuntime } from '../runtime/current.ts';
import { workgroups1d } from './util.ts';
import type { Runtime } from '../runtime/runtime.ts';

const CROP_RESIZE: KernelSource = { name: 'augment.wgsl', code: source, entry: 'crop_resize' };
const COLOR: KernelSource = { name: 'augment.wgsl', code: source, entry: 'color' };

/** Floats per example in the parameter array (layout in shaders/augment.wgsl). */
export const AUGMENT_PARAMS = 16;

export interface AugmentBatchOptions {
  /** [channels, height, width] of every source image (channels ≤ 4). */
  srcShape: [number, number, number];
  /** Output [height, width]. */
  outSize: [number, number];
  /** Per-channel mean and std after scaling to [0, 1]; absent: none. */
  normalize?: { mean: number[]; std: number[] } | null;
}

/**
 * Augment `n` 8-bit CHW images (`bytes`, n·C·H·W values) with per-example parameters
 * (`params`, n·AUGMENT_PARAMS floats): returns float32 [n, C, outH, outW].
 */
export function augmentBatch(bytes: Uint8Array, params: Float32Array, opts: AugmentBatchOptions, rt: Runtime = getRuntime()): Tensor {
  options('augmentBatch', opts, ['srcShape', 'outSize', 'normalize']);
  if (!(bytes instanceof Uint8Array)) throw new SamgpuError(`augmentBatch: bytes must be a Uint8Array of 8-bit CHW images, got ${show(bytes)}`);
  if (!(params instanceof Float32Array)) throw new SamgpuError(`augmentBatch: params must be a Float32Array (${AUGMENT_PARAMS} per image), got ${show(params)}`);
  if (!Array.isArray(opts.srcShape) || opts.srcShape.length !== 3 || !Array.isArray(opts.outSize) || opts.outSize.length !== 2) {
    throw new SamgpuError(`augmentBatch: srcShape [C, H, W] and outSize [H, W] are required, got ${show(opts.srcShape)} and ${show(opts.outSize)}`);
  }
  const [c, sh, sw] = opts.srcShape;
  const [oh, ow] = opts.outSize;
  const per = c * sh * sw;
  const n = params.length / AUGMENT_PARAMS;
  if (!Number.isInteger(n) || n < 1) throw new SamgpuError(`augmentBatch: params has ${params.length} values, not a positive multiple of ${AUGMENT_PARAMS}`);
  if (bytes.length !== n * per) throw new SamgpuError(`augmentBatch: ${bytes.length} bytes for ${n} images of [${c}, ${sh}, ${sw}] (expected ${n * per})`);
  if (c < 1 || c > 4) throw new SamgpuError(`augmentBatch: ${c} channels (1 to 4 supported)`);
  for (let b = 0; b < n; b++) {
    const [top, left, h, w] = params.subarray(b * AUGMENT_PARAMS, b * AUGMENT_PARAMS + 4);
    if (!(h >= 1 && w >= 1 && top >= 0 && left >= 0 && top + h <= sh && left + w <= sw && [top, left, h, w].every(Number.isInteger))) {
      throw new SamgpuError(`augmentBatch: example ${b}: crop box top ${top}, left ${left}, ${h}×${w} is not inside the ${sh}×${sw} source`);
    }
  }
  const norm = opts.normalize;
  if (norm && (norm.mean.length !== c || norm.std.length !== c || norm.std.some((s) => !(s > 0)))) {
    throw new SamgpuError(`augmentBatch: normalize needs ${c} means and ${c} stds > 0, got mean [${norm.mean}], std [${norm.std}]`);
  }
  // 8-bit data as 32-bit words (zero padded); a Float32Array view keeps the bytes as they are.
  const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
  padded.set(bytes);
  const src = tensor(new Float32Array(padded.buffer), [padded.length / 4], rt);
  const ex = tensor(params, [params.length], rt);
  const out = empty([n, c, oh, ow], rt);
  const pad = (v: number[] | undefined, fill: number) => [0, 1, 2, 3].map((i) => v?.[i] ?? fill);
  const u = new Uniforms().u32(n, c, oh, ow, sh, sw, 0, 0).f32(...pad(norm?.mean, 0), ...pad(norm?.std, 1)).build();
  const buffers = { src: src.buffer(), ex: ex.buffer(), out: out.buffer() };
  rt.dispatch(CROP_RESIZE, { buffers, uniforms: u, workgroups: workgroups1d(out.size) });
  rt.dispatch(COLOR, { buffers: { ex: buffers.ex, out: buffers.out }, uniforms: u, workgroups: [n] });
  src.dispose();
  ex.dispose();
  return out;
}
