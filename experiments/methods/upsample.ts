// Per-example repeat counts for the methods that upsample (JTT, USEFUL): an epoch of the final run
// visits example i counts[i] times (the upsampled dataset of JTT's and USEFUL's code, shuffled
// as a whole each epoch), so an epoch grows with the upsampling.
import { SamgpuError } from '../../engine/device/errors.ts';

/** JTT: λ_up copies of each example the identification run misclassified, one of the rest. */
export function jttRepeats(pred: ArrayLike<number>, y: ArrayLike<number>, upweight: number): Int32Array {
  if (pred.length !== y.length) throw new SamgpuError(`JTT: ${pred.length} predictions for ${y.length} training examples`);
  return Int32Array.from({ length: y.length }, (_, i) => (pred[i] === y[i] ? 1 : upweight));
}

/** The example list an epoch shuffles: index i repeated counts[i] times. */
export function expandRepeats(counts: Int32Array): Int32Array {
  let total = 0;
  for (const c of counts) {
    if (!(Number.isInteger(c) && c >= 0)) throw new SamgpuError(`upsampling: repeat counts must be integers >= 0, got ${c}`);
    total += c;
  }
  if (!total) throw new SamgpuError('upsampling: every repeat count is 0: an epoch would have no examples');
  const out = new Int32Array(total);
  let k = 0;
  counts.forEach((c, i) => out.fill(i, k, (k += c)));
  return out;
}
