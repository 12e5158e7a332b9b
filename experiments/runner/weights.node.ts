// The pretrained-weights file a config names (`model.weights`), read before the dataset so a wrong
// path fails in a second, not after decoding thousands of images.
import { readFileSync } from 'node:fs';
import { SamgpuError } from '../../engine/device/errors.ts';

export function readWeights(path: string): Uint8Array {
  try {
    const b = readFileSync(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory, not a file' : (e as Error).message;
    throw new SamgpuError(`model.weights: ${path}: ${why} (a .safetensors file with torchvision names: convert a torchvision .pth with \`python3 scripts/convert-torchvision.py IN.pth OUT.safetensors\`)`);
  }
}
