import assert from 'node:assert/strict';
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
});
