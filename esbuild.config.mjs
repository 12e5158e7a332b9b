// `npm run build`: bundles of the engine for browsers (no Node built-ins) and for Node (Dawn's
// `webgpu` kept external), plus type declarations in dist/types. WGSL files are bundled as
// text, the same text Node reads through scripts/ts-loader.mjs.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const common = { bundle: true, format: 'esm', loader: { '.wgsl': 'text' }, sourcemap: true, logLevel: 'warning' };

rmSync('dist', { recursive: true, force: true });
await Promise.all([
  build({ ...common, entryPoints: { 'samgpu.browser': 'engine/browser.ts' }, platform: 'browser', target: 'es2022', outdir: 'dist' }),
  build({ ...common, entryPoints: { 'samgpu.node': 'engine/node.ts' }, platform: 'node', target: 'node20', external: ['webgpu'], outdir: 'dist' }),
]);

// Declarations: tsc writes them with our `.ts` import specifiers; consumers resolve `.js` to `.d.ts`.
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
const walk = (dir) => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
for (const f of walk('dist/types').filter((f) => f.endsWith('.d.ts'))) {
  writeFileSync(f, readFileSync(f, 'utf8').replace(/(from\s+['"]\.{1,2}\/[^'"]*?)\.ts(['"])/g, '$1.js$2'));
}
console.log('built dist/samgpu.browser.js, dist/samgpu.node.js, dist/types/');
