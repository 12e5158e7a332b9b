// The optimizer a run trains with: the base update rule (SGD with momentum and weight decay, Adam,
// AdamW), SAM around it for the SAM-type methods, and the learning-rate schedule over the run's
// steps (an optional linear warm-up, then constant, cosine or step decay).
import type { Module } from '../../engine/nn/module.ts';
import { SGD, type Optimizer, type OptimizerState } from '../../engine/optim/sgd.ts';
import { Adam, AdamW } from '../../engine/optim/adam.ts';
import { SAM } from '../../engine/optim/sam.ts';
import { cosineLR, constantLR, linearWarmup, stepLR, type Schedule } from '../../engine/optim/schedules.ts';
import type { RunConfig } from './config.ts';

export interface RunOptimizer {
  base: Optimizer & { saveState(): Promise<OptimizerState>; loadState(s: OptimizerState): void; dispose(): void };
  /** null when the method is the base optimizer alone ('sgd'). */
  sam: SAM | null;
  schedule: Schedule;
  /** Free the optimizer's buffers (the flat parameter and gradient buffers included). */
  dispose(): void;
}

export function buildOptimizer(cfg: RunConfig, model: Module, totalSteps: number, stepsPerEpoch: number): RunOptimizer {
  const o = cfg.optimizer;
  const params = model.parameters();
  const adam = { lr: o.lr, betas: o.betas, eps: o.eps, weightDecay: o.weightDecay };
  const base = o.base === 'adam' ? new Adam(params, adam)
    : o.base === 'adamw' ? new AdamW(params, adam)
      : new SGD(params, { lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay });
  const sam = o.name === 'sgd' ? null : new SAM(model, base, { rho: o.rho, perturb: o.name === 'lsam' ? 'last' : 'all', adaptive: o.name === 'asam' });
  return {
    base,
    sam,
    schedule: buildSchedule(cfg, totalSteps, stepsPerEpoch),
    dispose() {
      sam?.dispose();
      base.dispose();
      base.flat.data.dispose();
      base.flat.grad.dispose();
    },
  };
}

/** The learning rate at each step. Epoch-valued settings become steps (stepsPerEpoch per epoch). */
export function buildSchedule(cfg: RunConfig, totalSteps: number, stepsPerEpoch: number): Schedule {
  const lr = cfg.optimizer.lr;
  const s = typeof cfg.schedule === 'string' ? { name: cfg.schedule } : cfg.schedule;
  const warmup = Math.round((s.warmupEpochs ?? 0) * stepsPerEpoch);
  const after = Math.max(1, totalSteps - warmup);
  const main = s.name === 'cosine' ? cosineLR(lr, after, s.minLr ?? 0)
    : s.name === 'step' ? stepLR(lr, Math.max(1, Math.round(s.stepEpochs! * stepsPerEpoch)), s.gamma ?? 0.1)
      : constantLR(lr);
  return warmup > 0 ? linearWarmup(main, warmup, s.warmupStartFactor ?? 1 / 3) : main;
}
