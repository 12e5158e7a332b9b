// `samgpu`: run, sweep (+ status, resubmit, cell), report, toy, info. The entry of the command
// (bin/samgpu.mjs runs it from a checkout's sources, or dist/samgpu-cli.js, its bundle, from the
// installed package).
import { SamgpuError } from '../engine/device/errors.ts';
import { buildProgram } from './program.node.ts';

const program = buildProgram();
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof SamgpuError) {
    console.error(`samgpu: ${e.message}`);
    process.exit(2);
  }
  const code = (e as { exitCode?: number }).exitCode;
  if (typeof code === 'number') process.exit(code);
  throw e;
}
