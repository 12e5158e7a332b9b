#!/usr/bin/env node
// The `samgpu` command. In a checkout (cli/ and the TypeScript loader present) it runs the
// sources through the project's esbuild loader, so edits take effect without a build; from the
// installed package it runs the bundle dist/samgpu-cli.js.
import { existsSync } from 'node:fs';
import { register } from 'node:module';

const source = new URL('../cli/samgpu.node.ts', import.meta.url);
const loader = new URL('../scripts/ts-loader.mjs', import.meta.url);
const bundle = new URL('../dist/samgpu-cli.js', import.meta.url);
if (existsSync(source) && existsSync(loader)) {
  register(loader.href, import.meta.url);
  await import(source.href);
} else if (existsSync(bundle)) {
  await import(bundle.href);
} else {
  console.error('samgpu: neither the sources (cli/) nor the bundle (dist/samgpu-cli.js) were found: run `npm run build` in a checkout, or reinstall the package');
  process.exit(2);
}
