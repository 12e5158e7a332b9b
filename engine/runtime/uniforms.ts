/**
 * Packs a kernel's uniform struct: 4-byte scalars in declaration order, `vec4` groups aligned
 * to 16 bytes (WGSL's layout rules for the structs our kernels use).
 */
export class Uniforms {
  #words: number[] = [];
  #isFloat: boolean[] = [];

  u32(...v: number[]): this {
    for (const x of v) {
      this.#words.push(x >>> 0);
      this.#isFloat.push(false);
    }
    return this;
  }

  f32(...v: number[]): this {
    for (const x of v) {
      this.#words.push(x);
      this.#isFloat.push(true);
    }
    return this;
  }

  /** A vec4<u32> (or array<vec4<u32>, n> when given more): aligned to 16 bytes, padded with `pad`. */
  vec4u(values: readonly number[], count = 1, pad = 0): this {
    this.#align16();
    for (let i = 0; i < 4 * count; i++) this.u32(i < values.length ? values[i] : pad);
    return this;
  }

  #align16(): void {
    while (this.#words.length % 4) this.u32(0);
  }

  build(): ArrayBuffer {
    this.#align16();
    const buf = new ArrayBuffer(this.#words.length * 4);
    const u = new Uint32Array(buf);
    const f = new Float32Array(buf);
    for (let i = 0; i < this.#words.length; i++) {
      if (this.#isFloat[i]) f[i] = this.#words[i];
      else u[i] = this.#words[i];
    }
    return buf;
  }
}
