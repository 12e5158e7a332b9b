// `npm run bench -- tune`: the tuner on this adapter. It tunes the bench's shapes (matmul n³, the
// conv layers of bench/convnet.ts, the small-CNN and ResNet-18 training steps) in a fresh store
// (the user's cache is neither read nor written: every class is timed here, and the time
// tuning the small CNN's step takes is a goal), then times the tuned choice against the
// built-in default in the same run, interleaved rep by rep so machine drift falls on both.
// The cases after it in the same command (matmul, convnet, …) use the choices it made.
import { tensor, Rng, type Runtime, type Tensor } from '../engine/index.ts';
import { matmulKernel } from '../engine/ops/matmul.ts';
import { conv2dGeometry, conv2dForwardKernel, conv2dBackwardInputKernel, conv2dBackwardWeightKernel } from '../engine/ops/conv2d.ts';
import { planSites, tuneSites, withTuneStore, type TuneRow } from '../engine/tune/tuner.ts';
import { currentChoices, pinChoices, unpinChoices, tuneState, type KernelChoices } from '../engine/tune/choices.ts';
import { memoryStore } from '../engine/tune/store.ts';
import { timingMethod } from '../engine/tune/timing.ts';
import { LAYERS } from './convnet.ts';
import { samgpuResnetTrainer, samgpuTrainer } from './peers/samgpu.ts';
import { median } from './train-step.ts';
import { otherLoad } from './load.ts';

interface Case {
  name: string;
  /** Records the work once (ops or a training step) for the default or the tuned choices; returns what to free. */
  run: (kind?: 'dflt' | 'tuned') => Tensor;
  dispose: () => void;
  /** rounds of (default, tuned) */
  reps: number;
}

function matmulCase(rt: Runtime, n: number): Case {
  const rng = new Rng(n);
  const a = tensor(rng.uniform(n * n, -1, 1), [n, n], rt);
  const b = tensor(rng.uniform(n * n, -1, 1), [n, n], rt);
  return { name: `matmul ${n}³`, run: () => matmulKernel(a, b), dispose: () => (a.dispose(), b.dispose()), reps: n >= 2048 ? 3 : 7 };
}

/** C = op(A)·op(B) with A [m, k] (or [k, m]) and B [k, n] (or [n, k]). */
function gemmCase(rt: Runtime, name: string, m: number, n: number, k: number, ta: boolean, tb: boolean, reps = 7): Case {
  const rng = new Rng(m + n + k);
  const a = tensor(rng.uniform(m * k, -1, 1), ta ? [k, m] : [m, k], rt);
  const b = tensor(rng.uniform(k * n, -1, 1), tb ? [n, k] : [k, n], rt);
  return { name, run: () => matmulKernel(a, b, ta, tb), dispose: () => (a.dispose(), b.dispose()), reps };
}

/**
 * The skinny GEMMs of the linear probes (logistic regression on 1,000 examples of 3,584
 * small-CNN features, 2 classes: logits, and the gradient Zᵀ·r) and of the small CNN's last
 * layer (forward, weight gradient).
 */
export function skinnyCases(rt: Runtime): Case[] {
  return [
    gemmCase(rt, 'probe logits Z·W (1000×3584 · 3584×2)', 1000, 2, 3584, false, false),
    gemmCase(rt, 'probe gradient Zᵀ·r (3584×1000 · 1000×2)', 3584, 2, 1000, true, false),
    gemmCase(rt, 'last layer x·Wᵀ (128×4096 · 4096×2)', 128, 2, 4096, false, true),
    gemmCase(rt, 'last layer gᵀ·x (2×128 · 128×4096)', 2, 4096, 128, true, false),
  ];
}

