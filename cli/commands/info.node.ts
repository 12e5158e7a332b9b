// `samgpu info`: the WebGPU adapter, its limits and features, and the versions in use.
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { init } from '../../engine/node.ts';
import { packageJson } from '../package.node.ts';

export function infoCommand(program: Command): Command {
  return program
    .command('info')
    .description('the WebGPU adapter, its limits and features, and the versions of samgpu, Node and Dawn')
    .action(async () => {
      const rt = await init();
      // The npm `webgpu` package ships Dawn's Node bindings; its version pins the Dawn build.
      const dawn = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('webgpu/package.json'), 'utf8'));
      const a = rt.gpu.info;
      console.log(`samgpu ${packageJson().version}`);
      console.log(`node ${process.version}`);
      console.log(`webgpu ${dawn.version} (Dawn)`);
      // Dawn's Vulkan backend describes the adapter as "<driver name>: <driver info>"; Mesa's
      // driver info holds its version (and LLVM's, for lavapipe).
      const mesa = /Mesa \S+(?: \(LLVM [^)]+\))?/.exec(a.description)?.[0];
      const named = /^([^:]+): (.+)$/.exec(a.description);
      if (mesa ?? named) console.log(`driver: ${mesa ?? `${named![1]} ${named![2]}`}`);
      console.log(`adapter: ${rt.gpu.describe()}`);
      for (const k of ['vendor', 'architecture', 'device', 'description'] as const) console.log(`  ${k}: ${a[k] || '(not given)'}`);
      console.log(`  software: ${a.isSoftware ? 'yes (a CPU implementation)' : 'no'}`);
      console.log(`  subgroup sizes: ${a.subgroupMinSize !== undefined ? `${a.subgroupMinSize}–${a.subgroupMaxSize}` : 'not reported'}`);
      // The three optional features the engine asks for (the device has those the adapter offers).
      console.log(`features: ${(['subgroups', 'timestamp-query', 'shader-f16'] as const).map((f) => `${f} ${rt.gpu.hasFeature(f) ? 'yes' : 'no'}`).join(', ')}`);
      console.log('limits (the device\'s, raised to the adapter\'s where the engine asks):');
      const l = rt.device.limits as unknown as Record<string, number>;
      const bytes = (n: number) => (n >= 2 ** 30 - 1 ? ` (${+(n / 2 ** 30).toFixed(1)} GiB)` : n >= 2 ** 20 ? ` (${+(n / 2 ** 20).toFixed(1)} MiB)` : n >= 1024 ? ` (${+(n / 1024).toFixed(1)} KiB)` : '');
      for (const k of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize']) console.log(`  ${k}: ${l[k]}${bytes(l[k])}`);
      for (const k of ['maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupsPerDimension', 'maxStorageBuffersPerShaderStage', 'minStorageBufferOffsetAlignment']) console.log(`  ${k}: ${l[k]}`);
      process.exit(0);
    });
}
