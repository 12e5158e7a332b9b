// `npm run bench -- steps`: ResNet-18 and ResNet-50 training steps (CIFAR stem, batch 16 of
// 3×32×32, SGD momentum 0.9 and SAM ρ 0.05), for bench/gpu.sh's comparison with PyTorch CUDA
// from identical weights. ResNet-18 is bench/peers/resnet.ts's (weights from hashes that
// torch_cpu.py reproduces); ResNet-50's weights and batch are written to BENCH_STEPS_DIR
// (resnet50.safetensors) for bench/torch_cuda.py to load, as is resnet18.json. A step ends with
// reading its loss back; median of the timed steps.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, serializeSafetensors, type Runtime } from '../engine/index.ts';
import { resnet50 } from '../engine/models/index.ts';
import { hashUniform, LR, MOMENTUM, RHO } from './peers/common.ts';
import { RESNET, resnetJson } from './peers/resnet.ts';
import { samgpuResnetTrainer, trainerOf } from './peers/samgpu.ts';
import { median } from './train-step.ts';

const N = RESNET.n;
/** BENCH_STEPS_REPS=1: one warm-up and one timed step each (a quick check of the plumbing). */
const QUICK = process.env.BENCH_STEPS_REPS === '1';
const SHAPE = RESNET.inShape;
const CLASSES = RESNET.classes;

function resnet50Trainer(rt: Runtime, opt: 'sgd' | 'sam') {
  const model = resnet50({ classes: CLASSES, inChannels: SHAPE[0], stem: 'cifar', rng: new Rng(50) });
  const x = hashUniform(N * SHAPE[0] * SHAPE[1] * SHAPE[2], 7);
  const labels = Float32Array.from({ length: N }, (_, i) => i % CLASSES);
  return { trainer: trainerOf(rt, model, x, [N, ...SHAPE], labels, opt), x, labels, model };
}

async function timeSteps(step: () => { read(): Promise<Float32Array>; dispose(): void }, warmup: number, reps: number): Promise<{ ms: number; losses: number[] }> {
  const losses: number[] = [];
  const ts: number[] = [];
  for (let i = 0; i < warmup + reps; i++) {
    const t0 = performance.now();
    const l = step();
    losses.push((await l.read())[0]);
    l.dispose();
    if (i >= warmup) ts.push(performance.now() - t0);
  }
  return { ms: median(ts), losses };
}

export async function caseSteps(rt: Runtime): Promise<{ text: string; metrics: Record<string, unknown> }> {
  const dir = process.env.BENCH_STEPS_DIR ?? null;
  if (dir) mkdirSync(dir, { recursive: true });
  const metrics: Record<string, Record<string, unknown>> = { resnet18: {}, resnet50: {} };
  const lines = ['| model | optimizer | ms / step | losses (first → last) |', '|---|---|---:|---|'];
  for (const opt of ['sgd', 'sam'] as const) {
    const t = samgpuResnetTrainer(rt, opt);
    try {
      const r = await timeSteps(t.step, QUICK ? 1 : 2, QUICK ? 1 : 5);
      metrics.resnet18[opt] = r;
      lines.push(`| ResNet-18 | ${opt} | ${r.ms.toFixed(1)} | ${r.losses[0].toFixed(5)} → ${r.losses.at(-1)!.toFixed(5)} |`);
    } finally {
      t.dispose();
    }
  }
  for (const opt of ['sgd', 'sam'] as const) {
    const { trainer, x, labels, model } = resnet50Trainer(rt, opt);
    try {
      if (dir && opt === 'sgd') {
        // the initial weights and the batch, for PyTorch (BN running stats as initialized)
        const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
        for (const [k, v] of model.stateDict()) tensors.set(k, { shape: [...v.shape], data: await v.read() });
        tensors.set('__x', { shape: [N, ...SHAPE], data: x });
        tensors.set('__labels', { shape: [N], data: labels });
        writeFileSync(join(dir, 'resnet50.safetensors'), serializeSafetensors(tensors, { classes: String(CLASSES) }));
      }
      const r = await timeSteps(trainer.step, 1, QUICK ? 1 : 3);
      metrics.resnet50[opt] = r;
      lines.push(`| ResNet-50 | ${opt} | ${r.ms.toFixed(1)} | ${r.losses[0].toFixed(5)} → ${r.losses.at(-1)!.toFixed(5)} |`);
    } finally {
      trainer.dispose();
    }
  }
  if (dir) writeFileSync(join(dir, 'resnet18.json'), JSON.stringify({ ...resnetJson(), lr: LR, momentum: MOMENTUM, rho: RHO }));
  const text = [
    `ResNet-18 (bench/peers/resnet.ts's weights) and ResNet-50 (CIFAR stem, seeded init) training steps, batch ${N} of ${SHAPE.join('×')}, ${CLASSES} classes, SGD lr ${LR} momentum ${MOMENTUM}, SAM ρ ${RHO}; each step ends with reading its loss; ${QUICK ? 'one timed step after one warm-up step (BENCH_STEPS_REPS=1)' : 'median of 5 (ResNet-50: 3) after 2 (1) warm-up steps'}.${dir ? ` Weights and workload written to ${dir} for bench/torch_cuda.py.` : ''}`,
    '',
    ...lines,
  ].join('\n');
  return { text, metrics };
}
