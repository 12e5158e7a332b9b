// Which training examples each step takes. Both orders are pure functions of (seed, position),
// so a resumed run continues exactly.
//   shuffle:    a seeded permutation per epoch, cut into consecutive batches (the last one smaller);
//   per-domain: DomainBed's sampling: every batch takes batchSize / k examples from each of the k
//               source domains, each domain an endless stream of seeded permutations of its
//               examples (independent of epochs; an "epoch" is ⌈n / batchSize⌉ steps, for metrics).
// With per-example repeat counts (JTT, USEFUL upsampling), 'shuffle' permutes the upsampled list.
import { Rng } from '../../engine/random.ts';
import { SamgpuError } from '../../engine/device/errors.ts';
import { epochOrder } from '../data/batches.ts';
import { shuffleInPlace } from '../data/two-feature.ts';
import type { TwoFeatureSplit } from '../data/types.ts';
import { expandRepeats } from '../methods/upsample.ts';

export interface BatchSampler {
  /** Steps in a full epoch. */
  readonly stepsPerEpoch: number;
  /** Example indices of batch `batch` of `epoch` (`step`: steps done before it in the run). */
  indices(epoch: number, batch: number, step: number): Int32Array;
}

export function makeSampler(kind: 'shuffle' | 'per-domain', split: TwoFeatureSplit, batchSize: number, seed: number, repeats?: Int32Array): BatchSampler {
  if (repeats && repeats.length !== split.n) throw new SamgpuError(`sampler: ${repeats.length} repeat counts for a training split of ${split.n} examples`);
  if (repeats && kind !== 'shuffle') throw new SamgpuError(`sampler: repeat counts (upsampling) need the 'shuffle' sampler, not '${kind}'`);
  const list = repeats ? expandRepeats(repeats) : null;
  const n = list ? list.length : split.n;
  const stepsPerEpoch = Math.ceil(n / batchSize);
  if (kind === 'shuffle') {
    let cached: { epoch: number; order: Int32Array } | null = null;
    return {
      stepsPerEpoch,
      indices(epoch, batch) {
        if (cached?.epoch !== epoch) {
          const order = epochOrder(n, seed, epoch);
          cached = { epoch, order: list ? order.map((k) => list[k]) : order };
        }
        return cached.order.slice(batch * batchSize, Math.min(n, (batch + 1) * batchSize));
      },
    };
  }
  const domain = split.domain;
  if (!(domain instanceof Int32Array)) throw new SamgpuError("sampler: 'per-domain' needs a split with domain labels (DomainBed)");
  const members = new Map<number, number[]>();
  for (let i = 0; i < split.n; i++) {
    if (!members.has(domain[i])) members.set(domain[i], []);
    members.get(domain[i])!.push(i);
  }
  const domains = [...members.keys()].sort((a, b) => a - b);
  if (batchSize % domains.length) {
    throw new SamgpuError(`config: batchSize: expected a multiple of the ${domains.length} source domains with sampler 'per-domain' (DomainBed's batch is per domain), got ${batchSize}`);
  }
  const per = batchSize / domains.length;
  const cycles = new Map<string, Int32Array>();
  const cycle = (d: number, c: number): Int32Array => {
    const key = `${d}:${c}`;
    let perm = cycles.get(key);
    if (!perm) {
      if (cycles.size > 64) cycles.clear();
      perm = shuffleInPlace(Int32Array.from(members.get(d)!), new Rng((Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(d + 1, 0x85ebca6b) ^ Math.imul(c + 1, 0xc2b2ae35)) >>> 0));
      cycles.set(key, perm);
    }
    return perm;
  };
  return {
    stepsPerEpoch,
    indices(_epoch, _batch, step) {
      const out = new Int32Array(batchSize);
      domains.forEach((d, k) => {
        const n = members.get(d)!.length;
        for (let j = 0; j < per; j++) {
          const pos = step * per + j;
          out[k * per + j] = cycle(d, Math.floor(pos / n))[pos % n];
        }
      });
      return out;
    },
  };
}
