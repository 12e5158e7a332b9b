// Argument parsers shared by the subcommands (commander calls them per flag value).
import { InvalidArgumentError } from 'commander';

export const numberArg = (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got '${v}'`);
  return n;
};

export const intArg = (v: string): number => {
  const n = numberArg(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got '${v}'`);
  return n;
};

export const positiveIntArg = (v: string): number => {
  const n = intArg(v);
  if (n < 1) throw new InvalidArgumentError(`expected an integer >= 1, got '${v}'`);
  return n;
};

/** A repeatable flag: each use adds its value. */
export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
