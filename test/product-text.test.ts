// The product speaks of itself only: its docs, pages and code comments name no issue numbers
// and no paths outside the repository.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => (f === 'dist' || f === 'node_modules' ? [] : statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));

const FORBIDDEN: [RegExp, string][] = [
  [/\bissues? ?#\d+|\(#\d+\)|\bof #\d+\b/i, 'an issue number'],
  [/\.\.\/shared\b/, 'a path outside the repository'],
  [/\breference\.md\b/, 'a document outside the repository'],
];

describe('product text', () => {
  it('README, docs, web, experiments, engine and cli name no issue numbers and no paths outside the repository', () => {
    const files = ['README.md', ...['docs', 'web', 'experiments', 'engine', 'cli', 'examples'].flatMap((d) => walk(join(root, d)).map((f) => relative(root, f)))]
      .filter((f) => /\.(ts|md|html|mjs|wgsl)$/.test(f));
    assert.ok(files.length > 100, `${files.length} files`);
    const bad = files.flatMap((f) => readFileSync(join(root, f), 'utf8').split('\n').flatMap((line, i) =>
      FORBIDDEN.filter(([re]) => re.test(line)).map(([, what]) => `${f}:${i + 1}: ${what}: ${line.trim().slice(0, 100)}`)));
    assert.deepEqual(bad, []);
  });
});
