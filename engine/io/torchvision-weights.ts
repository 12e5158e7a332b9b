// Pretrained torchvision weights (a state dict converted to safetensors by
// scripts/convert-torchvision.py) into a model with torchvision's names. Unlike a strict
// loadStateDict, the classifier can be left out ('reset': the task has its own head), and every
// mismatch is reported at once: missing keys, unexpected keys, shapes.
import { options, show } from '../args.ts';
import { SamgpuError, fmtShape } from '../device/errors.ts';
import type { Module } from '../nn/module.ts';
import { parseSafetensors, type SafetensorsFile } from './safetensors.ts';

export interface PretrainedOptions {
  /** 'reset' (default): keep the model's own classifier (`head` keys of the file are skipped);
   * 'keep': load the file's classifier too (it must have the model's number of classes). */
  head?: 'reset' | 'keep';
  /** Prefix of the classifier's keys (torchvision's ResNets: 'fc.'). */
  headPrefix?: string;
  /** The file, for messages. */
  source?: string;
}

export interface PretrainedReport {
  /** Keys loaded into the model. */
  loaded: string[];
  /** Keys of the file not loaded: the classifier under 'reset', and num_batches_tracked counters. */
  skipped: string[];
  metadata: Record<string, string>;
}

const list = (keys: string[], max = 8) => keys.slice(0, max).join(', ') + (keys.length > max ? `, … (${keys.length} in all)` : '');

/** Load pretrained weights (safetensors bytes or a parsed file) into `model`; throws naming every mismatch. */
export function loadPretrained(model: Module, file: Uint8Array | SafetensorsFile, opts: PretrainedOptions = {}): PretrainedReport {
  options('loadPretrained', opts, ['head', 'headPrefix', 'source']);
  if (!model || typeof (model as { stateDict?: unknown }).stateDict !== 'function') throw new SamgpuError(`loadPretrained: the first argument is the model (a Module), got ${show(model)}`);
  if (!(file instanceof Uint8Array) && !(file && typeof file === 'object' && 'tensors' in file)) {
    throw new SamgpuError(`loadPretrained: the second argument is the safetensors file (bytes or a parsed file), got ${show(file)}`);
  }
  if (opts.head !== undefined && opts.head !== 'reset' && opts.head !== 'keep') throw new SamgpuError(`loadPretrained: head must be 'reset' or 'keep', got ${show(opts.head)}`);
  const source = opts.source ?? 'weights';
  const f = file instanceof Uint8Array ? parseSafetensors(file, source) : file;
  const head = opts.head ?? 'reset';
  const prefix = opts.headPrefix ?? 'fc.';
  const own = model.stateDict();
  const isHead = (k: string) => k.startsWith(prefix);
  const skipped: string[] = [];
  const state = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [k, t] of f.tensors) {
    if (k.endsWith('num_batches_tracked') || (head === 'reset' && isHead(k))) skipped.push(k);
    else state.set(k, t);
  }
  const missing = [...own.keys()].filter((k) => !state.has(k) && !(head === 'reset' && isHead(k)));
  const unexpected = [...state.keys()].filter((k) => !own.has(k));
  const shapes = [...state].filter(([k, t]) => own.has(k) && fmtShape(own.get(k)!.shape) !== fmtShape(t.shape))
    .map(([k, t]) => `${k}: file ${fmtShape(t.shape)}, model ${fmtShape(own.get(k)!.shape)}`);
  const problems: string[] = [];
  if (missing.length) problems.push(`missing keys (the model has them, the file does not): ${list(missing)}`);
  if (unexpected.length) problems.push(`unexpected keys (the file has them, the model does not): ${list(unexpected)}`);
  if (shapes.length) problems.push(`shape mismatches: ${list(shapes, 5)}`);
  if (problems.length) {
    const headHint = head === 'keep' && shapes.some((s) => s.startsWith(prefix)) ? ` The file's classifier (${prefix}*) has another number of classes: use head 'reset' to train a new one.` : '';
    const nameHint = missing.length && unexpected.length && unexpected.every((k) => k.startsWith('module.') || k.startsWith('model.'))
      ? ' The file\'s keys carry a prefix (module./model.): convert it again with scripts/convert-torchvision.py, which strips it.' : '';
    const stemHint = shapes.some((s) => s.startsWith('conv1.weight:')) ? " The first convolution differs: torchvision's ImageNet ResNets have the 7×7 stride-2 stem (model stem 'imagenet')." : '';
    throw new SamgpuError(`pretrained weights ${source}: ${problems.join('; ')}.${headHint}${nameHint}${stemHint}`);
  }
  model.loadStateDict(state, false);
  return { loaded: [...state.keys()], skipped, metadata: f.metadata };
}
