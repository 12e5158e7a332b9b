// A module's state dict to and from safetensors bytes (torchvision names, float32).
import type { Module } from '../nn/module.ts';
import { parseSafetensors, serializeSafetensors } from './safetensors.ts';

export async function saveStateDict(model: Module, metadata: Record<string, string> = {}): Promise<Uint8Array> {
  const entries = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [name, t] of model.stateDict()) entries.set(name, { shape: t.shape, data: await t.read() });
  return serializeSafetensors(entries, metadata);
}

/** Load weights (e.g. exported from torchvision) into `model`; errors name the key. */
export function loadStateDict(model: Module, bytes: Uint8Array, opts: { strict?: boolean; source?: string } = {}): Record<string, string> {
  const file = parseSafetensors(bytes, opts.source);
  model.loadStateDict(file.tensors, opts.strict ?? true);
  return file.metadata;
}
