import assert from 'node:assert/strict';
import { parseSafetensors, serializeSafetensors } from '../engine/io/safetensors.ts';

function file(header: object, data = new Uint8Array(0), lenOverride?: number): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(lenOverride ?? h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

describe('safetensors', () => {
  it('round-trips float32 tensors and metadata', () => {
    const m = new Map([
      ['b.weight', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
      ['a', { shape: [1], data: Float32Array.from([-0.5]) }],
    ]);
    const f = parseSafetensors(serializeSafetensors(m, { format: 'pt' }));
    assert.deepEqual([...f.tensors.keys()], ['a', 'b.weight']);
    assert.deepEqual([...f.tensors.get('b.weight')!.data], [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(f.tensors.get('b.weight')!.shape, [2, 3]);
    assert.equal(f.metadata.format, 'pt');
  });

  it('reads F16, BF16, F64 and I64 as float32', () => {
    const data = new Uint8Array(2 + 2 + 8 + 8);
    const dv = new DataView(data.buffer);
    dv.setUint16(0, 0x3c00, true); // f16 1.0
    dv.setUint16(2, 0xc000, true); // bf16 -2.0
    dv.setFloat64(4, 0.25, true);
    dv.setBigInt64(12, 7n, true);
    const f = parseSafetensors(file({
      h: { dtype: 'F16', shape: [1], data_offsets: [0, 2] },
      b: { dtype: 'BF16', shape: [1], data_offsets: [2, 4] },
      d: { dtype: 'F64', shape: [1], data_offsets: [4, 12] },
      i: { dtype: 'I64', shape: [1], data_offsets: [12, 20] },
    }, data));
    assert.deepEqual(['h', 'b', 'd', 'i'].map((k) => f.tensors.get(k)!.data[0]), [1, -2, 0.25, 7]);
  });

  it('malformed files get an error naming the file and the tensor', () => {
    assert.throws(() => parseSafetensors(new Uint8Array(4), 'w.safetensors'), /safetensors \(w.safetensors\): file is 4 bytes/);
    assert.throws(() => parseSafetensors(file({}, new Uint8Array(0), 1000), 'w.safetensors'), /header length 1000 exceeds/);
    const bad = new Uint8Array(12);
    new DataView(bad.buffer).setBigUint64(0, 4n, true);
    bad.set(new TextEncoder().encode('{{{{'), 8);
    assert.throws(() => parseSafetensors(bad, 'x'), /header is not valid JSON/);
    assert.throws(() => parseSafetensors(file({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(4)), 'x'), /tensor 'w': data_offsets \[0, 8\] out of range/);
    assert.throws(() => parseSafetensors(file({ w: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)), 'x'), /tensor 'w': dtype "C64" is not supported/);
    assert.throws(() => parseSafetensors(file({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), 'x'), /tensor 'w': shape \[3\] of F32 needs 12 bytes, data_offsets give 8/);
  });

  it('follows the format: null entries, overlaps, holes, trailing bytes and non-string metadata are refused', () => {
    const f32 = (begin: number, end: number, shape = [(end - begin) / 4]) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });
    const cases: [object, number, RegExp][] = [
      [{ w: null }, 0, /tensor 'w': expected an object \{dtype, shape, data_offsets\}, got null/],
      [{ w: [1, 2] }, 0, /tensor 'w': expected an object/],
      [{ a: f32(0, 8), b: f32(4, 12) }, 12, /tensor 'b': data_offsets \[4, 12\] overlap tensor 'a' \(which ends at 8\)/],
      [{ a: f32(0, 8), b: f32(0, 8) }, 8, /overlap tensor 'a'/],
      [{ a: f32(0, 4), b: f32(8, 12) }, 12, /tensor 'b': data_offsets \[8, 12\] leave a hole of 4 bytes after tensor 'a'/],
      [{ a: f32(4, 8) }, 8, /tensor 'a': .* leave a hole of 4 bytes after the start of the data section/],
      [{ a: f32(0, 4) }, 8, /4 bytes after the last tensor's data/],
      [{ __metadata__: { format: 1 } }, 0, /__metadata__.format: expected a string, got 1/],
      [{ __metadata__: { a: null } }, 0, /__metadata__.a: expected a string, got null/],
      [{ __metadata__: 'pt' }, 0, /__metadata__: expected an object of strings/],
      [{ w: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, 4, /tensor 'w': invalid shape \[1.5\]/],
      [{ w: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } }, 4, /tensor 'w': invalid data_offsets \[-4,0\]/],
      [{ w: { dtype: 'toString', shape: [1], data_offsets: [0, 4] } }, 4, /tensor 'w': dtype "toString" is not supported/],
    ];
    for (const [header, bytes, want] of cases) assert.throws(() => parseSafetensors(file(header, new Uint8Array(bytes)), 'm.safetensors'), (e: Error) => e.name === 'SamgpuError' && /^safetensors \(m\.safetensors\): /.test(e.message) && want.test(e.message), JSON.stringify(header));
    // The header: UTF-8, a JSON object, within the format's 100 MB limit.
    const raw = (h: Uint8Array, len = h.length) => {
      const out = new Uint8Array(8 + h.length);
      new DataView(out.buffer).setBigUint64(0, BigInt(len), true);
      out.set(h, 8);
      return out;
    };
    assert.throws(() => parseSafetensors(raw(Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]))), /header is not valid UTF-8/);
    assert.throws(() => parseSafetensors(raw(new TextEncoder().encode('[1, 2]'))), /header does not start with '\{'/);
    assert.throws(() => parseSafetensors(raw(new Uint8Array(4), 2 ** 40)), /header length 1099511627776 exceeds the format's limit/);
  });

  it('pads the header by bytes, so non-ASCII names and metadata keep the data section 8-aligned', () => {
    for (const name of ['é', 'poids.ü', '重み', 'a']) {
      const bytes = serializeSafetensors(new Map([[name, { shape: [3], data: Float32Array.from([1, 2, 3]) }]]), { note: 'café ☕' });
      const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      assert.equal((8 + headerLen) % 8, 0, `${name}: the data section starts at byte ${8 + headerLen}`);
      assert.equal(bytes.length, 8 + headerLen + 12);
      const f = parseSafetensors(bytes);
      assert.deepEqual([...f.tensors.get(name)!.data], [1, 2, 3]);
      assert.equal(f.metadata.note, 'café ☕');
    }
  });
});

