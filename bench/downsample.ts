// ResNet-18's strided 1×1 downsample convolutions (CIFAR stem, batch 16): forward, input
// gradient and weight gradient through the direct convolution kernels (the path they took
// before) against the op's path (subsample, then the matmul kernels), timed in alternation in
// one process so that other load on the machine falls on both alike.
import { tensor, Rng, backward, sum, mul, type Runtime, type Tensor } from '../engine/index.ts';
import { conv2d, conv2dGeometry, conv2dForwardKernel, conv2dBackwardInputKernel, conv2dBackwardWeightKernel } from '../engine/ops/conv2d.ts';
import { median } from './train-step.ts';
import { otherLoad } from './load.ts';

const LAYERS: { name: string; x: [number, number, number, number]; w: [number, number, number, number] }[] = [
  { name: 'layer2 downsample 64→128 (16×64×32×32)', x: [16, 64, 32, 32], w: [128, 64, 1, 1] },
  { name: 'layer3 downsample 128→256 (16×128×16×16)', x: [16, 128, 16, 16], w: [256, 128, 1, 1] },
  { name: 'layer4 downsample 256→512 (16×256×8×8)', x: [16, 256, 8, 8], w: [512, 256, 1, 1] },
];

const REPS = 7;

export async function caseDownsample(rt: Runtime): Promise<string> {
  const rng = new Rng(5);
  const rows: string[] = [];
  for (const l of LAYERS) {
    const opts = { stride: 2 };
    const g = conv2dGeometry(l.x, l.w, null, opts);
    const x = tensor(rng.uniform(l.x.reduce((a, b) => a * b), -1, 1), l.x, rt);
    const w = tensor(rng.uniform(l.w.reduce((a, b) => a * b), -1, 1), l.w, rt);
    const dy = tensor(rng.uniform(g.n * g.cout * g.oh * g.ow, -1, 1), [g.n, g.cout, g.oh, g.ow], rt);
    const direct = async () => {
      const outs: Tensor[] = [conv2dForwardKernel(x, w, null, g), conv2dBackwardInputKernel(dy, w, g), conv2dBackwardWeightKernel(dy, x, g)];
      await rt.sync();
      outs.forEach((t) => t.dispose());
    };
    const viaOp = async () => {
      x.requiresGrad = w.requiresGrad = true;
      backward(sum(mul(conv2d(x, w, null, opts), dy)));
      await rt.sync();
      x.grad!.dispose();
      w.grad!.dispose();
      x.grad = w.grad = null;
      x.requiresGrad = w.requiresGrad = false;
    };
    await direct();
    await viaOp();
    const a: number[] = [];
    const b: number[] = [];
    const [, other] = await otherLoad(async () => {
      for (let i = 0; i < REPS; i++) {
        let t = performance.now();
        await direct();
        a.push(performance.now() - t);
        t = performance.now();
        await viaOp();
        b.push(performance.now() - t);
      }
    });
    const [ma, mb] = [median(a), median(b)];
    console.error(`  ${l.name}: direct kernels ${ma.toFixed(1)} ms, subsample + matmul ${mb.toFixed(1)} ms`);
    rows.push(`| ${l.name} | ${ma.toFixed(1)} | ${mb.toFixed(1)} | ${(ma / mb).toFixed(2)}× | ${other === null ? '–' : other.toFixed(2)} |`);
    for (const t of [x, w, dy]) t.dispose();
  }
  return [
    '## Strided 1×1 downsample convolutions: direct kernels vs subsample + matmul',
    '',
    `Forward + input gradient + weight gradient, median of ${REPS} alternating repetitions (the op path also sums its output against dy and runs autodiff's bookkeeping, so it is charged slightly more work).`,
    '',
    '| layer | direct kernels (ms) | subsample + matmul (ms) | speed-up | other load (cores) |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
