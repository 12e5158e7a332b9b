// Bundles: the engine for browsers (no Node built-ins), and for Node (Dawn's `webgpu` kept
// external). WGSL files are bundled as text, the same text Node reads through scripts/ts-loader.mjs.
import { build } from 'esbuild';

const common = { bundle: true, format: 'esm', loader: { '.wgsl': 'text' }, sourcemap: true, logLevel: 'info' };

await Promise.all([
  build({ ...common, entryPoints: { 'samgpu.browser': 'engine/browser.ts' }, platform: 'browser', target: 'es2022', outdir: 'dist' }),
  build({ ...common, entryPoints: { 'samgpu.node': 'engine/node.ts' }, platform: 'node', target: 'node20', external: ['webgpu'], outdir: 'dist' }),
]);
