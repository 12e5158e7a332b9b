// The binary cache of decoded/built arrays: round trip, atomic writes, keys, damaged files.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { cached, canonicalJson, defaultCacheDir, readCache, readCacheFile, writeCacheFile } from '../experiments/data/cache.node.ts';
import { loadImageBytes } from '../experiments/data/decode.node.ts';
import { solidImage, put } from './data-files.ts';
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
    const warnings: string[] = [];
    const c = await cached('t', { a: 'k', z: [1, 2] }, build, { cacheDir: dir, onWarning: (m) => warnings.push(m) });
    assert.match(warnings.join(), /is damaged \(not a samgpu cache file \(7 bytes/);
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

  it('a content hash catches damaged bytes anywhere in the data; the damage is rebuilt with a warning', async () => {
    const dir = tempDir();
    let builds = 0;
    const build = () => (builds++, entry());
    const first = await cached('t', { k: 1 }, build, { cacheDir: dir });
    const good = readFileSync(first.path!);
    for (const at of [good.length - 1, good.length - 9, good.length - 20]) {
      const bad = Buffer.from(good);
      bad[at] ^= 0x10; // one flipped bit in an array (or its padding): same length, valid header
      writeFileSync(first.path!, bad);
      const r = readCache(first.path!, { k: 1 });
      assert.equal(r.status, 'damaged');
      assert.match((r as { reason: string }).reason, /content hash [0-9a-f]{12}… differs from the recorded/);
      const warnings: string[] = [];
      const again = await cached('t', { k: 1 }, build, { cacheDir: dir, onWarning: (m) => warnings.push(m) });
      assert.equal(again.hit, false);
      assert.deepEqual(again.entry.arrays, entry().arrays);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /^cache file .*t-[0-9a-f]{24}\.bin is damaged \(content hash .*\); rebuilding it$/);
      assert.deepEqual(readFileSync(first.path!), good, 'rebuilt to the same bytes');
    }
    assert.equal(builds, 4);
  });

  it('a cache folder that is a file fails before the build; a failed build writes nothing; dead writers\' temporaries go', async () => {
    const dir = tempDir();
    const file = join(dir, 'not-a-folder');
    writeFileSync(file, 'x');
    let builds = 0;
    await assert.rejects(cached('t', { k: 1 }, () => (builds++, entry()), { cacheDir: file }), (e: Error) => {
      assert.equal(e.name, 'DataError');
      assert.match(e.message, /^cannot use the cache folder .*not-a-folder: .*not-a-folder is a file, not a folder \(set dataset.options.cacheDir or \$SAMGPU_CACHE to another folder/);
      return true;
    });
    await assert.rejects(cached('t', { k: 1 }, () => (builds++, entry()), { cacheDir: join(file, 'sub') }), /not-a-folder is a file, not a folder/);
    assert.equal(builds, 0);
    const cache = join(dir, 'cache');
    await assert.rejects(cached('t', { k: 2 }, () => { throw new Error('empty split'); }, { cacheDir: cache }), /empty split/);
    assert.deepEqual(readdirSync(cache), []);
    // a writer killed mid-write (pid 2^22 + 1 is beyond Linux's pid range: surely dead) left these
    writeFileSync(join(cache, '.t-abc.bin~' + hostname() + '~4194305~x1.tmp'), 'partial');
    writeFileSync(join(cache, 't-abc.bin.tmp-4194305-abcdef'), 'partial, an older spelling');
    utimesSync(join(cache, 't-abc.bin.tmp-4194305-abcdef'), new Date(Date.now() - 3600e3), new Date(Date.now() - 3600e3));
    await cached('t', { k: 3 }, () => entry(), { cacheDir: cache });
    assert.deepEqual(readdirSync(cache).filter((f) => f.includes('tmp')), []);
  });

  it('decoded images are keyed by each file\'s size and time: a replaced image is decoded again', async () => {
    const dir = tempDir();
    const img = join(dir, 'a.png');
    put(img, await solidImage(4, 4, [10, 20, 30], 'png'));
    const opts = { reader: 'Test', cacheDir: join(dir, 'cache') };
    const steps = { steps: [] };
    const a = await loadImageBytes([img], steps, opts);
    assert.equal(a.cacheHit, false);
    assert.equal((await loadImageBytes([img], steps, opts)).cacheHit, true);
    put(img, await solidImage(4, 4, [200, 20, 30], 'png'));
    utimesSync(img, new Date(), new Date(Date.now() + 5000));
    const b = await loadImageBytes([img], steps, opts);
    assert.equal(b.cacheHit, false);
    assert.equal(b.data[0], 200);
    await assert.rejects(loadImageBytes([], steps, opts), /Test: no image files to load/);
    assert.ok(existsSync(opts.cacheDir));
  });
});

