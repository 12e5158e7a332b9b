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

// Structure checks run before decoding, because decoders are more lenient than PIL, the
// reference the field reads images with. libvips (sharp) decodes a JPEG whose entropy-coded data
// hold a stray marker (scrambled bytes) and a PNG whose ancillary chunk fails its CRC; PIL refuses
// both ("broken data stream", "broken PNG file"). Checked against PIL 9 on a few hundred corrupted
// files (bytes scrambled, flipped, inserted, deleted; baseline, progressive and gray JPEGs):
// sharp with failOn 'error' plus these checks agrees with PIL on every one, while failOn
// 'warning' also refuses files PIL reads (a bad Huffman code, which libjpeg only warns about).

/** libjpeg's read_markers accepts these after SOI; anything else is JERR_UNKNOWN_MARKER. */
function knownJpegMarker(m: number): boolean {
  return (m >= 0xc0 && m <= 0xcf && m !== 0xc8) || (m >= 0xd0 && m <= 0xd7) || m === 0x01 || m === 0xd9 || m === 0xda || m === 0xdb || m === 0xdd || (m >= 0xe0 && m <= 0xef) || m === 0xfe;
}

/** Why a JPEG's marker structure is broken (what libjpeg, and so PIL, would fail on), or null. */
export function jpegStructureProblem(b: Uint8Array): string | null {
  let i = 2; // after SOI
  for (;;) {
    // libjpeg's next_marker: bytes before a marker are skipped with a warning (not an error),
    // as are fill bytes FF and stuffed FF 00 pairs.
    for (;;) {
      while (i < b.length && b[i] !== 0xff) i++;
      while (i < b.length && b[i] === 0xff) i++;
      if (i >= b.length) return 'the file ends before the end-of-image marker (truncated)';
      if (b[i] !== 0x00) break;
      i++;
    }
    const at = i - 1;
    const m = b[i++];
    if (m === 0xd9) return null; // EOI
    if (!knownJpegMarker(m)) return `unknown marker 0xff${m.toString(16).padStart(2, '0')} at byte ${at}`;
    if ((m >= 0xd0 && m <= 0xd7) || m === 0x01) continue; // no length
    if (i + 2 > b.length) return 'the file ends inside a marker segment (truncated)';
    const len = (b[i] << 8) | b[i + 1];
    if (len < 2) return `marker 0xff${m.toString(16)} at byte ${at} has length ${len}`;
    i += len;
    if (m !== 0xda) continue;
    // SOS: entropy-coded data up to the next marker that is neither stuffed (FF 00) nor a restart.
    for (;;) {
      if (i >= b.length) return 'the file ends inside the compressed data (truncated)';
      if (b[i] !== 0xff) {
        i++;
        continue;
      }
      let j = i + 1;
      while (j < b.length && b[j] === 0xff) j++;
      if (j < b.length && (b[j] === 0x00 || (b[j] >= 0xd0 && b[j] <= 0xd7))) {
        i = j + 1;
        continue;
      }
      i = j - 1;
      break;
    }
  }
}

let crcTable: Uint32Array | null = null;

function crc32(b: Uint8Array, from: number, to: number): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = from; i < to; i++) c = crcTable[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Why a PNG's chunk structure is broken (a bad length or CRC, no IHDR first, no IEND), or null. */
export function pngStructureProblem(b: Uint8Array): string | null {
  const u32 = (at: number) => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
  let i = 8;
  let first = true;
  while (i + 8 <= b.length) {
    const len = u32(i);
    const type = String.fromCharCode(b[i + 4], b[i + 5], b[i + 6], b[i + 7]);
    if (!/^[A-Za-z]{4}$/.test(type)) return `chunk at byte ${i} has an invalid type ${JSON.stringify(type)}`;
    if (first && type !== 'IHDR') return `the first chunk is ${type}, expected IHDR`;
    first = false;
    if (i + 12 + len > b.length) return `chunk ${type} at byte ${i} runs past the end of the file (truncated)`;
    if (crc32(b, i + 4, i + 8 + len) !== u32(i + 8 + len)) return `chunk ${type} at byte ${i} fails its CRC check`;
    if (type === 'IEND') return null;
    i += 12 + len;
  }
  return 'the file ends before the IEND chunk (truncated)';
}

/** Why an image file of `format` is structurally broken, or null. */
export function imageStructureProblem(bytes: Uint8Array, format: ImageFormat): string | null {
  return format === 'jpeg' ? jpegStructureProblem(bytes) : pngStructureProblem(bytes);
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
