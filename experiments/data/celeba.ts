// CelebA metadata, both published layouts. Pure parsers over text.
//   list_attr_celeba.txt: line 1 the image count, line 2 the 40 attribute names, then
//     `000001.jpg  -1  1 …` (runs of spaces); list_eval_partition.txt: `000001.jpg 0`.
//   Kaggle CSV: list_attr_celeba.csv (`image_id,5_o_Clock_Shadow,…`), list_eval_partition.csv
//     (`image_id,partition`).
// Attribute values −1/1 become 0/1; partitions 0 train, 1 val, 2 test.
import { csvFields, intField, lines } from './csv.ts';
import { dataError } from './types.ts';

const READER = 'CelebA';

export interface CelebaAttrs {
  names: string[];
  images: string[];
  /** n·A values in {0, 1}, row-major. */
  values: Uint8Array;
  file: string;
}

function value(v: string, attr: string, file: string, lineNo: number): number {
  if (v === '1') return 1;
  if (v === '-1') return 0;
  dataError(READER, file, `value '${v}' of ${attr} is not -1 or 1`, `line ${lineNo}`);
}

export function parseCelebaAttrTxt(text: string, file: string): CelebaAttrs {
  const ls = lines(text);
  if (ls.length < 2) dataError(READER, file, 'expected a count line and an attribute-name line');
  const count = intField(ls[0].text.trim(), 'the image count', READER, file, ls[0].no);
  const names = ls[1].text.trim().split(/\s+/);
  const rows = ls.slice(2);
  const A = names.length;
  const images: string[] = [];
  const values = new Uint8Array(rows.length * A);
  rows.forEach((l, i) => {
    const f = l.text.trim().split(/\s+/);
    if (f.length !== A + 1) dataError(READER, file, `expected ${A + 1} fields, got ${f.length}`, `line ${l.no}`);
    images.push(f[0]);
    for (let a = 0; a < A; a++) values[i * A + a] = value(f[a + 1], names[a], file, l.no);
  });
  if (images.length !== count) dataError(READER, file, `count mismatch: line ${ls[0].no} says ${count} images, the file lists ${images.length}`);
  return { names, images, values, file };
}

export function parseCelebaAttrCsv(text: string, file: string): CelebaAttrs {
  const ls = lines(text);
  if (ls.length < 1) dataError(READER, file, 'empty file');
  const header = csvFields(ls[0], READER, file);
  if (header[0] !== 'image_id') dataError(READER, file, `header starts with '${header[0]}', expected 'image_id'`, `line ${ls[0].no}`);
  const names = header.slice(1);
  const A = names.length;
  const rows = ls.slice(1);
  const images: string[] = [];
  const values = new Uint8Array(rows.length * A);
  rows.forEach((l, i) => {
    const f = csvFields(l, READER, file);
    if (f.length !== A + 1) dataError(READER, file, `expected ${A + 1} fields, got ${f.length}`, `line ${l.no}`);
    images.push(f[0]);
    for (let a = 0; a < A; a++) values[i * A + a] = value(f[a + 1], names[a], file, l.no);
  });
  return { names, images, values, file };
}

/** image name → partition (0 train, 1 val, 2 test), from the .txt (`csv` false) or .csv layout. */
export function parseCelebaPartition(text: string, file: string, csv: boolean): Map<string, number> {
  const ls = lines(text);
  const out = new Map<string, number>();
  let rows = ls;
  if (csv) {
    if (ls.length < 1) dataError(READER, file, 'empty file');
    const header = csvFields(ls[0], READER, file);
    if (header.length !== 2 || header[0] !== 'image_id' || header[1] !== 'partition') {
      dataError(READER, file, `header is '${ls[0].text}', expected 'image_id,partition'`, `line ${ls[0].no}`);
    }
    rows = ls.slice(1);
  }
  for (const l of rows) {
    const f = csv ? csvFields(l, READER, file) : l.text.trim().split(/\s+/);
    if (f.length !== 2) dataError(READER, file, `expected 2 fields, got ${f.length}`, `line ${l.no}`);
    const p = intField(f[1], 'the partition', READER, file, l.no);
    if (p < 0 || p > 2) dataError(READER, file, `partition ${p} is not 0, 1 or 2`, `line ${l.no}`);
    if (out.has(f[0])) dataError(READER, file, `image ${f[0]} is listed twice`, `line ${l.no}`);
    out.set(f[0], p);
  }
  return out;
}

/** Column of an attribute; an unknown name is an error listing the known ones. */
export function attrColumn(attrs: CelebaAttrs, name: string): number {
  const i = attrs.names.indexOf(name);
  if (i < 0) {
    const near = attrs.names.find((n) => n.toLowerCase() === name.toLowerCase());
    dataError(READER, attrs.file, `unknown attribute '${name}'${near ? ` (did you mean '${near}'?)` : ''}; known: ${attrs.names.join(', ')}`);
  }
  return i;
}

/** Per partition: the image names and the two attributes' 0/1 values, in file order. */
export function celebaSplits(
  attrs: CelebaAttrs, partition: Map<string, number>, partitionFile: string, easyAttr: string, hardAttr: string,
): { images: string[]; easy: Int32Array; hard: Int32Array }[] {
  const ce = attrColumn(attrs, easyAttr);
  const ch = attrColumn(attrs, hardAttr);
  if (partition.size !== attrs.images.length) {
    dataError(READER, partitionFile, `count mismatch: ${partition.size} images, ${attrs.file} lists ${attrs.images.length}`);
  }
  const A = attrs.names.length;
  const out = [0, 1, 2].map(() => ({ images: [] as string[], easy: [] as number[], hard: [] as number[] }));
  attrs.images.forEach((img, i) => {
    const p = partition.get(img);
    if (p === undefined) dataError(READER, partitionFile, `image ${img} (${attrs.file} row ${i + 1}) has no partition`);
    out[p].images.push(img);
    out[p].easy.push(attrs.values[i * A + ce]);
    out[p].hard.push(attrs.values[i * A + ch]);
  });
  return out.map((s) => ({ images: s.images, easy: Int32Array.from(s.easy), hard: Int32Array.from(s.hard) }));
}
