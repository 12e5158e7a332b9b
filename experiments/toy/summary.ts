// From a run's GPU histories to the JSON record (probes fitted here, batched over checkpoints),
// and from the records of all seeds to the results table.
import { fitLinearProbes } from '../probe/probe.ts';
import { gini, lorenz, meanSd, type Lorenz } from '../metrics.ts';
import type { Method, Structure, ToyConfig } from './config.ts';
import type { RunTrace, ToyData } from './train.ts';

export interface HeadNorms {
  /** ‖v‖ over all units, and over the easy / hard branch's entries (branch structure only). */
  all: number[];
  easy: number[] | null;
  hard: number[] | null;
}

export interface MatchedPoint {
  /** The loss level; the first recorded step with training loss ≤ level. */
  level: number;
  step: number;
  loss: number;
  gini: number;
  giniPhantom: number;
}

export interface RunRecord {
  structure: Structure;
  method: Method;
  seed: number;
  rho: number;
  lr: number;
  /** Recorded steps and, per step, the measurements at the real θ and at the phantom θ̃. */
  steps: number[];
  loss: number[];
  lossPhantom: number[];
  gini: number[];
  giniPhantom: number[];
  head: HeadNorms;
  headPhantom: HeadNorms;
  /** ‖v_hard‖/‖v_easy‖ at θ and θ̃ (branch structure only). */
  ratio: number[] | null;
  ratioPhantom: number[] | null;
  /**
   * Effective learning rate of each branch's extractor: η·‖v_k‖ at θ and η·‖ṽ_k‖ at θ̃; `used`
   * says which one this method's update applies (SGD and phantom-weights: real; the others: phantom).
   */
  effectiveLr: { easy: number[]; hard: number[]; easyPhantom: number[]; hardPhantom: number[]; used: 'real' | 'phantom' } | null;
  /** Lorenz curves of λ and λ̃ at the `lorenzAt` steps and at the matched-loss points. */
  lorenz: { step: number; label: string; real: Lorenz; phantom: Lorenz }[];
  matched: (MatchedPoint | null)[];
  probe: { steps: number[]; easy: number[]; hard: number[]; easyFit: number[]; hardFit: number[]; solver: string; converged: boolean };
  final: {
    step: number; loss: number; trainAccuracy: number; gini: number; giniPhantom: number;
    ratio: number | null; ratioPhantom: number | null; probeEasy: number; probeHard: number;
  };
  wallMs: number;
  probeMs: number;
  dispatches: number;
}

function norm(v: Float32Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

function headNorms(head: Float32Array, rows: number, units: number, easyUnits: number, branch: boolean): HeadNorms {
  const all: number[] = [];
  const easy: number[] = [];
  const hard: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = head.subarray(r * units, (r + 1) * units);
    all.push(norm(row, 0, units));
    easy.push(norm(row, 0, easyUnits));
    hard.push(norm(row, easyUnits, units));
  }
  return branch ? { all, easy, hard } : { all, easy: null, hard: null };
}

const toPm01 = (y: Float32Array) => Array.from(y, (v) => (v > 0 ? 1 : 0));

/** Fit the probes and summarize one run (disposes the trace's feature tensors). */
export async function summarizeRun(cfg: ToyConfig, trace: RunTrace, data: ToyData): Promise<RunRecord> {
  const t0 = performance.now();
  // One call per feature: Newton needs ~2× more iterations for the (separable) easy target, and a
  // batch runs until its slowest probe has converged.
  const fit = async (k: 'yEasy' | 'yHard') => fitLinearProbes(
    { x: trace.probeFitFeatures, labels: [toPm01(data.probeFit[k])] },
    { x: trace.probeTestFeatures, labels: [toPm01(data.probeTest[k])] },
    { l2: cfg.probe.l2 },
  );
  const easy = await fit('yEasy');
  const hard = await fit('yHard');
  trace.probeFitFeatures.dispose();
  trace.probeTestFeatures.dispose();
  const probeMs = performance.now() - t0;

  const n = data.train.n;
  const rows = trace.steps.length;
  const lam = (r: number, phantom: boolean) => (phantom ? trace.lambdaPhantom : trace.lambda).subarray(r * n, (r + 1) * n);
  const gReal = trace.steps.map((_, r) => gini(lam(r, false)));
  const gPhantom = trace.steps.map((_, r) => gini(lam(r, true)));
  const branch = trace.structure === 'branch';
  const head = headNorms(trace.head, rows, trace.units, trace.easyUnits, branch);
  const headT = headNorms(trace.headPhantom, rows, trace.units, trace.easyUnits, branch);
  const ratio = branch ? head.hard!.map((h, r) => h / head.easy![r]) : null;
  const ratioT = branch ? headT.hard!.map((h, r) => h / headT.easy![r]) : null;
  const lr = cfg.train.lr;
  const usesPhantomHead = trace.method !== 'sgd' && trace.method !== 'phantom-weights';

  const loss = Array.from(trace.loss);
  const matched = cfg.train.matchedLoss.map((level): MatchedPoint | null => {
    const r = loss.findIndex((l) => l <= level);
    return r < 0 ? null : { level, step: trace.steps[r], loss: loss[r], gini: gReal[r], giniPhantom: gPhantom[r] };
  });
  const lorenzAt: { step: number; label: string }[] = cfg.train.lorenzAt.map((step) => ({ step, label: `step ${step}` }));
  matched.forEach((m) => m && lorenzAt.push({ step: m.step, label: `loss ≤ ${m.level}` }));
  const lorenzCurves = lorenzAt.flatMap(({ step, label }) => {
    const r = trace.steps.indexOf(step);
    if (r < 0) return [];
    return [{ step, label, real: lorenz(lam(r, false), cfg.train.lorenzPoints), phantom: lorenz(lam(r, true), cfg.train.lorenzPoints) }];
  });

  const last = rows - 1;
  const lamFinal = lam(last, false);
  let correct = 0;
  for (const v of lamFinal) correct += Number(v < 0.5); // λ = σ(−y f) < ½ ⟺ y f > 0
  const probeEasy = easy.testAccuracy.map((r) => r[0]);
  const probeHard = hard.testAccuracy.map((r) => r[0]);
  return {
    structure: trace.structure, method: trace.method, seed: trace.seed, rho: trace.rho, lr,
    steps: trace.steps,
    loss,
    lossPhantom: Array.from(trace.lossPhantom),
    gini: gReal,
    giniPhantom: gPhantom,
    head, headPhantom: headT,
    ratio, ratioPhantom: ratioT,
    effectiveLr: branch ? {
      easy: head.easy!.map((v) => lr * v), hard: head.hard!.map((v) => lr * v),
      easyPhantom: headT.easy!.map((v) => lr * v), hardPhantom: headT.hard!.map((v) => lr * v),
      used: usesPhantomHead ? 'phantom' : 'real',
    } : null,
    lorenz: lorenzCurves,
    matched,
    probe: {
      steps: trace.probeSteps, easy: probeEasy, hard: probeHard,
      easyFit: easy.fitAccuracy.map((r) => r[0]), hardFit: hard.fitAccuracy.map((r) => r[0]),
      solver: easy.solver, converged: easy.converged && hard.converged,
    },
    final: {
      step: trace.steps[last], loss: loss[last], trainAccuracy: correct / n, gini: gReal[last], giniPhantom: gPhantom[last],
      ratio: ratio ? ratio[last] : null, ratioPhantom: ratioT ? ratioT[last] : null,
      probeEasy: probeEasy[probeEasy.length - 1], probeHard: probeHard[probeHard.length - 1],
    },
    wallMs: trace.wallMs,
    probeMs,
    dispatches: trace.dispatches,
  };
}

