// SVHN's cropped digits (Netzer et al. 2011), `train_32x32.mat` and `test_32x32.mat`: MAT-files
// holding X, uint8 [32, 32, 3, N] (column-major: row, column, channel, image), and y, [N, 1] with
// labels 1…10 where 10 is the digit 0. Pure: from the parsed variables to CHW bytes and labels 0–9.
import { numericVariable, parseMat, type MatOptions } from './matlab.ts';
import { dataError } from './types.ts';

const READER = 'SVHN';

export interface SvhnImages {
  n: number;
  /** n·3·32·32 bytes, CHW per image. */
  images: Uint8Array;
  /** Digits 0–9 (the file's 10 is 0). */
  labels: Uint8Array;
}

export function parseSvhnMat(bytes: Uint8Array, file: string, o: MatOptions): SvhnImages {
  const vars = parseMat(bytes, file, o);
  const X = numericVariable(vars, 'X', file);
  const y = numericVariable(vars, 'y', file);
  const [h, w, c, n = 1] = X.dims;
  if (h !== 32 || w !== 32 || c !== 3 || X.dims.length > 4) dataError(READER, file, `variable 'X' has dimensions [${X.dims}], expected [32, 32, 3, N]`);
  if (X.class !== 'uint8') dataError(READER, file, `variable 'X' is ${X.class}, expected uint8`);
  if (y.data.length !== n) dataError(READER, file, `variable 'y' has ${y.data.length} labels for the ${n} images of 'X'`);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = y.data[i];
    if (!(Number.isInteger(v) && v >= 1 && v <= 10)) dataError(READER, file, `label ${v} is not in 1…10`, `image ${i}`);
    labels[i] = v % 10;
  }
  const src = X.data as Uint8Array;
  const images = new Uint8Array(n * 3072);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < 3; ch++) {
      for (let col = 0; col < 32; col++) {
        const from = i * 3072 + ch * 1024 + col * 32;
        for (let row = 0; row < 32; row++) images[i * 3072 + ch * 1024 + row * 32 + col] = src[from + row];
      }
    }
  }
  return { n, images, labels };
}
