// The demo's static dataset file: a built two-feature dataset (FMNIST-MNIST dominoes) as one
// compact binary that a page fetches and decodes without any Node API.
// Layout: 8-byte magic "SGTFWEB1", u32 LE header length, a UTF-8 JSON header (space-padded so the
// payload starts at a multiple of 8), then the arrays: per split `x` (uint8 pixels, N·C·H·W),
// `easy` and `hard` (uint8 labels), each at the header's byte offset from the payload start.
import { DataError, type SplitName } from '../experiments/data/types.ts';
import { SPLITS, type TwoFeatureBytes } from '../experiments/data/two-feature.ts';

const MAGIC = 'SGTFWEB1';
const READER = 'two-feature file';

interface ArrayRef {
  offset: number;
  length: number;
}

interface Header extends Omit<TwoFeatureBytes, 'splits'> {
  format: 'samgpu-two-feature';
  version: 1;
  splits: Record<SplitName, { n: number; decorrelated: boolean; x: ArrayRef; easy: ArrayRef; hard: ArrayRef }>;
}

function labelsToBytes(what: string, labels: Int32Array): Uint8Array {
  const out = new Uint8Array(labels.length);
  labels.forEach((v, i) => {
    if (!(v >= 0 && v <= 255)) throw new DataError(`${READER}: ${what} label ${i} is ${v}, expected 0 … 255`);
    out[i] = v;
  });
  return out;
}

/** The file's bytes for a built dataset. */
export function encodeTwoFeatureFile(b: TwoFeatureBytes): Uint8Array {
  const parts: Uint8Array[] = [];
  let offset = 0;
  const add = (a: Uint8Array): ArrayRef => {
    const ref = { offset, length: a.length };
    parts.push(a);
    const pad = (8 - (a.length % 8)) % 8;
    if (pad) parts.push(new Uint8Array(pad));
    offset += a.length + pad;
    return ref;
  };
  const splits = {} as Header['splits'];
  for (const s of SPLITS) {
    const p = b.splits[s];
    splits[s] = {
      n: p.easy.length, decorrelated: p.decorrelated,
      x: add(p.x), easy: add(labelsToBytes(`${s}.easy`, p.easy)), hard: add(labelsToBytes(`${s}.hard`, p.hard)),
    };
  }
  const header: Header = {
    format: 'samgpu-two-feature', version: 1,
    name: b.name, shape: b.shape, task: b.task, features: b.features, blocks: b.blocks, config: b.config, splits,
  };
  let json = new TextEncoder().encode(JSON.stringify(header));
  const headPad = (8 - ((12 + json.length) % 8)) % 8;
  if (headPad) json = Uint8Array.from([...json, ...new Uint8Array(headPad).fill(0x20)]);
  const out = new Uint8Array(12 + json.length + offset);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  let at = 12 + json.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Decode a file made by `encodeTwoFeatureFile`; `name` (a URL or path) goes into error messages. */
export function decodeTwoFeatureFile(data: ArrayBuffer | Uint8Array, name = 'dataset'): TwoFeatureBytes {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  const fail = (msg: string): never => {
    throw new DataError(`${READER}: ${name}: ${msg}`);
  };
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) fail(`not a samgpu two-feature file (expected magic "${MAGIC}")`);
  const hlen = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (12 + hlen > bytes.length) fail(`header of ${hlen} bytes runs past the end of the file (${bytes.length} bytes)`);
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hlen))) as Header;
  } catch (e) {
    return fail(`header is not JSON (${(e as Error).message})`);
  }
  if (header.format !== 'samgpu-two-feature' || header.version !== 1) fail(`unsupported format ${JSON.stringify(header.format)} version ${header.version}`);
  const base = 12 + hlen;
  const [c, h, w] = header.shape;
  const slice = (s: string, what: string, ref: ArrayRef, expected: number): Uint8Array => {
    if (ref.length !== expected) fail(`${s}.${what} has ${ref.length} values, expected ${expected}`);
    if (base + ref.offset + ref.length > bytes.length) fail(`${s}.${what} (${ref.length} bytes at ${ref.offset}) runs past the end of the file: truncated?`);
    return bytes.slice(base + ref.offset, base + ref.offset + ref.length);
  };
  const splits = {} as TwoFeatureBytes['splits'];
  for (const s of SPLITS) {
    const p = header.splits?.[s];
    if (!p) fail(`split '${s}' is missing`);
    splits[s] = {
      x: slice(s, 'x', p.x, p.n * c * h * w),
      easy: Int32Array.from(slice(s, 'easy', p.easy, p.n)),
      hard: Int32Array.from(slice(s, 'hard', p.hard, p.n)),
      decorrelated: p.decorrelated,
    };
  }
  return { name: header.name, shape: header.shape, task: header.task, features: header.features, blocks: header.blocks, config: header.config, splits };
}