export interface Stat {
  mean: number;
  sd: number;
}

export interface SummaryRow {
  structure: Structure;
  method: Method;
  rho: number;
  seeds: number;
  probeEasy: Stat;
  probeHard: Stat;
  trainAccuracy: Stat;
  finalLoss: Stat;
  gini: Stat;
  giniPhantom: Stat;
  ratio: Stat | null;
  ratioPhantom: Stat | null;
  /** Gini of λ (real) and λ̃ (phantom) at each matched loss level (over the seeds that reached it). */
  matched: { level: number; reached: number; step: Stat; gini: Stat; giniPhantom: Stat }[];
  /** Hard-probe gain over SGD (same structure, paired by seed), and its share of SAM's gain. */
  hardGainOverSgd: Stat | null;
  shareOfSamGain: number | null;
}

const stat = (v: number[]): Stat => meanSd(v);

/** One row per (structure, method); `levels` are the config's matched-loss levels. */
export function summarize(records: RunRecord[], levels: number[]): SummaryRow[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of records) {
    const key = `${r.structure}/${r.method}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(r);
  }
  const hardBySeed = (structure: Structure, method: Method) =>
    new Map(records.filter((r) => r.structure === structure && r.method === method).map((r) => [r.seed, r.final.probeHard]));
  const rows: SummaryRow[] = [];
  for (const rs of groups.values()) {
    const { structure, method, rho } = rs[0];
    const sgd = hardBySeed(structure, 'sgd');
    const gain = (m: Method) => {
      const mine = hardBySeed(structure, m);
      const g = [...mine].filter(([s]) => sgd.has(s)).map(([s, v]) => v - sgd.get(s)!);
      return g.length ? stat(g) : null;
    };
    const myGain = method === 'sgd' ? null : gain(method);
    const samGain = gain('sam');
    rows.push({
      structure, method, rho, seeds: rs.length,
      probeEasy: stat(rs.map((r) => r.final.probeEasy)),
      probeHard: stat(rs.map((r) => r.final.probeHard)),
      trainAccuracy: stat(rs.map((r) => r.final.trainAccuracy)),
      finalLoss: stat(rs.map((r) => r.final.loss)),
      gini: stat(rs.map((r) => r.final.gini)),
      giniPhantom: stat(rs.map((r) => r.final.giniPhantom)),
      ratio: structure === 'branch' ? stat(rs.map((r) => r.final.ratio!)) : null,
      ratioPhantom: structure === 'branch' ? stat(rs.map((r) => r.final.ratioPhantom!)) : null,
      matched: levels.map((level) => {
        const pts = rs.map((r) => r.matched.find((m) => m?.level === level) ?? null).filter((m): m is MatchedPoint => m !== null);
        return {
          level, reached: pts.length,
          step: stat(pts.map((m) => m.step)), gini: stat(pts.map((m) => m.gini)), giniPhantom: stat(pts.map((m) => m.giniPhantom)),
        };
      }),
      hardGainOverSgd: myGain,
      shareOfSamGain: myGain && samGain && samGain.mean !== 0 ? myGain.mean / samGain.mean : null,
    });
  }
  return rows;
}
