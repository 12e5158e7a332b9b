// All parameters of a model packed into one flat buffer, and their gradients into another with
// the same layout. The user's parameter tensors become views into it, so optimizer updates
// (SGD, SAM's ascent and restore, the global gradient norm) are one dispatch each.
import { SamgpuError } from '../device/errors.ts';
import { empty, Storage, type Tensor } from '../tensor.ts';
import { fillInto } from '../ops/elementwise.ts';
import { keep } from '../scope.ts';

const owners = new WeakMap<Tensor, FlatParameters>();

export class FlatParameters {
  readonly params: readonly Tensor[];
  /** Element offset of each parameter in the flat buffers (aligned for binding). */
  readonly offsets: readonly number[];
  readonly total: number;
  readonly data: Tensor;
  readonly grad: Tensor;

  private constructor(params: Tensor[]) {
    if (!params.length) throw new SamgpuError('optimizer: got an empty parameter list');
    const rt = params[0].rt;
    const align = rt.device.limits.minStorageBufferOffsetAlignment / 4;
    const offsets: number[] = [];
    let total = 0;
    for (const p of params) {
      offsets.push(total);
      total += Math.ceil(Math.max(p.size, 1) / align) * align;
    }
    this.params = params;
    this.offsets = offsets;
    this.total = total;
    this.data = keep(empty([total], rt));
    this.grad = keep(empty([total], rt));
    fillInto(this.data, 0); // padding stays zero
    fillInto(this.grad, 0);
    const dataStorage = this.data.storage();
    const gradStorage = this.grad.storage();
    params.forEach((p, i) => {
      const src = p.storage('optimizer');
      rt.copy(src.buf, dataStorage.buf, p.size * 4, p.offset * 4, offsets[i] * 4);
      p.rebind(dataStorage, offsets[i]);
      const g = keep(this.grad.viewAt(offsets[i], p.shape));
      if (p.grad) {
        const old = p.grad.storage('optimizer');
        rt.copy(old.buf, gradStorage.buf, p.size * 4, p.grad.offset * 4, offsets[i] * 4);
        p.grad.dispose();
      }
      p.grad = g;
      owners.set(p, this);
    });
  }

  /** The flat storage of `params`: reused when they were packed together before. */
  static of(params: Tensor[]): FlatParameters {
    const first = owners.get(params[0]);
    if (first && first.params.length === params.length && params.every((p, i) => first.params[i] === p)) return first;
    if (params.some((p) => owners.has(p))) {
      throw new SamgpuError('optimizer: some parameters already belong to another optimizer\'s flat storage; give both the same parameter list');
    }
    const seen = new Set<Tensor>();
    for (const p of params) {
      if (seen.has(p)) throw new SamgpuError(`optimizer: parameter ${p.name ?? p.id} appears twice in the list`);
      if (!p.requiresGrad) throw new SamgpuError(`optimizer: parameter ${p.name ?? p.id} does not require grad`);
      seen.add(p);
    }
    return new FlatParameters(params);
  }

  zeroGrad(): void {
    fillInto(this.grad, 0);
  }

  /** A new zeroed flat buffer with the same layout (momentum, SAM's saved parameters). */
  like(): Tensor {
    const t = keep(empty([this.total], this.data.rt));
    fillInto(t, 0);
    return t;
  }

  storageOf(t: Tensor): Storage {
    return t.storage('optimizer');
  }
}
