// Node module hook: TypeScript is stripped by esbuild (one file at a time, no type check:
// `npm run typecheck` does that), and `.wgsl` files load as their source text, the same
// way esbuild's `text` loader bundles them for browsers.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

export async function load(url, context, nextLoad) {
  if (url.startsWith('file:') && (url.endsWith('.ts') || url.endsWith('.wgsl'))) {
    const path = fileURLToPath(url);
    const source = await readFile(path, 'utf8');
    if (url.endsWith('.wgsl')) {
      return { format: 'module', source: `export default ${JSON.stringify(source)};`, shortCircuit: true };
    }
    const out = await transform(source, {
      loader: 'ts', format: 'esm', target: 'node20', sourcemap: 'inline', sourcefile: path,
    });
    return { format: 'module', source: out.code, shortCircuit: true };
  }
  return nextLoad(url, context);
}
