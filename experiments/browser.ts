// Browser entry of the experiments (dist/samgpu-experiments.browser.js; the package's
// `samgpu/experiments` in browsers): the engine with its navigator.gpu `init`, plus every
// experiment module that runs without Node (experiments/index.ts). Files, caches and the CLI
// stay in the *.node.ts modules.
export * from '../engine/browser.ts';
export * from './index.ts';
