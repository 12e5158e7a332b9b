// Running a study: the selection sweep (each arm's candidate hyper-parameters × the selection
// seeds), the choice on the selection split, the main sweep (arms × seeds), then the analysis
// into findings.json and report.html. Every stage is a sweep folder, so a study resumes where it
// stopped, runs on a local pool or as Slurm job arrays, and a rerun only does what is missing.
//   <dir>/select/     the selection sweep        <dir>/selection.json   what was chosen, from what
//   <dir>/main/       the reported runs           <dir>/findings.json    the answers
//   <dir>/report.html, *.svg                      the page
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SamgpuError } from '../../engine/device/errors.ts';
import { getRuntime } from '../../engine/runtime/current.ts';
import type { FinalResult } from '../runner/types.ts';
import { validateConfig } from '../runner/config.ts';
import { prepareSweep, readBackend, type BackendFile, type SweepCellEntry, type SweepDir } from '../runner/sweep-dir.node.ts';
import { cellsToRun, launch } from '../runner/sweep-run.node.ts';
import { sweepStatus, formatStatus } from '../runner/sweep-status.node.ts';
import { runInDir } from '../runner/run-dir.node.ts';
import { makeProgress } from '../runner/progress.node.ts';
import { writeAtomic, writeJsonAtomic } from '../runner/files.node.ts';
import type { SweepSpec } from '../runner/sweep.ts';
import { candidateId, candidates, choose, probeSelectionScore, withDataDir, withWeights, type Plan, type Selection, type Study, type StudyResult } from './study.ts';
import { studyPage } from './page.ts';

export interface StudyRunOptions {
  budget?: string;
  /** Folder of this study's results (default results/studies/<name>, or <name>-<budget> for other budgets). */
  dir?: string;
  /** 'inline' runs every cell in this process, one after another; 'local' a pool of processes; 'slurm' job arrays. */
  backend?: 'inline' | 'local' | 'slurm';
  jobs?: number;
  slurm?: Record<string, unknown>;
  log?: (line: string) => void;
  /** The command that reproduces this study, for its page and findings.json. */
  command?: string;
  /** More HTML sections at the end of the page. */
  extraSections?: string[];
  /** The pretrained weights (a safetensors file), for budgets that start from them (Budget.needsWeights). */
  weights?: string;
  /** The user's data folder, for budgets that read real datasets (Budget.needs). */
  dataDir?: string;
}

export type StudyOutcome =
  | { status: 'done'; dir: string; result: StudyResult; findingsPath: string }
  | { status: 'waiting'; dir: string; stage: 'select' | 'main'; message: string };

export function studyDir(study: Study, budget: string, results = 'results'): string {
  return resolve(results, 'studies', budget === study.defaultBudget ? study.name : `${study.name}-${budget}`);
}

function stageSpec(name: string, plan: Plan, cells: { id: string; params: Record<string, unknown> }[], seeds: number[]): SweepSpec {
  return { name, base: plan.base, grid: { seed: seeds }, cells };
}

/** The run folder of a sweep's cell (runs/<id>-<config hash>). */
const cellRunDir = (sweep: SweepDir, id: string): string => {
  const cell = sweep.cells.find((c) => c.id === id);
  if (!cell) throw new SamgpuError(`study: no cell ${id} in ${sweep.dir}`);
  return cell.runDir;
};

