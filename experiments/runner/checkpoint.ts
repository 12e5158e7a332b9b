// Checkpoints as safetensors bytes: model state (`model.<name>`), the optimizer's per-parameter
// buffers (`optimizer.momentum` for SGD, `optimizer.exp_avg` and `optimizer.exp_avg_sq` for Adam)
// and, in the metadata, the training position and optimizer counters.
import { parseSafetensors, serializeSafetensors } from '../../engine/io/safetensors.ts';
import { SamgpuError } from '../../engine/device/errors.ts';
import type { Checkpoint } from './train.ts';

export function encodeCheckpoint(ck: Checkpoint, config: unknown): Uint8Array {
  const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [k, v] of ck.model) tensors.set(`model.${k}`, v);
  if (ck.optimizer.momentum) tensors.set('optimizer.momentum', { shape: [ck.optimizer.momentum.length], data: ck.optimizer.momentum });
  for (const [k, v] of Object.entries(ck.optimizer.buffers ?? {})) tensors.set(`optimizer.${k}`, { shape: [v.length], data: v });
  return serializeSafetensors(tensors, {
    format: 'samgpu-checkpoint-1',
    position: JSON.stringify(ck.position),
    optimizer: JSON.stringify({ steps: ck.optimizer.steps, lr: ck.optimizer.lr }),
    config: JSON.stringify(config),
  });
}

export function decodeCheckpoint(bytes: Uint8Array, source: string): { checkpoint: Checkpoint; config: unknown } {
  const f = parseSafetensors(bytes, source);
  if (f.metadata.format !== 'samgpu-checkpoint-1') throw new SamgpuError(`checkpoint ${source}: not a samgpu checkpoint (format ${JSON.stringify(f.metadata.format)})`);
  const model = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [k, v] of f.tensors) if (k.startsWith('model.')) model.set(k.slice(6), { shape: v.shape, data: v.data });
  const opt = JSON.parse(f.metadata.optimizer);
  const buffers: Record<string, Float32Array> = {};
  for (const [k, v] of f.tensors) if (k.startsWith('optimizer.') && k !== 'optimizer.momentum') buffers[k.slice(10)] = v.data;
  return {
    checkpoint: {
      position: JSON.parse(f.metadata.position),
      model,
      optimizer: { steps: opt.steps, lr: opt.lr, momentum: f.tensors.get('optimizer.momentum')?.data ?? null, ...(Object.keys(buffers).length ? { buffers } : {}) },
    },
    config: JSON.parse(f.metadata.config),
  };
}
