// Checkpoints as safetensors bytes: model state (`model.<name>`), the optimizer's per-parameter
// buffers (`optimizer.momentum` for SGD, `optimizer.exp_avg` and `optimizer.exp_avg_sq` for Adam)
// and, in the metadata, the training position, the optimizer's counters and SAM's options, the
// kernel variants the run pinned, and the run's config. Decoding checks every field and refuses
// non-finite values: a damaged or diverged checkpoint is an error naming the file and the field,
// never a run resumed from NaN weights. Pure (no Node APIs).
import { parseSafetensors, serializeSafetensors } from '../../engine/io/safetensors.ts';
import { SamgpuError } from '../../engine/device/errors.ts';
import type { Checkpoint, SamState, TrainPosition } from './types.ts';

export function encodeCheckpoint(ck: Checkpoint, config: unknown): Uint8Array {
  const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [k, v] of ck.model) tensors.set(`model.${k}`, v);
  if (ck.optimizer.momentum) tensors.set('optimizer.momentum', { shape: [ck.optimizer.momentum.length], data: ck.optimizer.momentum });
  for (const [k, v] of Object.entries(ck.optimizer.buffers ?? {})) tensors.set(`optimizer.${k}`, { shape: [v.length], data: v });
  if (ck.method?.groupDroQ) tensors.set('method.groupDroQ', { shape: [ck.method.groupDroQ.length], data: ck.method.groupDroQ });
  return serializeSafetensors(tensors, {
    format: 'samgpu-checkpoint-1',
    position: JSON.stringify(ck.position),
    optimizer: JSON.stringify({ steps: ck.optimizer.steps, lr: ck.optimizer.lr, ...(ck.sam ? { sam: ck.sam } : {}) }),
    config: JSON.stringify(config),
    kernels: JSON.stringify(ck.kernels ?? {}),
  });
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** The first non-finite value of a tensor, or null. */
function firstNonFinite(data: Float32Array): { index: number; value: number } | null {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return { index: i, value: data[i] };
  return null;
}

function checkPosition(p: unknown, bad: (field: string, msg: string) => never): TrainPosition {
  if (!isObj(p)) bad('position', `expected an object, got ${JSON.stringify(p)}`);
  for (const k of ['epoch', 'batch', 'step'] as const) if (!isCount(p[k])) bad(`position.${k}`, `expected an integer >= 0, got ${JSON.stringify(p[k])}`);
  if (!Array.isArray(p.metrics) || !p.metrics.every(isObj)) bad('position.metrics', 'expected a list of per-epoch records');
  if ((p.metrics as Json[]).length !== p.epoch) bad('position.metrics', `holds ${(p.metrics as Json[]).length} epochs, position.epoch says ${p.epoch} are done`);
  if (!Array.isArray(p.dropoutCalls) || !p.dropoutCalls.every(isCount)) bad('position.dropoutCalls', 'expected a list of integers >= 0');
  if (p.partial !== undefined) {
    const q = p.partial;
    const finiteList = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
    if (!isObj(q) || !finiteList(q.losses) || !finiteList(q.accs)) bad('position.partial', 'expected {losses, accs}: lists of finite numbers');
    if ((q.losses as number[]).length !== p.batch || (q.accs as number[]).length !== p.batch) bad('position.partial', `holds ${(q.losses as number[]).length} losses for ${p.batch} batches done`);
  } else if (p.batch !== 0) bad('position.partial', `missing for a stop after batch ${p.batch}`);
  return p as unknown as TrainPosition;
}

function checkSam(s: unknown, bad: (field: string, msg: string) => never): SamState | undefined {
  if (s === undefined) return undefined;
  if (!isObj(s)) bad('optimizer.sam', `expected an object, got ${JSON.stringify(s)}`);
  for (const k of ['eps', 'eta', 'l2'] as const) if (typeof s[k] !== 'number' || !Number.isFinite(s[k])) bad(`optimizer.sam.${k}`, `expected a finite number, got ${JSON.stringify(s[k])}`);
  for (const k of ['adaptive', 'secondPassBatchNormUpdate'] as const) if (typeof s[k] !== 'boolean') bad(`optimizer.sam.${k}`, `expected true or false, got ${JSON.stringify(s[k])}`);
  if (!Array.isArray(s.perturbed) || !s.perturbed.every((x) => typeof x === 'string')) bad('optimizer.sam.perturbed', 'expected a list of parameter names');
  return s as unknown as SamState;
}

export function decodeCheckpoint(bytes: Uint8Array, source: string): { checkpoint: Checkpoint; config: unknown } {
  const f = parseSafetensors(bytes, source);
  const bad = (field: string, msg: string): never => {
    throw new SamgpuError(`checkpoint ${source}: ${field}: ${msg}`);
  };
  if (f.metadata.format !== 'samgpu-checkpoint-1') throw new SamgpuError(`checkpoint ${source}: not a samgpu checkpoint (format ${JSON.stringify(f.metadata.format)})`);
  const meta = (key: string): unknown => {
    const text = f.metadata[key];
    if (text === undefined) bad(key, 'missing from the metadata');
    try {
      return JSON.parse(text);
    } catch (e) {
      return bad(key, `not valid JSON (${(e as Error).message})`);
    }
  };
  const position = checkPosition(meta('position'), bad);
  const opt = meta('optimizer');
  if (!isObj(opt)) return bad('optimizer', `expected an object, got ${JSON.stringify(opt)}`);
  if (!isCount(opt.steps)) bad('optimizer.steps', `expected an integer >= 0, got ${JSON.stringify(opt.steps)}`);
  if (typeof opt.lr !== 'number' || !Number.isFinite(opt.lr) || opt.lr < 0) bad('optimizer.lr', `expected a finite number >= 0, got ${JSON.stringify(opt.lr)}`);
  const sam = checkSam(opt.sam, bad);
  const config = meta('config');
  const model = new Map<string, { shape: number[]; data: Float32Array }>();
  const buffers: Record<string, Float32Array> = {};
  for (const [k, v] of f.tensors) {
    if (k === 'method.groupDroQ') continue;
    if (!k.startsWith('optimizer.') && !k.startsWith('model.')) bad(k, 'unknown tensor (expected model.<name>, optimizer.<buffer> or method.groupDroQ)');
    const nf = firstNonFinite(v.data);
    if (nf) bad(k, `holds non-finite values (${nf.value} at index ${nf.index}): the run had diverged when this was saved; resume from an earlier checkpoint or start again`);
    if (k.startsWith('model.')) model.set(k.slice(6), { shape: v.shape, data: v.data });
    else if (k !== 'optimizer.momentum') buffers[k.slice(10)] = v.data;
  }
  if (!model.size) bad('model', 'no model tensors');
  const groupDroQ = f.tensors.get('method.groupDroQ')?.data;
  if (groupDroQ && (firstNonFinite(groupDroQ) || groupDroQ.some((v) => v < 0))) bad('method.groupDroQ', 'holds non-finite or negative group weights');
  return {
    checkpoint: {
      position,
      model,
      optimizer: { steps: opt.steps as number, lr: opt.lr as number, momentum: f.tensors.get('optimizer.momentum')?.data ?? null, ...(Object.keys(buffers).length ? { buffers } : {}) },
      ...(sam ? { sam } : {}),
      ...(groupDroQ ? { method: { groupDroQ } } : {}),
      ...(f.metadata.kernels !== undefined ? { kernels: meta('kernels') as Checkpoint['kernels'] } : {}),
    },
    config,
  };
}
