import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeDevice } from '../engine/device/gpu.node.ts';
import { Runtime } from '../engine/index.ts';
import source from '../shaders/elementwise.wgsl';
import { gpu } from './helpers.ts';

describe('device', () => {
  it('has an adapter with its real limits (not the spec defaults)', async () => {
    const rt = await gpu();
    const { adapter, device, info } = rt.gpu;
    assert.equal(device.limits.maxStorageBufferBindingSize, adapter.limits.maxStorageBufferBindingSize);
    assert.equal(device.limits.maxComputeWorkgroupStorageSize, adapter.limits.maxComputeWorkgroupStorageSize);
    assert.equal(typeof info.isSoftware, 'boolean');
    assert.match(rt.gpu.describe(), /\((software|hardware)\)$/);
  });

  it('turns a GPU validation error into an exception naming the kernel (debug mode)', async () => {
    const dev = await createNodeDevice({ debug: true });
    const rt = new Runtime(dev);
    const tiny = rt.pool.acquire(4);
    const kernel = { name: 'elementwise.wgsl', code: source, entry: 'unary' };
    // 'out' bound to the same buffer as the read-only input: invalid in one usage scope
    rt.dispatch(kernel, {
      overrides: { OP: 15 },
      buffers: { a: tiny, out: tiny },
      uniforms: new Uint32Array(40),
      workgroups: [1],
    });
    await assert.rejects(() => rt.read(tiny, 4), /GPU error|elementwise/);
    dev.destroy();
  });

  it('reports a missing binding before touching the GPU', async () => {
    const rt = await gpu();
    const kernel = { name: 'elementwise.wgsl', code: source, entry: 'unary' };
    assert.throws(
      () => rt.dispatch(kernel, { overrides: { OP: 0 }, buffers: {}, uniforms: new Uint32Array(40), workgroups: [1] }),
      /elementwise.wgsl:unary:OP=0: no buffer given for binding '(a|out)'/,
    );
  });

  it('a destroyed device refuses further work with a clear error', async () => {
    const dev = await createNodeDevice();
    const rt = new Runtime(dev);
    const b = rt.upload(new Float32Array([1, 2]));
    dev.destroy();
    await new Promise((r) => setTimeout(r, 10));
    await assert.rejects(() => rt.read(b, 8), /destroyed|lost|GPU/);
  });

  it("hides Dawn's 'maxDynamic…BuffersPerPipelineLayout artificially reduced' noise at init and keeps real warnings", function () {
    this.timeout(60_000);
    const dir = mkdtempSync(join(tmpdir(), 'samgpu-noise-'));
    try {
      const script = join(dir, 'child.ts');
      const root = new URL('..', import.meta.url).pathname;
      writeFileSync(script, [
        `import fs from 'node:fs';`,
        `import { init } from '${root}engine/node.ts';`,
        `import { withDriverNoiseFiltered } from '${root}engine/device/driver-noise.node.ts';`,
        `const rt = await init();`,
        `console.log('device', rt.gpu.describe());`,
        // a native-style write of noise and of a real warning inside the filtered window
        `await withDriverNoiseFiltered(async () => { fs.writeSync(2, 'Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.\\nWarning: a real driver warning\\n'); });`,
        `console.error('after');`,
      ].join('\n'));
      // stderr to a file: Node's own child pipes are sockets, which cannot be reopened (see driver-noise.node.ts)
      const errFile = join(dir, 'stderr.txt');
      const errFd = openSync(errFile, 'w');
      const r = spawnSync(process.execPath, ['--import', `${root}scripts/register-loader.mjs`, script], { stdio: ['ignore', 'pipe', errFd], encoding: 'utf8', env: { ...process.env, SAMGPU_DRIVER_NOISE: '' } });
      closeSync(errFd);
      const err = readFileSync(errFile, 'utf8');
      assert.equal(r.status, 0, err);
      assert.match(r.stdout, /^device /);
      assert.doesNotMatch(err + r.stdout, /artificially reduced/);
      assert.equal(err, 'Warning: a real driver warning\nafter\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
