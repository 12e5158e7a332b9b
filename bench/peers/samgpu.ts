// samgpu's column of `npm run bench -- peers`: the workload of common.ts on our engine, timed
// with the same protocol as the peers (a training step ends with reading its loss back).
import { backward, scope, tensor, type Runtime, type Tensor } from '../../engine/index.ts';
import { SmallCNN, resnet18 } from '../../engine/models/index.ts';
import type { Module } from '../../engine/nn/module.ts';
import { SGD, SAM } from '../../engine/optim/index.ts';
import { crossEntropy } from '../../engine/ops/loss.ts';
import { matmulKernel, matmulConfig } from '../../engine/ops/matmul.ts';
import { conv2dGeometry, conv2dForwardKernel, conv2dBackwardInputKernel, conv2dBackwardWeightKernel } from '../../engine/ops/conv2d.ts';
import {
  CLASSES, CONV_LAYERS, IN_SHAPE, LR, MATMUL_SEEDS, MATMUL_SIZES, MOMENTUM, N, RHO, convSeeds, emptyReport, hashUniform,
  paperInputs, paperParams, rowKey, sizeOf, sumSquares, timeOp, timeTrainSteps, type PeerReport,
} from './common.ts';
import { RESNET, resnetInputs, resnetParams } from './resnet.ts';

/** SGD (momentum) or SAM over `model` on the batch (x, labels). */
export function trainerOf(rt: Runtime, model: Module, xs: Float32Array, xShape: number[], labels: Float32Array, opt: 'sgd' | 'sam') {
  const x = tensor(xs, xShape, rt);
  const y = tensor(labels, [labels.length], rt);
  const sgd = new SGD(model.parameters(), { lr: LR, momentum: MOMENTUM });
  const sam = opt === 'sam' ? new SAM(model, sgd, { rho: RHO }) : null;
  const closure = () => {
    const l = crossEntropy(model.forward(x), y);
    backward(l);
    return l;
  };
  /** Records one step; returns its loss (at θ), not yet read. */
  const step = (): Tensor => {
    if (sam) return sam.step(closure);
    sgd.zeroGrad();
    const l = scope(closure);
    sgd.step();
    return l;
  };
  const dispose = () => {
    sam?.dispose();
    sgd.dispose();
    model.dispose();
    x.dispose();
    y.dispose();
  };
  return { model, step, dispose };
}

/** The paper's small CNN with common.ts's weights, SGD (momentum) or SAM over it, and the batch. */
export function samgpuTrainer(rt: Runtime, opt: 'sgd' | 'sam') {
  const { x, labels } = paperInputs();
  const model = new SmallCNN({ inChannels: IN_SHAPE[0], height: IN_SHAPE[1], width: IN_SHAPE[2], classes: CLASSES });
  model.loadStateDict(paperParams());
  return trainerOf(rt, model, x, [N, ...IN_SHAPE], labels, opt);
}

/** resnet.ts's ResNet-18 (BN running statistics left at their defaults: not part of the step's result). */
export function samgpuResnetTrainer(rt: Runtime, opt: 'sgd' | 'sam') {
  const { x, labels } = resnetInputs();
  const model = resnet18({ classes: RESNET.classes, inChannels: RESNET.inShape[0], stem: 'cifar' });
  model.loadStateDict(resnetParams(), false);
  return trainerOf(rt, model, x, [RESNET.n, ...RESNET.inShape], labels, opt);
}

export async function benchSamgpu(rt: Runtime, adapter: string): Promise<PeerReport> {
  const report = emptyReport('samgpu', 'this checkout', adapter);
  report.notes.push(`runtime submits every ${rt.maxDispatchesPerBatch} dispatches (the bench's setting); matmul config ${JSON.stringify(matmulConfig(rt))}`);

  // The two training workloads: the small CNN (losses stored as 'sgd'/'sam') and ResNet-18.
  const workloads = [
    { key: rowKey.step, lossKey: (o: string) => o, make: samgpuTrainer, warmup: undefined, reps: undefined },
    { key: rowKey.resnet, lossKey: rowKey.resnet, make: samgpuResnetTrainer, warmup: RESNET.warmup, reps: RESNET.reps },
  ];
  for (const w of workloads) {
    for (const opt of ['sgd', 'sam'] as const) {
      const t = w.make(rt, opt);
      const r = await timeTrainSteps(async () => {
        const l = t.step();
        const v = await l.item(); // flushes the step and waits for it (the SGD update included)
        l.dispose();
        return v;
      }, w.warmup, w.reps);
      report.timings[w.key(opt)] = r.timing;
      report.losses[w.lossKey(opt)] = r.losses;
      t.dispose();
    }
  }

  const cfg = matmulConfig(rt);
  for (const n of MATMUL_SIZES) {
    const a = tensor(hashUniform(n * n, MATMUL_SEEDS[0]), [n, n], rt);
    const b = tensor(hashUniform(n * n, MATMUL_SEEDS[1]), [n, n], rt);
    const c = matmulKernel(a, b, false, false, cfg);
    report.checks[rowKey.matmul(n)] = sumSquares(await c.read());
    c.dispose();
    report.timings[rowKey.matmul(n)] = await timeOp(async () => {
      const c = matmulKernel(a, b, false, false, cfg);
      await rt.sync();
      c.dispose();
    });
    a.dispose();
    b.dispose();
  }

  for (const [i, l] of CONV_LAYERS.entries()) {
    const g = conv2dGeometry(l.x, l.w, null, l.opts);
    const [sx, sw, sdy] = convSeeds(i);
    const x = tensor(hashUniform(sizeOf(l.x), sx), l.x, rt);
    const w = tensor(hashUniform(sizeOf(l.w), sw), l.w, rt);
    const yShape = [g.n, g.cout, g.oh, g.ow];
    const dy = tensor(hashUniform(sizeOf(yShape), sdy), yShape, rt);
    const ops = {
      fwd: () => conv2dForwardKernel(x, w, null, g),
      dx: () => conv2dBackwardInputKernel(dy, w, g),
      dw: () => conv2dBackwardWeightKernel(dy, x, g),
    };
    for (const [which, op] of Object.entries(ops) as [keyof typeof ops, () => Tensor][]) {
      const out = op();
      report.checks[rowKey.conv(i, which)] = sumSquares(await out.read());
      out.dispose();
      report.timings[rowKey.conv(i, which)] = await timeOp(async () => {
        const out = op();
        await rt.sync();
        out.dispose();
      });
    }
    for (const t of [x, w, dy]) t.dispose();
  }
  return report;
}
