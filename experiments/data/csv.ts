// Small text helpers for the metadata files: lines with their 1-based numbers, CSV fields
// (RFC 4180 quoting, one record per line: the files we read have no embedded newlines).
import { dataError } from './types.ts';

export interface Line {
  /** 1-based line number in the file. */
  no: number;
  text: string;
}

/** Non-empty lines (CRLF tolerated, a UTF-8 BOM dropped). */
export function lines(text: string): Line[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const out: Line[] = [];
  const raw = text.split('\n');
  for (let i = 0; i < raw.length; i++) {
    const t = raw[i].endsWith('\r') ? raw[i].slice(0, -1) : raw[i];
    if (t.trim() !== '') out.push({ no: i + 1, text: t });
  }
  return out;
}

/** The fields of one CSV line; a malformed quote is an error naming the file and line. */
export function csvFields(line: Line, reader: string, file: string): string[] {
  const s = line.text;
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (s[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= s.length) dataError(reader, file, 'unterminated quoted field', `line ${line.no}`);
        if (s[i] === '"') {
          if (s[i + 1] === '"') {
            v += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += s[i++];
      }
      if (i < s.length && s[i] !== ',') dataError(reader, file, `unexpected character '${s[i]}' after a quoted field`, `line ${line.no}`);
      out.push(v);
    } else {
      const j = s.indexOf(',', i);
      const end = j < 0 ? s.length : j;
      out.push(s.slice(i, end).trim());
      i = end;
    }
    if (i >= s.length) return out;
    i++; // the comma
  }
}

/** Parse a whole number field strictly (no '', '1.5', '1e3'). */
export function intField(v: string, what: string, reader: string, file: string, lineNo: number): number {
  if (!/^-?\d+$/.test(v)) dataError(reader, file, `${what} is '${v}', expected an integer`, `line ${lineNo}`);
  return Number(v);
}
