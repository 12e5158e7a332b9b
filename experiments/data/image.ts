// Decoded 8-bit images (HWC, as decoders give them), format sniffing by magic bytes, and the
// colour conversions PIL's `Image.convert('RGB')` does, so that decoded pixels match PIL's.

export interface U8Image {
  /** h·w·c bytes, row-major, channels interleaved (HWC). */
  data: Uint8Array;
  h: number;
  w: number;
  c: number;
}

export type ImageFormat = 'jpeg' | 'png';

/** JPEG starts FF D8 FF, PNG 89 50 4E 47 0D 0A 1A 0A; anything else is null. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= 8 && png.every((b, i) => bytes[i] === b)) return 'png';
  return null;
}

/** What the first bytes look like, for error messages. */
export function describeMagic(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'an empty file';
  const hex = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return `magic bytes ${hex}`;
}

/** PIL's cmyk2rgb (libImaging/Convert.c): nk = 255 − K; out = nk − c·nk/255 (rounded the PIL way). */
export function cmykToRgb(cmyk: Uint8Array, h: number, w: number): U8Image {
  const n = h * w;
  const out = new Uint8Array(n * 3);
  const muldiv255 = (a: number, b: number) => {
    const t = a * b + 128;
    return ((t >> 8) + t) >> 8;
  };
  for (let i = 0; i < n; i++) {
    const nk = 255 - cmyk[i * 4 + 3];
    for (let ch = 0; ch < 3; ch++) out[i * 3 + ch] = Math.max(0, Math.min(255, nk - muldiv255(cmyk[i * 4 + ch], nk)));
  }
  return { data: out, h, w, c: 3 };
}

/** Grayscale (1 channel) to RGB by replication; RGB passes through. */
export function toRgb(img: U8Image): U8Image {
  if (img.c === 3) return img;
  const n = img.h * img.w;
  const out = new Uint8Array(n * 3);
  if (img.c === 1) {
    for (let i = 0; i < n; i++) out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = img.data[i];
  } else {
    // 2 (gray + alpha) or 4 (RGBA): drop alpha, as PIL's convert('RGB') does (no compositing).
    for (let i = 0; i < n; i++) {
      for (let ch = 0; ch < 3; ch++) out[i * 3 + ch] = img.data[i * img.c + (img.c === 2 ? 0 : ch)];
    }
  }
  return { data: out, h: img.h, w: img.w, c: 3 };
}

/** HWC bytes to CHW bytes. */
export function hwcToChw(img: U8Image, out: Uint8Array = new Uint8Array(img.data.length), offset = 0): Uint8Array {
  const { h, w, c, data } = img;
  const plane = h * w;
  for (let i = 0; i < plane; i++) {
    for (let ch = 0; ch < c; ch++) out[offset + ch * plane + i] = data[i * c + ch];
  }
  return out;
}
