// conv2d throughput (forward, input gradient, weight gradient) on the paper-CNN layers and the
// ResNet-18 3×3 layers of each stage (CIFAR input, batch 32), and the small-CNN training step with SGD.
import { tensor, Rng, type Runtime, type Tensor } from '../engine/index.ts';
import { conv2dGeometry, conv2dForwardKernel, conv2dBackwardInputKernel, conv2dBackwardWeightKernel, type Conv2dOptions } from '../engine/ops/conv2d.ts';
import { median } from './train-step.ts';
import { otherLoad } from './load.ts';

export interface ConvLayer {
  name: string;
  x: [number, number, number, number];
  w: [number, number, number, number];
  opts: Conv2dOptions;
}

export const LAYERS: ConvLayer[] = [
  { name: 'paper conv1 3→32 k5 s2 (128×3×64×32)', x: [128, 3, 64, 32], w: [32, 3, 5, 5], opts: { stride: 2, padding: 2 } },
  { name: 'paper conv2 32→64 k3 s2 (128×32×32×16)', x: [128, 32, 32, 16], w: [64, 32, 3, 3], opts: { stride: 2, padding: 1 } },
  { name: 'paper conv3 64→128 k3 s2 (128×64×16×8)', x: [128, 64, 16, 8], w: [128, 64, 3, 3], opts: { stride: 2, padding: 1 } },
  { name: 'ResNet-18 layer1 64→64 k3 s1 (32×64×32×32)', x: [32, 64, 32, 32], w: [64, 64, 3, 3], opts: { stride: 1, padding: 1 } },
  { name: 'ResNet-18 layer2 128→128 k3 s1 (32×128×16×16)', x: [32, 128, 16, 16], w: [128, 128, 3, 3], opts: { stride: 1, padding: 1 } },
  { name: 'ResNet-18 layer3 256→256 k3 s1 (32×256×8×8)', x: [32, 256, 8, 8], w: [256, 256, 3, 3], opts: { stride: 1, padding: 1 } },
  { name: 'ResNet-18 layer4 512→512 k3 s1 (32×512×4×4)', x: [32, 512, 4, 4], w: [512, 512, 3, 3], opts: { stride: 1, padding: 1 } },
  ...(process.env.BENCH_RESNET50 === '1' ? resnet50Layers() : []),
];

/** BENCH_RESNET50=1 (bench/gpu.sh): each ResNet-50 stage's bottleneck convs (1×1 reduce, 3×3, 1×1 expand; CIFAR stem, batch 32) and its strided 1×1 downsample. */
function resnet50Layers(): ConvLayer[] {
  const out: ConvLayer[] = [];
  [[64, 32], [128, 16], [256, 8], [512, 4]].forEach(([planes, hw], i) => {
    const inC = planes * 4;
    out.push(
      { name: `ResNet-50 layer${i + 1} 1×1 ${inC}→${planes} (32×${inC}×${hw}×${hw})`, x: [32, inC, hw, hw], w: [planes, inC, 1, 1], opts: {} },
      { name: `ResNet-50 layer${i + 1} 3×3 ${planes}→${planes} (32×${planes}×${hw}×${hw})`, x: [32, planes, hw, hw], w: [planes, planes, 3, 3], opts: { padding: 1 } },
      { name: `ResNet-50 layer${i + 1} 1×1 ${planes}→${inC} (32×${planes}×${hw}×${hw})`, x: [32, planes, hw, hw], w: [inC, planes, 1, 1], opts: {} },
    );
    if (i > 0) out.push({ name: `ResNet-50 layer${i + 1} downsample 1×1 s2 ${planes * 2}→${inC} (32×${planes * 2}×${hw * 2}×${hw * 2})`, x: [32, planes * 2, hw * 2, hw * 2], w: [inC, planes * 2, 1, 1], opts: { stride: 2 } });
  });
  return out;
}

export interface ConvRow {
  name: string;
  gflop: number;
  fwd: number;
  dInput: number;
  dWeight: number;
  /** CPU time other processes used while the layer was timed, in cores (null: unknown) */
  other: number | null;
}

async function timeIt(rt: Runtime, fn: () => Tensor, reps = 5): Promise<number> {
  fn().dispose();
  await rt.sync();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    const out = fn();
    await rt.sync();
    ts.push(performance.now() - t);
    out.dispose();
  }
  return median(ts);
}