const readFinal = (runDir: string): FinalResult | null => {
  const f = join(runDir, 'final.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as FinalResult) : null;
};

/**
 * The sweep's own clock, from its cells' status files: the time at least one run was running
 * (so a resumed sweep's pauses and a later re-analysis add nothing) and when the last one ended;
 * null when no cell has one (the inline backend writes none).
 */
export function sweepClock(runDirs: string[]): { seconds: number; finished: string } | null {
  const spans: [number, number][] = [];
  for (const d of runDirs) {
    const f = join(d, 'cell-status.json');
    if (!existsSync(f)) continue;
    const st = JSON.parse(readFileSync(f, 'utf8')) as { started?: string; ended?: string };
    const a = Date.parse(st.started ?? '');
    const b = Date.parse(st.ended ?? '');
    if (Number.isFinite(a) && Number.isFinite(b) && b >= a) spans.push([a, b]);
  }
  if (!spans.length) return null;
  spans.sort((x, y) => x[0] - y[0]);
  let total = 0;
  let [lo, hi] = spans[0];
  for (const [a, b] of spans.slice(1)) {
    if (a > hi) {
      total += hi - lo;
      [lo, hi] = [a, b];
    } else hi = Math.max(hi, b);
  }
  total += hi - lo;
  return { seconds: total / 1000, finished: new Date(Math.max(...spans.map((x) => x[1]))).toISOString() };
}

/** Run a stage's cells that are not done; returns a message when they are left running elsewhere (Slurm). */
async function runStage(sweep: SweepDir, o: StudyRunOptions, log: (l: string) => void): Promise<string | null> {
  const todo = cellsToRun(sweep);
  const st = sweepStatus(sweep);
  const running = st.rows.filter((r) => r.active).length;
  if (!todo.length) return running ? `${running} cell(s) of ${sweep.dir} still queued or running: rerun when they are done (samgpu sweep status ${sweep.dir})` : null;
  const backend = o.backend ?? 'inline';
  if (backend === 'inline') {
    for (const [i, cell] of todo.entries()) await runCellInline(cell, `[${i + 1}/${todo.length}] ${cell.id}`);
    return null;
  }
  const b: BackendFile = backend === 'slurm' ? { backend: 'slurm', options: o.slurm ?? readBackend(sweep.dir)?.options ?? {} } : { backend: 'local', options: {} };
  const r = await launch(sweep, todo, b, { jobs: o.jobs ?? 1, log });
  if (r.backend === 'slurm') return `submitted Slurm job ${r.submission.jobId} (${todo.length} cells of ${sweep.dir}): rerun this command when it is done`;
  if (r.result.signal) throw new SamgpuError(`study: stopped by ${r.result.signal}; rerun the same command to continue`);
  const after = sweepStatus(sweep);
  if (after.counts.failed) throw new SamgpuError(`study: ${after.counts.failed} cell(s) failed:\n${formatStatus(after)}`);
  return null;
}

async function runCellInline(cell: SweepCellEntry, label: string): Promise<void> {
  const config = validateConfig(JSON.parse(readFileSync(cell.configPath, 'utf8')));
  const progress = makeProgress(label, config.epochs ?? 0, config.batchSize);
  try {
    const o = await runInDir(cell.runDir, config, {
      resume: existsSync(join(cell.runDir, 'config.json')),
      onProgress: (p) => progress.update(p),
      onEpoch: (m) => progress.epochDone(`epoch ${m.epoch}: loss ${m.trainLoss.toFixed(3)}, selection acc ${m.valAcc.toFixed(3)}`),
    });
    progress.stop();
    if (o.status === 'done') {
      const p = o.result.probes;
      console.log(`${label}: probe error easy ${p.easy.error.toFixed(3)}, hard ${p.hard.error.toFixed(3)} (${o.result.seconds.toFixed(0)} s)`);
    }
  } catch (e) {
    progress.stop();
    throw e;
  }
}

/** Run (or continue) `study` at a budget, then analyze it. */
export async function runStudy(study: Study, o: StudyRunOptions = {}): Promise<StudyOutcome> {
  const log = o.log ?? ((l: string) => console.log(l));
  const budget = o.budget ?? study.defaultBudget;
  const b = study.budgets[budget];
  if (!b) throw new SamgpuError(`study ${study.name}: no budget '${budget}' (budgets: ${Object.keys(study.budgets).join(', ')})`);
  const what = `study ${study.name} (budget ${budget})`;
  if (o.weights && !existsSync(o.weights)) throw new SamgpuError(`${what}: --weights ${o.weights}: no such file (a .safetensors file with torchvision names)`);
  const plan = withWeights(withDataDir(b.plan, o.dataDir ? resolve(o.dataDir) : undefined, what, b.needs), o.weights ? resolve(o.weights) : undefined, what, b.needsWeights);
  if (plan.seeds.some((s) => plan.selectionSeeds.includes(s))) throw new SamgpuError(`study ${study.name}: selection seeds must differ from the reported seeds`);
  const dir = o.dir ? resolve(o.dir) : studyDir(study, budget);
  const t0 = performance.now();
  // 1. Selection: each arm's candidates × selection seeds, ranked on the selection split.
  let selection: Selection | null = null;
  const runDirs: string[] = [];
  const selecting = plan.arms.filter((a) => a.select);
  if (selecting.length) {
    const cells = selecting.flatMap((arm) => candidates(arm).map((values) => ({ id: candidateId(arm, values), params: { ...arm.params, ...values } })));
    const sweep = prepareSweep(stageSpec('select', plan, cells, plan.selectionSeeds), dir);
    runDirs.push(...sweep.cells.map((c) => c.runDir));
    log(`study ${study.name} (${budget}): selection, ${sweep.cells.length} runs`);
    const wait = await runStage(sweep, o, log);
    if (wait) return { status: 'waiting', dir, stage: 'select', message: wait };
    const byCandidate = new Map<string, FinalResult[]>();
    for (const c of cells) {
      byCandidate.set(c.id, plan.selectionSeeds.map((s) => readFinal(cellRunDir(sweep, `${c.id}_seed-${s}`))).filter((r): r is FinalResult => !!r));
    }
    selection = choose(plan, byCandidate, study.selectionScore ?? probeSelectionScore, study.selectionScore ? 'the study\'s selection score' : 'mean probe error of both features on the selection split (validation examples the probes are not fitted on), over the selection seeds');
    writeJsonAtomic(join(dir, 'selection.json'), selection);
  }
  // 2. The reported runs: every arm at its chosen values, every seed.
  const cells = plan.arms.map((arm) => ({ id: arm.id, params: { ...arm.params, ...(selection?.chosen[arm.id] ?? {}) } }));
  const sweep = prepareSweep(stageSpec('main', plan, cells, plan.seeds), dir);
  runDirs.push(...sweep.cells.map((c) => c.runDir));
  log(`study ${study.name} (${budget}): ${sweep.cells.length} reported runs (${plan.arms.map((a) => a.id).join(', ')} × ${plan.seeds.length} seeds)`);
  const wait = await runStage(sweep, o, log);
  if (wait) return { status: 'waiting', dir, stage: 'main', message: wait };
  const runs = new Map(plan.arms.map((arm) => [arm.id, plan.seeds.map((s) => readFinal(cellRunDir(sweep, `${arm.id}_seed-${s}`))).filter((r): r is FinalResult => !!r)]));
  // 3. The answers.
  const result = study.analyze({ budget, plan, runs, selection });
  const rt = (() => {
    try {
      return getRuntime();
    } catch {
      return null;
    }
  })();
  const allRuns = [...runs.values()].flat();
  const clock = sweepClock(runDirs);
  const findings = {
    study: study.name,
    title: study.title,
    budget,
    command: o.command ?? `samgpu study ${study.name}${budget === study.defaultBudget ? '' : ` --budget ${budget}`}${b.needs ? ' --data-dir DIR' : ''}${b.needsWeights ? ' --weights FILE' : ''}`,
    adapter: rt?.gpu.describe() ?? 'unknown',
    finished: clock?.finished ?? new Date().toISOString(),
    /** Seconds the reported runs took (each run's own clock), and the sweep's wall time (see sweepClock). */
    runSeconds: allRuns.reduce((a, r) => a + r.seconds, 0),
    wallSeconds: clock?.seconds ?? (performance.now() - t0) / 1000,
    questions: study.questions,
    findings: result.findings,
    selection,
  };
  const findingsPath = join(dir, 'findings.json');
  writeJsonAtomic(findingsPath, findings);
  for (const [name, content] of result.files) writeAtomic(join(dir, name), content);
  writeAtomic(join(dir, 'report.html'), studyPage(study, findings, { ...result, sections: [...result.sections, ...(o.extraSections ?? [])] }));
  return { status: 'done', dir, result, findingsPath };
}
