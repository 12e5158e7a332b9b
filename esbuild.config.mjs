// `npm run build`: ESM bundles for browsers — the engine (dist/samgpu.browser.js) and the engine
// with the experiments (dist/samgpu-experiments.browser.js) — checked to pull in no Node
// built-in and no *.node.ts module (scripts/browser-guard.mjs); the Node entry points — the
// engine (dist/samgpu.node.js, Dawn's `webgpu` kept external), the engine with the experiments
// and the file readers (dist/samgpu-experiments.node.js) and the `samgpu` CLI
// (dist/samgpu-cli.js; these two keep npm dependencies external); type declarations in dist/types. WGSL files
// are bundled as text, the same text Node reads through scripts/ts-loader.mjs.
// The demo page has its own build: scripts/build-web.node.ts (`npm run build:web`).
import { build } from 'esbuild';
import { browserGuard } from './scripts/browser-guard.mjs';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const common = { bundle: true, format: 'esm', loader: { '.wgsl': 'text' }, sourcemap: true, logLevel: 'warning' };

rmSync('dist', { recursive: true, force: true });
const browser = { ...common, platform: 'browser', target: 'es2022', outdir: 'dist', plugins: [browserGuard] };
const node = { ...common, platform: 'node', target: 'node20', outdir: 'dist' };
await Promise.all([
  build({ ...browser, entryPoints: { 'samgpu.browser': 'engine/browser.ts' } }),
  build({ ...browser, entryPoints: { 'samgpu-experiments.browser': 'experiments/browser.ts' } }),
  build({ ...node, entryPoints: { 'samgpu.node': 'engine/node.ts' }, external: ['webgpu'] }),
  build({ ...node, entryPoints: { 'samgpu-experiments.node': 'experiments/index.node.ts' }, packages: 'external' }),
  build({ ...node, entryPoints: { 'samgpu-cli': 'cli/samgpu.node.ts' }, packages: 'external' }),
]);

// Declarations: tsc writes them with our `.ts` import specifiers; consumers resolve `.js` to `.d.ts`.
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
const walk = (dir) => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
for (const f of walk('dist/types').filter((f) => f.endsWith('.d.ts'))) {
  writeFileSync(f, readFileSync(f, 'utf8').replace(/(from\s+['"]\.{1,2}\/[^'"]*?)\.ts(['"])/g, '$1.js$2'));
}
console.log('built dist/samgpu.browser.js, dist/samgpu-experiments.browser.js, dist/samgpu.node.js, dist/samgpu-experiments.node.js, dist/samgpu-cli.js, dist/types/');
