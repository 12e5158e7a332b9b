// A study is data: the runs it needs (arms × seeds, with hyper-parameters chosen on the selection
// split by separate selection seeds), at a few named budgets, and the questions its analysis
// answers from the finished runs with paired statistics. Pure code; study.node.ts runs one.
import type { FinalResult } from '../runner/types.ts';
import { SamgpuError } from '../../engine/device/errors.ts';
import type { Direction, Verdict } from '../stats/paired.ts';

export interface Arm {
  /** Short id, used in run folder names: 'sgd', 'sam', 'oracle'. */
  id: string;
  /** How reports name it. */
  label: string;
  /** Dotted config fields this arm sets, e.g. { 'optimizer.name': 'sam' }. */
  params: Record<string, unknown>;
  /** Hyper-parameters chosen for this arm on the selection split: dotted field → candidate values. */
  select?: Record<string, unknown[]>;
}

export interface Plan {
  /** The config every run starts from: a run config, or { preset, … } with overrides. */
  base: Record<string, unknown>;
  arms: Arm[];
  /** Seeds of the reported runs: every arm runs every seed (paired). */
  seeds: number[];
  /** Seeds of the selection runs, disjoint from `seeds`: reported runs never chose their own hyper-parameters. */
  selectionSeeds: number[];
}

export interface Budget {
  /** What this budget is for and what it costs, in words. */
  description: string;
  plan: Plan;
  /**
   * What the user's data folder must hold, for budgets that read real datasets: arm parameters
   * equal to DATA_DIR (at any depth) are replaced by the folder given with `--data-dir`.
   */
  needs?: string;
  /** What `--weights` must be, for budgets whose runs start from pretrained weights (parameters equal to WEIGHTS). */
  needsWeights?: string;
}

/** Stands for the user's `--data-dir` in a budget's arm parameters (see Budget.needs). */
export const DATA_DIR = '<data-dir>';
/** Stands for the user's `--weights` (pretrained weights, a safetensors file) in a budget's parameters. */
export const WEIGHTS = '<weights>';

/** The plan with every `placeholder` parameter (at any depth) replaced by `value`; `missing` is the error when it is needed and not given. */
function substitute(plan: Plan, placeholder: string, value: string | undefined, missing: () => string): Plan {
  const uses = (v: unknown): boolean => v === placeholder || (!!v && typeof v === 'object' && Object.values(v).some(uses));
  if (!plan.arms.some((a) => uses(a.params)) && !uses(plan.base)) return plan;
  if (!value) throw new SamgpuError(missing());
  const sub = (v: unknown): unknown => {
    if (v === placeholder) return value;
    if (Array.isArray(v)) return v.map(sub);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sub(x)]));
    return v;
  };
  return { ...plan, base: sub(plan.base) as Record<string, unknown>, arms: plan.arms.map((a) => ({ ...a, params: sub(a.params) as Record<string, unknown> })) };
}

/** The plan with every DATA_DIR parameter replaced by `dir` (an error naming what is needed when absent). */
export function withDataDir(plan: Plan, dir: string | undefined, what: string, needs = 'the datasets'): Plan {
  return substitute(plan, DATA_DIR, dir, () => `${what} reads real datasets (nothing is downloaded): give --data-dir DIR, a folder holding ${needs}`);
}

/** The plan with every WEIGHTS parameter replaced by `file` (an error naming what is needed when absent). */
export function withWeights(plan: Plan, file: string | undefined, what: string, needs = 'pretrained weights'): Plan {
  return substitute(plan, WEIGHTS, file, () => `${what} starts from pretrained weights (nothing is downloaded): give --weights FILE, ${needs}`);
}

export interface Question {
  id: string;
  text: string;
}

