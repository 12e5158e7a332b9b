// `npm run build`: the package's bundles and type declarations in dist/.
// - Node: the engine (samgpu.node.js), the engine with the experiments and the file readers
//   (samgpu-experiments.node.js) and the `samgpu` command (samgpu-cli.js), built together with
//   code splitting: what they share (the engine, hence its one runtime) sits in shared chunks
//   (samgpu-node-*.js), so a program importing both `samgpu` and `samgpu/experiments` gets one
//   engine and one GPU runtime. npm dependencies stay external.
// - Browsers: the engine (samgpu.browser.js) and the engine with the experiments
//   (samgpu-experiments.browser.js), split the same way (samgpu-browser-*.js), checked to pull
//   in no Node built-in and no *.node.ts module (scripts/browser-guard.mjs).
// - Type declarations in dist/types, each opening with a reference to @webgpu/types (the GPU*
//   types they use), so consumers type-check with skipLibCheck: false.
// WGSL files are bundled as text, the same text Node reads through scripts/ts-loader.mjs.
// The demo page has its own build: scripts/build-web.node.ts (`npm run build:web`).
import { build } from 'esbuild';
import { browserGuard } from './scripts/browser-guard.mjs';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const common = { bundle: true, format: 'esm', splitting: true, loader: { '.wgsl': 'text' }, sourcemap: true, logLevel: 'warning', outdir: 'dist' };

rmSync('dist', { recursive: true, force: true });
await Promise.all([
  build({
    ...common, platform: 'browser', target: 'es2022', plugins: [browserGuard], chunkNames: 'samgpu-browser-[hash]',
    entryPoints: { 'samgpu.browser': 'engine/browser.ts', 'samgpu-experiments.browser': 'experiments/browser.ts' },
  }),
  build({
    ...common, platform: 'node', target: 'node20', packages: 'external', chunkNames: 'samgpu-node-[hash]',
    entryPoints: { 'samgpu.node': 'engine/node.ts', 'samgpu-experiments.node': 'experiments/index.node.ts', 'samgpu-cli': 'cli/samgpu.node.ts' },
  }),
]);

// Declarations: tsc writes them with our `.ts` import specifiers; consumers resolve `.js` to `.d.ts`.
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
const walk = (dir) => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
for (const f of walk('dist/types').filter((f) => f.endsWith('.d.ts'))) {
  const text = readFileSync(f, 'utf8').replace(/(from\s+['"]\.{1,2}\/[^'"]*?)\.ts(['"])/g, '$1.js$2');
  writeFileSync(f, `/// <reference types="@webgpu/types" />\n${text}`);
}
const bundles = readdirSync('dist').filter((f) => f.endsWith('.js'));
console.log(`built dist/: ${bundles.join(', ')}; dist/types/`);
