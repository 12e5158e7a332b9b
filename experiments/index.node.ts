// Node entry of the experiments (dist/samgpu-experiments.node.js; the package's
// `samgpu/experiments` in Node): the engine with Dawn's `init`, every experiment module of the
// browser entry, and `dataFiles`, the readers of the datasets' standard files on disk.
// It bundles its own copy of the engine: import everything from 'samgpu/experiments' in a
// program that uses it, not some names from 'samgpu' (a second engine with its own runtime).
export * from '../engine/node.ts';
export * from './index.ts';
export * as dataFiles from './data/files.node.ts';
