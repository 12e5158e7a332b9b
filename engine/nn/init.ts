// PyTorch's default initializations, drawn from a seeded generator on the CPU so a seed gives
// the same model in Node and in every browser (the values differ from PyTorch's: other RNG).
import { Rng } from '../random.ts';

let defaultRng = new Rng(0x5a3);

/** Seed the generator layers use when none is given (like torch.manual_seed). */
export function manualSeed(seed: number): void {
  defaultRng = new Rng(seed); // Rng checks the seed
}

export function getDefaultRng(): Rng {
  return defaultRng;
}

/** kaiming_uniform_(a=√5) as nn.Linear/nn.Conv2d use: U(−1/√fan_in, 1/√fan_in). */
export function kaimingUniformDefault(n: number, fanIn: number, rng: Rng): Float32Array {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return rng.uniform(n, -bound, bound);
}

/** The bias rule of nn.Linear/nn.Conv2d: U(−1/√fan_in, 1/√fan_in). */
export function biasUniform(n: number, fanIn: number, rng: Rng): Float32Array {
  return kaimingUniformDefault(n, fanIn, rng);
}

/** kaiming_normal_(mode='fan_out', nonlinearity='relu'), torchvision's ResNet conv init. */
export function kaimingNormalFanOut(n: number, fanOut: number, rng: Rng): Float32Array {
  return rng.normal(n, 0, Math.sqrt(2 / fanOut));
}
