// The package's own package.json, for `--version` and `info`. This file sits one folder below
// the package root both in a checkout (cli/) and in the bundled CLI (dist/samgpu-cli.js), so
// the same relative URL finds it.
import { readFileSync } from 'node:fs';

export function packageJson(): { name: string; version: string } {
  return JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
}
