// A module's state dict to and from safetensors bytes (torchvision names, float32).
import { Module } from '../nn/module.ts';
import { parseSafetensors, serializeSafetensors } from './safetensors.ts';
import { SamgpuError } from '../device/errors.ts';
import { bool, isPlainObject, options, show } from '../args.ts';

export async function saveStateDict(model: Module, metadata: Record<string, string> = {}): Promise<Uint8Array> {
  if (!(model instanceof Module)) throw new SamgpuError(`saveStateDict: expected a Module, got ${show(model)}`);
  if (!isPlainObject(metadata) || Object.values(metadata).some((v) => typeof v !== 'string')) {
    throw new SamgpuError(`saveStateDict: metadata must be an object of strings (safetensors' __metadata__), got ${show(metadata)}`);
  }
  const entries = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [name, t] of model.stateDict()) entries.set(name, { shape: t.shape, data: await t.read() });
  return serializeSafetensors(entries, metadata);
}

/** Load weights (e.g. exported from torchvision) into `model`; errors name the key. */
export function loadStateDict(model: Module, bytes: Uint8Array | ArrayBuffer, opts?: { strict?: boolean; source?: string }): Record<string, string> {
  const o = options('loadStateDict', opts, ['strict', 'source']);
  if (!(model instanceof Module)) throw new SamgpuError(`loadStateDict: expected a Module first (loadStateDict(model, bytes)), got ${show(model)}`);
  if (!(bytes instanceof Uint8Array) && !(bytes instanceof ArrayBuffer)) {
    throw new SamgpuError(`loadStateDict: expected the bytes of a safetensors file (Uint8Array or ArrayBuffer), got ${show(bytes)}; to load a Map or object of tensors use model.loadStateDict(state)`);
  }
  const file = parseSafetensors(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes, o.source as string | undefined);
  model.loadStateDict(file.tensors, bool('loadStateDict', 'strict', o.strict, true));
  return file.metadata;
}
