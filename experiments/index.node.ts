// Node entry of the experiments (dist/samgpu-experiments.node.js; the package's
// `samgpu/experiments` in Node): the engine with Dawn's `init`, every experiment module of the
// browser entry, and `dataFiles`, the readers of the datasets' standard files on disk.
// The package's build puts the engine in chunks shared with `samgpu`'s entry, so a program
// importing both gets one engine and one runtime (esbuild.config.mjs).
export * from '../engine/node.ts';
export * from './index.ts';
export * as dataFiles from './data/files.node.ts';