function convCases(rt: Runtime): Case[] {
  const out: Case[] = [];
  const rng = new Rng(3);
  for (const l of LAYERS) {
    const g = conv2dGeometry(l.x, l.w, null, l.opts);
    const x = tensor(rng.uniform(l.x.reduce((p, q) => p * q), -1, 1), l.x, rt);
    const w = tensor(rng.uniform(l.w.reduce((p, q) => p * q), -1, 1), l.w, rt);
    const dy = tensor(rng.uniform(g.n * g.cout * g.oh * g.ow, -1, 1), [g.n, g.cout, g.oh, g.ow], rt);
    const free = () => [x, w, dy].forEach((t) => t.dispose());
    out.push(
      { name: `${l.name} forward`, run: () => conv2dForwardKernel(x, w, null, g), dispose: () => {}, reps: 5 },
      { name: `${l.name} input grad`, run: () => conv2dBackwardInputKernel(dy, w, g), dispose: () => {}, reps: 5 },
      { name: `${l.name} weight grad`, run: () => conv2dBackwardWeightKernel(dy, x, g), dispose: free, reps: 5 },
    );
  }
  return out;
}

/** A training step as a case: one trainer per choice set, so each model keeps its own state. */
function stepCase(rt: Runtime, name: string, make: typeof samgpuTrainer, reps: number): Case & { trainers: ReturnType<typeof samgpuTrainer>[] } {
  const trainers = [make(rt, 'sgd'), make(rt, 'sgd')];
  return {
    name,
    trainers,
    run: (kind = 'dflt') => trainers[kind === 'dflt' ? 0 : 1].step(),
    dispose: () => trainers.forEach((t) => t.dispose()),
    reps,
  };
}

/** Wall time of one `run` to its completed sync, ms. */
async function timed(rt: Runtime, run: () => Tensor): Promise<number> {
  const t0 = performance.now();
  const out = run();
  if (out.size === 1) await out.read(); // a training step ends with reading its loss back (as in every peer's step)
  await rt.sync();
  const ms = performance.now() - t0;
  out.dispose();
  return ms;
}

/** Median wall time of the default and of the tuned choices, interleaved. */
async function compare(rt: Runtime, c: Case, tuned: KernelChoices): Promise<{ dflt: number; tuned: number }> {
  const ts = { dflt: [] as number[], tuned: [] as number[] };
  const prev = tuneState(rt).pinned;
  try {
    for (let r = -1; r < c.reps; r++) {
      // the first round warms both (compiles); the order alternates (AB BA …), since whichever
      // runs second in a pair can pay for the first's frees and the pool's reshuffle
      for (const kind of r % 2 === 0 ? (['tuned', 'dflt'] as const) : (['dflt', 'tuned'] as const)) {
        pinChoices(rt, kind === 'dflt' ? {} : tuned);
        const ms = await timed(rt, () => c.run(kind));
        if (r >= 0) ts[kind].push(ms);
      }
    }
  } finally {
    unpinChoices(rt, prev);
  }
  return { dflt: median(ts.dflt), tuned: median(ts.tuned) };
}

/** `npm run bench -- skinny`: only the skinny GEMMs (quick on slow adapters such as SwiftShader). */
export async function caseSkinny(rt: Runtime): Promise<{ text: string; metrics: Record<string, unknown> }> {
  return caseTune(rt, [], true);
}