/** One answered question: the statistic, its 95% interval over seeds, n and the verdict. */
export interface Finding {
  question: string;
  /** The claim tested, in words. */
  claim: string;
  /** What was computed: "SAM − SGD, hard-feature probe error (test split)". */
  statistic: string;
  /** The sign the claim predicts (null: an estimate reported without a claim). */
  direction: Direction | null;
  mean: number;
  lo: number;
  hi: number;
  n: number;
  /** Per-seed values of the statistic, in seed order. */
  values: number[];
  seeds: number[];
  /** null for estimates without a claim. */
  verdict: Verdict | null;
  /** Anything a reader needs to judge it (references, the smallest detectable effect, …). */
  note?: string;
}

/** One selection candidate: an arm's hyper-parameter values and their criterion over the selection seeds. */
export interface Candidate {
  arm: string;
  values: Record<string, unknown>;
  /** Mean selection criterion (lower is better) and the seeds it averages. */
  score: number;
  seeds: number[];
  chosen: boolean;
}

export interface Selection {
  /** What the score is, in words. */
  criterion: string;
  candidates: Candidate[];
  /** arm id → the values chosen. */
  chosen: Record<string, Record<string, unknown>>;
}

export interface StudyContext {
  budget: string;
  plan: Plan;
  /** Reported runs by arm id. */
  runs: Map<string, FinalResult[]>;
  selection: Selection | null;
}

export interface StudyResult {
  findings: Finding[];
  /** HTML sections of the study's page (tables, figures), after the findings table. */
  sections: string[];
  /** Files to write beside the page (SVG figures), name → content. */
  files: Map<string, string>;
  /** Lines printed at the end of `samgpu study` (the table a reader wants first). */
  summary: string[];
}

export interface Study {
  name: string;
  title: string;
  /** One paragraph: what the study asks and how. */
  abstract: string;
  questions: Question[];
  budgets: Record<string, Budget>;
  /** The budget `samgpu study <name>` runs without --budget. */
  defaultBudget: string;
  /** Lower is better: what selection runs are ranked by (default: mean selection-split probe error of both features). */
  selectionScore?: (r: FinalResult) => number;
  analyze(ctx: StudyContext): StudyResult;
}

/** Mean of the easy and hard probe errors on the selection split (the validation examples the probes were not fitted on). */
export const probeSelectionScore = (r: FinalResult): number => ((r.probes.easy.valError ?? NaN) + (r.probes.hard.valError ?? NaN)) / 2;

/** Every combination of an arm's selection values (one empty combination without any). */
export function candidates(arm: Arm): Record<string, unknown>[] {
  let out: Record<string, unknown>[] = [{}];
  for (const [k, vs] of Object.entries(arm.select ?? {})) out = out.flatMap((c) => vs.map((v) => ({ ...c, [k]: v })));
  return out;
}

/** A run-folder-safe id of an arm and candidate values: "sam_rho-0.1_lr-0.05". */
export function candidateId(arm: Arm, values: Record<string, unknown>): string {
  return [arm.id, ...Object.entries(values).map(([k, v]) => `${k.split('.').pop()}-${String(v)}`)].join('_').replace(/[^\w.-]/g, '');
}

/** Rank each arm's candidates by their mean score over the selection seeds; the lowest is chosen. */
export function choose(plan: Plan, runsByCandidate: Map<string, FinalResult[]>, score: (r: FinalResult) => number, criterion: string): Selection {
  const out: Selection = { criterion, candidates: [], chosen: {} };
  for (const arm of plan.arms) {
    if (!arm.select) continue;
    const cands = candidates(arm).map((values) => {
      const runs = runsByCandidate.get(candidateId(arm, values)) ?? [];
      const scores = runs.map(score).filter(Number.isFinite);
      return { arm: arm.id, values, score: scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : NaN, seeds: runs.map((r) => r.config.seed).sort((a, b) => a - b), chosen: false };
    });
    const ok = cands.filter((c) => Number.isFinite(c.score));
    if (!ok.length) continue;
    const best = ok.reduce((b, c) => (c.score < b.score ? c : b));
    best.chosen = true;
    out.chosen[arm.id] = best.values;
    out.candidates.push(...cands);
  }
  return out;
}
