// The optimizer a run trains with: the base optimizer (SGD with momentum and weight decay), SAM
// around it for the SAM-type runs, and the learning-rate schedule over the run's steps.
import type { Module } from '../../engine/nn/module.ts';
import { SGD } from '../../engine/optim/sgd.ts';
import { SAM } from '../../engine/optim/sam.ts';
import { cosineLR, constantLR, type Schedule } from '../../engine/optim/schedules.ts';
import type { RunConfig } from './config.ts';

export interface RunOptimizer {
  base: SGD;
  /** null for plain SGD runs. */
  sam: SAM | null;
  schedule: Schedule;
  /** Free the optimizer's buffers (the flat parameter and gradient buffers included). */
  dispose(): void;
}

export function buildOptimizer(cfg: RunConfig, model: Module, totalSteps: number): RunOptimizer {
  const o = cfg.optimizer;
  const base = new SGD(model.parameters(), { lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay });
  const sam = o.name === 'sgd' ? null : new SAM(model, base, { rho: o.rho, perturb: o.name === 'lsam' ? 'last' : 'all', adaptive: o.name === 'asam' });
  const schedule = cfg.schedule === 'cosine' ? cosineLR(o.lr, totalSteps) : constantLR(o.lr);
  return {
    base,
    sam,
    schedule,
    dispose() {
      sam?.dispose();
      base.dispose();
      base.flat.data.dispose();
      base.flat.grad.dispose();
    },
  };
}
