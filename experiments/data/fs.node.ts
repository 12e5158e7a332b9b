// File-system access of the data readers, with errors that name the reader and the path and say
// what is wrong: a missing file or folder, a folder where a file should be (or the reverse),
// permissions. Everything else in the readers works on bytes and text.
import { readFileSync, statSync } from 'node:fs';
import { fsReason } from '../io.node.ts';
import { dataError } from './types.ts';

/** The bytes of a data file. */
export function readDataFile(path: string, reader: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    dataError(reader, path, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing file' : fsReason(e, path));
  }
}

/** A data file as UTF-8 text. */
export function readDataText(path: string, reader: string): string {
  return readDataFile(path, reader).toString('utf8');
}

/** Throws unless `path` is an existing folder; `what` says which folder it is meant to be. */
export function requireFolder(path: string, reader: string, what = 'folder'): void {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    dataError(reader, path, (e as NodeJS.ErrnoException).code === 'ENOENT' ? `the ${what} does not exist` : fsReason(e, path));
  }
  if (!isDir) dataError(reader, path, `the ${what} is a file, not a folder`);
}

/** True when `path` exists and is a file (a folder of that name does not count). */
export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
