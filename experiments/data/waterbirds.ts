// Waterbirds metadata.csv (header img_id,img_filename,y,split,place,place_filename): y 0 landbird /
// 1 waterbird; split 0 train, 1 val, 2 test; place 0 land / 1 water. Pure parser over text.
import { csvFields, intField, lines } from './csv.ts';
import { dataError } from './types.ts';

const READER = 'Waterbirds';
const REQUIRED = ['img_filename', 'y', 'split', 'place'];

export interface WaterbirdsRow {
  file: string;
  y: number;
  split: number;
  place: number;
}

export function parseWaterbirdsMetadata(text: string, file: string): WaterbirdsRow[] {
  const ls = lines(text);
  if (ls.length === 0) dataError(READER, file, 'empty file');
  const header = csvFields(ls[0], READER, file);
  const col: Record<string, number> = {};
  for (const name of REQUIRED) {
    col[name] = header.indexOf(name);
    if (col[name] < 0) dataError(READER, file, `header has no '${name}' column (header: ${header.join(',')})`, `line ${ls[0].no}`);
  }
  const rows: WaterbirdsRow[] = [];
  for (const l of ls.slice(1)) {
    const f = csvFields(l, READER, file);
    if (f.length !== header.length) dataError(READER, file, `expected ${header.length} fields, got ${f.length}`, `line ${l.no}`);
    const get = (name: string, max: number) => {
      const v = intField(f[col[name]], name, READER, file, l.no);
      if (v < 0 || v > max) dataError(READER, file, `${name} is ${v}, expected 0..${max}`, `line ${l.no}`);
      return v;
    };
    if (f[col.img_filename] === '') dataError(READER, file, 'img_filename is empty', `line ${l.no}`);
    rows.push({ file: f[col.img_filename], y: get('y', 1), split: get('split', 2), place: get('place', 1) });
  }
  return rows;
}
