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
});
