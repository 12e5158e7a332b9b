// `samgpu`: run, sweep (+ status, resubmit, cell), report, toy, info, study, tune. The entry of the command
// (bin/samgpu.mjs runs it from a checkout's sources, or dist/samgpu-cli.js, its bundle, from the
// installed package).
import { SamgpuError } from '../engine/device/errors.ts';
import { buildProgram } from './program.node.ts';
import { fsReason } from '../experiments/io.node.ts';

const program = buildProgram();

/** One line on stderr for any error; the stack only with SAMGPU_DEBUG=1 (a bug report). */
function reportError(e: unknown): never {
  const code = (e as { exitCode?: number }).exitCode;
  if (typeof code === 'number' && !(e instanceof SamgpuError)) process.exit(code); // commander already said why
  const err = e as NodeJS.ErrnoException;
  let line: string;
  if (e instanceof SamgpuError) line = e.message;
  else if (err && typeof err.code === 'string' && err.path) line = `${err.syscall ?? 'file'} ${err.path}: ${fsReason(err, err.path)}`;
  else line = `internal error: ${err?.message ?? String(e)} (please report it; SAMGPU_DEBUG=1 prints where it happened)`;
  console.error(`samgpu: ${line.split('\n')[0]}`);
  if (process.env.SAMGPU_DEBUG && err?.stack) console.error(err.stack);
  process.exit(e instanceof SamgpuError ? 2 : 1);
}
process.on('uncaughtException', reportError);
process.on('unhandledRejection', reportError);
try {
  await program.parseAsync(process.argv);
} catch (e) {
  reportError(e);
}
