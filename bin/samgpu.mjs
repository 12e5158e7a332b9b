#!/usr/bin/env node
// The `samgpu` command. In a checkout it runs the TypeScript sources through the project's
// esbuild loader (never a stale bundle); an installed package runs the bundled dist/samgpu-cli.js.
import { existsSync } from 'node:fs';
import { register } from 'node:module';

const source = new URL('../cli/samgpu.node.ts', import.meta.url);
if (existsSync(source) && existsSync(new URL('../scripts/ts-loader.mjs', import.meta.url))) {
  register('../scripts/ts-loader.mjs', import.meta.url);
  await import(source.href);
} else {
  await import(new URL('../dist/samgpu-cli.js', import.meta.url).href);
}