export async function benchConvLayers(rt: Runtime): Promise<ConvRow[]> {
  const rows: ConvRow[] = [];
  const rng = new Rng(3);
  for (const l of LAYERS) {
    const g = conv2dGeometry(l.x, l.w, null, l.opts);
    const x = tensor(rng.uniform(l.x.reduce((a, b) => a * b), -1, 1), l.x, rt);
    const w = tensor(rng.uniform(l.w.reduce((a, b) => a * b), -1, 1), l.w, rt);
    const y = conv2dForwardKernel(x, w, null, g);
    const dy = tensor(rng.uniform(y.size, -1, 1), y.shape, rt);
    y.dispose();
    // multiply-adds of the forward; each backward GEMM does the same count
    const flop = 2 * dy.size * l.w[1] * l.w[2] * l.w[3] / 1e9;
    const [[fwd, dInput, dWeight], other] = await otherLoad(async () => [
      await timeIt(rt, () => conv2dForwardKernel(x, w, null, g)),
      await timeIt(rt, () => conv2dBackwardInputKernel(dy, w, g)),
      await timeIt(rt, () => conv2dBackwardWeightKernel(dy, x, g)),
    ]);
    rows.push({ name: l.name, gflop: flop, fwd, dInput, dWeight, other });
    for (const t of [x, w, dy]) t.dispose();
  }
  return rows;
}

/** The goal for every conv GEMM: at most this many times slower than matmul 1024³ in the same run. */
export const CONV_GOAL = 1.5;

const rate = (gflop: number, ms: number) => gflop / ms * 1e3;

/**
 * Rates and times per layer, then each GEMM's slowdown against matmul 1024³ (matmul's GFLOP/s
 * over the GEMM's) and its rate as a fraction of numpy's float32 matmul; both measured in the
 * same run. Cells above CONV_GOAL are bold and their row is marked ✗.
 */
export function convTables(rows: ConvRow[], matmulGflops?: number, numpyGflops?: number): string[] {
  const f1 = (x: number) => x.toFixed(1);
  const lines = [
    '| layer | GFLOP | forward GFLOP/s | input-grad GFLOP/s | weight-grad GFLOP/s | forward ms | input-grad ms | weight-grad ms | other load (cores) |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(`| ${r.name} | ${r.gflop.toFixed(2)} | ${f1(rate(r.gflop, r.fwd))} | ${f1(rate(r.gflop, r.dInput))} | ${f1(rate(r.gflop, r.dWeight))} | ${r.fwd.toFixed(1)} | ${r.dInput.toFixed(1)} | ${r.dWeight.toFixed(1)} | ${r.other === null ? '?' : r.other.toFixed(2)} |`);
  }
  lines.push('', '"other load": CPU time other processes used while the layer was timed (above ~0.2 cores the row is slowed by contention).');
  lines.push('', `× slower than matmul 1024³ (goal ≤ ${CONV_GOAL}) and % of numpy's float32 matmul 1024³:`, '');
  lines.push('| layer | forward × | input-grad × | weight-grad × | forward % numpy | input-grad % numpy | weight-grad % numpy | goal |');
  lines.push('|---|---|---|---|---|---|---|---|');
  const gemms = ['forward', 'input grad', 'weight grad'];
  for (const r of rows) {
    const rates = [r.fwd, r.dInput, r.dWeight].map((ms) => rate(r.gflop, ms));
    const slow = rates.map((g) => (matmulGflops ? matmulGflops / g : undefined));
    const over = gemms.filter((_, i) => (slow[i] ?? 0) > CONV_GOAL);
    const cells = slow.map((s) => (s === undefined ? '—' : s > CONV_GOAL ? `**${s.toFixed(2)}×**` : `${s.toFixed(2)}×`));
    const pct = rates.map((g) => (numpyGflops ? `${((100 * g) / numpyGflops).toFixed(0)}%` : '—'));
    const goal = matmulGflops === undefined ? '—' : over.length ? `✗ ${over.join(', ')}` : '✓';
    lines.push(`| ${r.name} | ${cells.join(' | ')} | ${pct.join(' | ')} | ${goal} |`);
  }
  return lines;
}
