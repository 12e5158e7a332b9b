// JPEG/PNG decoding with sharp (prebuilt libvips from npm), as PIL's Image.open(f).convert('RGB'):
// sharp's libjpeg-turbo decode matched PIL bit for bit on 4:2:0 colour and grayscale JPEGs;
// embedded ICC profiles are ignored (PIL ignores them); CMYK is read raw and converted with PIL's
// formula (sharp's own conversion goes through ICC and differs). Then the geometric transform
// (transforms.ts) runs, and the resulting CHW bytes of a whole file list are cached.
import { readFile } from 'node:fs/promises';
import type SharpModule from 'sharp';
import { statSync } from 'node:fs';
import { cached, type CacheOptions } from './cache.node.ts';
import { cmykToRgb, describeMagic, hwcToChw, imageStructureProblem, sniffFormat, toRgb, type U8Image } from './image.ts';
import { applySteps, bytesToFloat, fixedOutputSize, type ImageTransform } from './transforms.ts';
import { DataError, dataError, type ImageShape } from './types.ts';
import { fsReason } from '../io.node.ts';

let sharpLoading: Promise<typeof SharpModule> | null = null;

/** sharp loads its native libvips when imported: loaded at the first decode, so runs that decode
 * no image file (embedded, synthetic, IDX and CIFAR data) work where its binaries are missing. */
function loadSharp(reader: string, file: string): Promise<typeof SharpModule> {
  sharpLoading ??= import('sharp').then((m) => m.default);
  return sharpLoading.catch((e: Error) => dataError(reader, file, `cannot decode images: the npm package sharp does not load here (${e.message.split('\n')[0]}); reinstall it with npm install sharp`));
}

/** Decode JPEG or PNG bytes (format by magic bytes, whatever the file name says) to 8-bit RGB HWC. */
export async function decodeImage(bytes: Uint8Array, file: string, reader = 'image'): Promise<U8Image> {
  const format = sniffFormat(bytes);
  if (!format) dataError(reader, file, `not a JPEG or PNG (${describeMagic(bytes)})`);
  // PIL's strictness (see image.ts): libvips alone decodes some corrupt files without a word.
  const problem = imageStructureProblem(bytes, format);
  if (problem) dataError(reader, file, `corrupt or unreadable ${format.toUpperCase()} (${problem})`);
  const sharp = await loadSharp(reader, file);
  try {
    const opts = { ignoreIcc: true, failOn: 'error' as const };
    const meta = await sharp(bytes, opts).metadata();
    if (meta.space === 'cmyk') {
      const { data, info } = await sharp(bytes, opts).pipelineColourspace('cmyk').toColourspace('cmyk').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
      return cmykToRgb(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), info.height, info.width);
    }
    const { data, info } = await sharp(bytes, opts).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    return toRgb({ data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), h: info.height, w: info.width, c: info.channels });
  } catch (e) {
    dataError(reader, file, `corrupt or unreadable ${format.toUpperCase()} (${(e as Error).message.split('\n')[0]})`);
  }
}

export async function decodeFile(path: string, reader = 'image'): Promise<U8Image> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    dataError(reader, path, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing file' : fsReason(e, path));
  }
  return decodeImage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path, reader);
}

/** [size, mtime in ms] of an image file; [-1, -1] when it cannot be stat'ed (its decode will say why). */
function imageStamp(path: string): [number, number] {
  try {
    const s = statSync(path);
    return [s.size, Math.round(s.mtimeMs)];
  } catch {
    return [-1, -1];
  }
}

export interface LoadImagesOptions extends CacheOptions {
  /** Reader name for messages and the cache file name. */
  reader: string;
  /** Files decoded at once (default 4). */
  concurrency?: number;
  /** Anything else the cache key must hold (e.g. stamps of the metadata files). */
  keyExtra?: Record<string, unknown>;
  onProgress?: (done: number, total: number) => void;
  /** Also record each original's [h, w] before the transform (`originalSize`; augmentation draws crops on it). */
  originalSizes?: boolean;
}

/**
 * Decode `files`, apply the transform's geometric steps, and return n·3·H·W bytes (CHW). Every
 * image must come out the same size (the transform should end with a fixed-size step). Cached
 * under a key made of the file list, the steps and `keyExtra`.
 */
export async function loadImageBytes(files: string[], transform: ImageTransform, opts: LoadImagesOptions): Promise<{ data: Uint8Array; shape: ImageShape; cacheHit: boolean; originalSize?: Int32Array }> {
  if (files.length === 0) throw new DataError(`${opts.reader}: no image files to load (an empty split is never cached)`);
  const fixed = fixedOutputSize(transform.steps);
  // Each file's size and modification time are in the key, so a replaced image rebuilds the cache.
  const key = { v: 2, files: files.map((f) => [f, ...imageStamp(f)]), steps: transform.steps, ...opts.keyExtra, ...(opts.originalSizes ? { originalSizes: true } : {}) };
  const sizes = opts.originalSizes ? new Int32Array(files.length * 2) : null;
  const label = opts.reader.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const { entry, hit } = await cached(`${label}-images`, key, async () => {
    let shape: ImageShape | null = fixed ? [3, fixed[0], fixed[1]] : null;
    let data: Uint8Array | null = shape ? new Uint8Array(files.length * 3 * shape[1] * shape[2]) : null;
    let next = 0;
    let done = 0;
    const worker = async () => {
      for (let i = next++; i < files.length; i = next++) {
        const decoded = await decodeFile(files[i], opts.reader);
        if (sizes) sizes.set([decoded.h, decoded.w], 2 * i);
        const img = applySteps(decoded, transform.steps);
        if (!shape) {
          shape = [3, img.h, img.w];
          data = new Uint8Array(files.length * 3 * img.h * img.w);
        }
        if (img.h !== shape[1] || img.w !== shape[2]) {
          dataError(opts.reader, files[i], `transformed to ${img.h}×${img.w}, the first image to ${shape[1]}×${shape[2]}: end the transform with a fixed-size step`);
        }
        hwcToChw(img, data!, i * img.data.length);
        opts.onProgress?.(++done, files.length);
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 4, Math.max(1, files.length)) }, worker));
    const s = shape ?? [3, 0, 0];
    return { meta: { shape: s }, arrays: { x: data ?? new Uint8Array(0), ...(sizes ? { sizes } : {}) } };
  }, opts);
  const originalSize = entry.arrays.sizes as Int32Array | undefined;
  return { data: entry.arrays.x as Uint8Array, shape: entry.meta.shape as ImageShape, cacheHit: hit, ...(originalSize ? { originalSize } : {}) };
}

/** `loadImageBytes` then ToTensor/Normalize to float32 NCHW. */
export async function loadImages(files: string[], transform: ImageTransform, opts: LoadImagesOptions): Promise<{ images: Float32Array; shape: ImageShape; cacheHit: boolean }> {
  const b = await loadImageBytes(files, transform, opts);
  return { images: bytesToFloat(b.data, b.shape, transform.normalize), shape: b.shape, cacheHit: b.cacheHit };
}
