// The binary cache of decoded/built arrays: round trip, atomic writes, keys, damaged files.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { cached, canonicalJson, defaultCacheDir, readCacheFile, writeCacheFile } from '../experiments/data/cache.node.ts';
import { cleanup, tempDir } from './data-files.ts';

const entry = () => ({
  meta: { shape: [3, 2, 1], note: 'x' },
  arrays: { a: Uint8Array.from([1, 2, 3]), b: Int32Array.from([-5, 7]), c: Float32Array.from([0.5, -1.25, 3]) },
});

describe('data: binary cache', () => {
  after(cleanup);

  it('round-trips u8/i32/f32 arrays and metadata, leaving no temporary file', () => {
    const dir = tempDir();
    const p = join(dir, 'x.bin');
    writeCacheFile(p, { k: 1 }, entry());
    assert.deepEqual(readdirSync(dir), ['x.bin']);
    const got = readCacheFile(p, { k: 1 })!;
    assert.deepEqual(got.meta, entry().meta);
    assert.deepEqual(got.arrays, entry().arrays);
  });

  it('a file written for another key, a truncated file and garbage all read as a miss', () => {
    const dir = tempDir();
    const p = join(dir, 'x.bin');
    writeCacheFile(p, { k: 1 }, entry());
    assert.equal(readCacheFile(p, { k: 2 }), null);
    const bytes = readFileSync(p);
    writeFileSync(p, bytes.subarray(0, bytes.length - 4));
    assert.equal(readCacheFile(p, { k: 1 }), null);
    writeFileSync(p, 'garbage');
    assert.equal(readCacheFile(p, { k: 1 }), null);
    assert.equal(readCacheFile(join(dir, 'none.bin'), { k: 1 }), null);
  });

  it('cached() builds once, then hits; a damaged file is rebuilt; cacheDir false never writes', async () => {
    const dir = tempDir();
    let builds = 0;
    const build = () => (builds++, entry());
    const a = await cached('t', { z: [1, 2], a: 'k' }, build, { cacheDir: dir });
    const b = await cached('t', { a: 'k', z: [1, 2] }, build, { cacheDir: dir });
    assert.deepEqual([a.hit, b.hit, builds], [false, true, 1], 'key order does not matter');
    writeFileSync(a.path!, 'damaged');
    const c = await cached('t', { a: 'k', z: [1, 2] }, build, { cacheDir: dir });
    assert.deepEqual([c.hit, builds], [false, 2]);
    const none = await cached('t', { q: 1 }, build, { cacheDir: false });
    assert.equal(none.path, null);
    assert.equal(readdirSync(dir).length, 1);
  });

  it('the default directory is $SAMGPU_CACHE, else ~/.cache/samgpu; keys are canonical JSON', () => {
    const old = process.env.SAMGPU_CACHE;
    try {
      process.env.SAMGPU_CACHE = '/tmp/somewhere';
      assert.equal(defaultCacheDir(), '/tmp/somewhere');
      delete process.env.SAMGPU_CACHE;
      assert.equal(defaultCacheDir(), join(homedir(), '.cache', 'samgpu'));
    } finally {
      if (old === undefined) delete process.env.SAMGPU_CACHE;
      else process.env.SAMGPU_CACHE = old;
    }
    assert.equal(canonicalJson({ b: [1, { d: 2, c: 3 }], a: null, u: undefined }), '{"a":null,"b":[1,{"c":3,"d":2}]}');
  });
});