export async function caseTune(rt: Runtime, sizes: number[], skinnyOnly = false): Promise<{ text: string; metrics: Record<string, unknown> }> {
  const method = timingMethod(rt);
  const lines: string[] = [];
  const rowsOut: Record<string, unknown>[] = [];
  let tunedAll: KernelChoices = {};
  const result = await withTuneStore(rt, memoryStore(), async () => {
    // 1. The small CNN's step, tuned from nothing: the tuning-cost goal.
    const small = skinnyOnly ? null : stepCase(rt, 'small-CNN SGD step (batch 128, 3×64×32)', samgpuTrainer, 7);
    const t0 = performance.now();
    const smallRows = small ? await tuneSites(rt, planSites(rt, () => small.run().dispose()), { log: (l) => console.error(`  tune ${l}`) }) : [];
    const smallSeconds = (performance.now() - t0) / 1000;
    // 2. Everything else the bench runs.
    const cases: Case[] = skinnyOnly
      ? skinnyCases(rt)
      : [...sizes.map((n) => matmulCase(rt, n)), ...skinnyCases(rt), ...convCases(rt), small!, stepCase(rt, 'ResNet-18 SGD step (batch 16, 3×32×32)', samgpuResnetTrainer, 3)];
    const t1 = performance.now();
    const rows = [...smallRows];
    for (const c of cases) rows.push(...(await tuneSites(rt, planSites(rt, () => c.run().dispose()), { log: (l) => console.error(`  tune ${l}`) })));
    const otherSeconds = (performance.now() - t1) / 1000;
    const tuned = currentChoices(rt);
    tunedAll = tuned;
    // 3. Default against tuned, interleaved, in this run.
    lines.push(`Timing: ${method === 'timestamps' ? 'timestamp queries' : 'isolated replays'} for tuning; wall clock to a completed sync for the comparison below (median of the reps, the default and the tuned choices interleaved rep by rep, each going first in every other pair). ms: median.`, '');
    lines.push('| work | default ms | tuned ms | default / tuned | tuned variants (where not the default) | other load (cores) |', '|---|---:|---:|---:|---|---:|');
    const slower: string[] = [];
    for (const c of cases) {
      const [r, other] = await otherLoad(() => compare(rt, c, tuned));
      const changed = variantsUsedDiff(rt, c, tuned, rows);
      const ratio = r.dflt / r.tuned;
      if (ratio < 0.97) slower.push(c.name);
      lines.push(`| ${c.name} | ${r.dflt.toFixed(2)} | ${r.tuned.toFixed(2)} | ${ratio < 0.97 ? `**${ratio.toFixed(2)}×**` : `${ratio.toFixed(2)}×`} | ${changed || '(the defaults)'} | ${other === null ? '?' : other.toFixed(2)} |`);
      rowsOut.push({ name: c.name, defaultMs: r.dflt, tunedMs: r.tuned, variants: changed });
      console.error(`  ${c.name}: default ${r.dflt.toFixed(2)} ms, tuned ${r.tuned.toFixed(2)} ms (${ratio.toFixed(2)}×)`);
    }
    for (const c of cases) c.dispose();
    lines.push('');
    if (small) lines.push(`Tuning the small CNN's step from an empty cache (${smallRows.length} shape classes: self-checks, compiles, timing): ${smallSeconds.toFixed(1)} s (goal ≤ 30 s on lavapipe). The other bench shapes: ${otherSeconds.toFixed(1)} s more.`);
    else lines.push(`Tuning these shapes from an empty cache: ${otherSeconds.toFixed(1)} s.`);
    lines.push(slower.length ? `Tuned slower than the default by more than 3% (noise or a wrong choice): ${slower.join('; ')}.` : 'Tuned is nowhere more than 3% slower than the default (the goal: never slower).');
    lines.push('', 'Every shape class the tuner saw (ms: device time per candidate while tuning, the fastest of its rounds):', '');
    lines.push('| op | instance | chosen | default | chosen ms | default ms | candidates timed | rejected by self-check |', '|---|---|---|---|---:|---:|---:|---|');
    const seen = new Set<string>();
    for (const r of rows) {
      const id = `${r.family}|${r.key}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const f = (v: string) => (r.ms[v] === undefined ? '—' : r.ms[v].toFixed(3));
      lines.push(`| ${r.family} | ${r.instance} | ${r.variant} | ${r.defaultVariant} | ${f(r.variant)} | ${f(r.defaultVariant)} | ${Object.keys(r.ms).length} | ${Object.entries(r.rejected).map(([v, why]) => `${v}: ${why}`).join('; ') || '—'} |`);
    }
    return { text: lines.join('\n'), metrics: { smallCnnTuneSeconds: smallSeconds, rows: rowsOut } };
  });
  // the cases after this one in the same command use these choices (not stored in the cache)
  for (const [k, v] of Object.entries(tunedAll)) tuneState(rt).known.set(k, v);
  if (tuneState(rt).mode === 'off') console.error('  bench tune: SAMGPU_TUNE=off: the cases after this one use the defaults');
  return result;
}

/** The variants that differ from the defaults in one case's work. */
function variantsUsedDiff(rt: Runtime, c: Case, tuned: KernelChoices, rows: TuneRow[]): string {
  const sites = planSites(rt, () => c.run().dispose());
  const out = new Set<string>();
  for (const s of sites) {
    const id = `${s.family}|${s.key}`;
    const row = rows.find((r) => `${r.family}|${r.key}` === id);
    const v = tuned[id];
    if (v && row && v !== row.defaultVariant) out.add(`${s.family} ${v}`);
  }
  return [...out].join(', ');
}
