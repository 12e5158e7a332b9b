#!/usr/bin/env node
// The `samgpu` command runs the TypeScript sources of a checkout through the project's esbuild
// loader (the research workflow: results, datasets, reports live next to the code).
import { existsSync } from 'node:fs';
import { register } from 'node:module';

const source = new URL('../cli/samgpu.node.ts', import.meta.url);
if (!existsSync(source) || !existsSync(new URL('../scripts/ts-loader.mjs', import.meta.url))) {
  console.error('samgpu: the command runs from a checkout of the samgpu repository (with its dev dependencies installed); the npm package is the engine library.');
  process.exit(2);
}
register('../scripts/ts-loader.mjs', import.meta.url);
await import(source.href);
