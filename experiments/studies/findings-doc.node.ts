// Collect every findings.json under a results folder and write docs/FINDINGS.md.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { writeAtomic } from '../runner/files.node.ts';
import { findingsMarkdown } from './findings-doc.ts';
import type { FindingsFile } from './page.ts';

/** findings.json files up to three levels below `root`. */
export function collectFindings(root: string): { path: string; findings: FindingsFile }[] {
  const out: { path: string; findings: FindingsFile }[] = [];
  const visit = (d: string, depth: number) => {
    if (!existsSync(d)) return;
    const f = join(d, 'findings.json');
    if (existsSync(f)) out.push({ path: relative(process.cwd(), f), findings: JSON.parse(readFileSync(f, 'utf8')) as FindingsFile });
    if (depth === 0) return;
    for (const e of readdirSync(d).sort()) if (statSync(join(d, e)).isDirectory() && !['runs', 'cells', 'slurm'].includes(e)) visit(join(d, e), depth - 1);
  };
  visit(resolve(root), 3);
  return out;
}

export function writeFindingsDoc(roots: string[], out = 'docs/FINDINGS.md'): { path: string; studies: number } {
  const files = roots.flatMap(collectFindings);
  writeAtomic(out, findingsMarkdown(files));
  return { path: out, studies: files.length };
}
