// Reads the PyTorch golden fixtures (test/fixtures/<family>.safetensors, made by scripts/make-golden.py).
import { readFileSync } from 'node:fs';
import { parseSafetensors, type SafetensorsEntry } from '../engine/io/safetensors.ts';
import type { Nd } from './reference/nd.ts';

export class Fixture {
  readonly tensors: Map<string, SafetensorsEntry>;
  readonly metadata: Record<string, string>;
  readonly family: string;

  constructor(family: string) {
    const path = new URL(`./fixtures/${family}.safetensors`, import.meta.url);
    const f = parseSafetensors(readFileSync(path), `test/fixtures/${family}.safetensors`);
    this.tensors = f.tensors;
    this.metadata = f.metadata;
    this.family = family;
  }

  get(name: string): SafetensorsEntry {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`fixture ${this.family}: no tensor '${name}' (have ${[...this.tensors.keys()].slice(0, 8).join(', ')}…)`);
    return t;
  }

  nd(name: string): Nd {
    const t = this.get(name);
    return { shape: t.shape, data: Float64Array.from(t.data) };
  }
}
