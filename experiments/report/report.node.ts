// `samgpu report <dir>`: one self-contained report.html (SVGs inlined and also written beside
// it) from the finished runs under <dir> (a sweep folder, or a folder of runs).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SamgpuError } from '../../engine/device/errors.ts';
import type { EpochMetrics, FinalResult } from '../runner/train.ts';
import { writeAtomic } from '../runner/files.node.ts';
import { buildReport } from './report-page.ts';

export { buildReport };

export interface LoadedRun {
  dir: string;
  final: FinalResult;
  metrics: EpochMetrics[];
}

/** Finished runs: every folder (up to three levels down) that holds a final.json. */
export function loadRuns(dir: string): LoadedRun[] {
  if (!existsSync(dir)) throw new SamgpuError(`report: ${dir} does not exist`);
  const out: LoadedRun[] = [];
  const visit = (d: string, depth: number) => {
    const f = join(d, 'final.json');
    if (existsSync(f)) {
      const final = JSON.parse(readFileSync(f, 'utf8')) as FinalResult;
      out.push({ dir: d, final, metrics: final.metrics });
      return;
    }
    if (depth === 0) return;
    for (const e of readdirSync(d).sort()) if (statSync(join(d, e)).isDirectory()) visit(join(d, e), depth - 1);
  };
  visit(dir, 3);
  return out;
}

/** Write report.html and the SVGs into `dir`; returns the report's path. */
export function writeReport(dir: string, extraSections: string[] = []): string {
  const runs = loadRuns(dir);
  if (!runs.length) throw new SamgpuError(`report: no finished runs (final.json) under ${dir}`);
  const { html, svgs } = buildReport(dir, runs.map((r) => r.final), extraSections);
  for (const [name, svg] of svgs) writeAtomic(join(dir, name), svg);
  const path = join(dir, 'report.html');
  writeAtomic(path, html);
  return path;
}
