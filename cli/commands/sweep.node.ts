// `samgpu sweep <sweep.json>`: a grid of runs on this machine or as a Slurm job array, and its
// subcommands `status`, `resubmit` and `cell` (what each array task runs).
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { SamgpuError } from '../../engine/device/errors.ts';
import { validateSweep } from '../../experiments/runner/sweep.ts';
import { loadSweepDir, prepareSweep, readBackend, writeBackend, type BackendFile, type BackendName, type SweepCellEntry, type SweepDir } from '../../experiments/runner/sweep-dir.node.ts';
import { cellsToRun, launch, runCellTask } from '../../experiments/runner/sweep-run.node.ts';
import { formatStatus, sweepStatus } from '../../experiments/runner/sweep-status.node.ts';
import { arrayRanges, mergeSlurmOptions, validateSlurmOptions, type SlurmOptions } from '../../experiments/runner/slurm.ts';
import { collect, intArg, positiveIntArg } from '../args.ts';

/** The Slurm options given as flags (validated like sweep.json's "slurm" section). */
function slurmFlags(o: Record<string, unknown>): SlurmOptions {
  const pick: Record<string, unknown> = {};
  for (const k of ['partition', 'time', 'cpus', 'mem', 'gpus', 'maxRunning', 'grace', 'sbatch', 'setup', 'node']) if (o[k] !== undefined) pick[k] = o[k];
  return validateSlurmOptions(pick);
}

function withBackendOptions(c: Command): Command {
  return c
    .option('--backend <name>', 'local (processes on this machine; default) | slurm (a job array, docs/CLUSTER.md)')
    .option('--jobs <n>', 'local: cells run at once (default 1; resubmit: as before)', positiveIntArg)
    .option('--partition <name>', 'slurm: partition')
    .option('--time <t>', 'slurm: time limit per cell (e.g. 04:00:00)')
    .option('--cpus <n>', 'slurm: --cpus-per-task', intArg)
    .option('--mem <size>', 'slurm: --mem (e.g. 32G)')
    .option('--gpus <n>', 'slurm: --gres=gpu:N', intArg)
    .option('--max-running <n>', 'slurm: at most N tasks at once (--array=…%N)', intArg)
    .option('--grace <s>', 'slurm: seconds before the time limit to checkpoint and requeue (default 120)', intArg)
    .option('--sbatch <line>', 'slurm: another sbatch option, e.g. --account=abc (repeatable)', collect)
    .option('--setup <line>', "slurm: a shell line run before samgpu on the node, e.g. 'module load nodejs/20' (repeatable)", collect)
    .option('--node <path>', 'slurm: the node binary on the compute nodes (default: node on the PATH)')
    .option('--dry-run', 'slurm: write the sbatch script but do not submit it');
}

function backendName(v: unknown, fallback: BackendName): BackendName {
  const b = v ?? fallback;
  if (b !== 'local' && b !== 'slurm') throw new SamgpuError(`sweep: --backend: expected local or slurm, got '${String(b)}'`);
  return b;
}

/** Run or submit `cells`, report, and exit (0 all done or submitted, 130 stopped, 1 some failed). */
async function launchAndReport(sweep: SweepDir, cells: SweepCellEntry[], backend: BackendFile, o: { jobs?: number; dryRun?: boolean }): Promise<never> {
  const st = sweepStatus(sweep);
  if (!cells.length) {
    console.log(`sweep ${sweep.spec.name}: nothing to ${backend.backend === 'slurm' ? 'submit' : 'run'} (${st.counts.done} done, ${st.rows.filter((r) => r.active).length} queued or running)`);
    process.exit(0);
  }
  // local: recorded before the cells start (status reads it while they run); slurm: once submitted
  if (backend.backend === 'local') writeBackend(sweep.dir, backend);
  console.log(`sweep ${sweep.spec.name}: ${cells.length} of ${sweep.cells.length} cells to ${backend.backend === 'slurm' ? 'submit to Slurm' : `run here, ${o.jobs ?? 1} at a time`} (${st.counts.done} done)`);
  const r = await launch(sweep, cells, backend, { jobs: o.jobs, dryRun: o.dryRun });
  if (r.backend === 'slurm') {
    const s = r.submission;
    if (o.dryRun) {
      console.log(`dry run: wrote ${s.script} (not submitted; \`samgpu sweep\` without --dry-run submits it and records the job)`);
      process.exit(0);
    }
    writeBackend(sweep.dir, backend);
    console.log(`submitted Slurm job ${s.jobId}: ${s.indices.length} array tasks (--array=${arrayRanges(s.indices)}); script ${s.script}\nfollow with: samgpu sweep status ${sweep.dir}`);
    process.exit(0);
  }
  console.log(formatStatus(sweepStatus(sweep)));
  process.exit(r.result.signal ? 130 : r.result.failed + r.result.stopped ? 1 : 0);
}

export function sweepCommand(program: Command): Command {
  const sweepCmd = withBackendOptions(
    program
      .command('sweep')
      .description('a grid of runs (lr × ρ × seeds × …) on this machine or as a Slurm job array; finished cells are skipped, interrupted ones resumed')
      .argument('<sweep.json>', 'the sweep: a base config (or preset), the grid, seeds (docs/CLUSTER.md)')
      .option('--results <dir>', 'results folder (on a filesystem the compute nodes share, for slurm)', 'results'),
  ).action(async (file: string, o) => {
    if (!existsSync(file)) throw new SamgpuError(`sweep: no file ${file}`);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new SamgpuError(`sweep: ${file} is not valid JSON (${(e as Error).message})`);
    }
    const spec = validateSweep(json);
    const backend = backendName(o.backend, 'local');
    const options = backend === 'slurm' ? mergeSlurmOptions(validateSlurmOptions((spec as unknown as { slurm?: unknown }).slurm), slurmFlags(o)) : { jobs: o.jobs ?? 1 };
    const sweep = prepareSweep(spec, o.results);
    await launchAndReport(sweep, cellsToRun(sweep), { backend, options: options as Record<string, unknown> }, { jobs: o.jobs ?? 1, dryRun: o.dryRun });
  });

  sweepCmd
    .command('status')
    .description('cells done / running / pending / failed (with the reason) of a sweep folder')
    .argument('<sweep-dir>', 'the sweep folder (<results>/<sweep name>)')
    .option('--json', 'machine-readable output')
    .action((dir: string, o) => {
      const st = sweepStatus(loadSweepDir(dir));
      console.log(o.json ? JSON.stringify(st, null, 2) : formatStatus(st));
      process.exit(0);
    });

  withBackendOptions(
    sweepCmd
      .command('resubmit')
      .description('run or submit again only the cells that are neither done nor queued (same backend and options unless given)')
      .argument('<sweep-dir>', 'the sweep folder (<results>/<sweep name>)'),
  ).action(async (dir: string, o) => {
    const sweep = loadSweepDir(dir);
    const prev = readBackend(sweep.dir) ?? { backend: 'local', options: {} };
    const backend = backendName(o.backend, prev.backend);
    const jobs: number = o.jobs ?? (prev.backend === 'local' && typeof prev.options.jobs === 'number' ? prev.options.jobs : 1);
    const options = backend === 'slurm' ? mergeSlurmOptions(prev.backend === 'slurm' ? validateSlurmOptions(prev.options) : {}, slurmFlags(o)) : { jobs };
    await launchAndReport(sweep, cellsToRun(sweep), { backend, options: options as Record<string, unknown> }, { jobs, dryRun: o.dryRun });
  });

  sweepCmd
    .command('cell')
    .description('run or resume one cell (what each Slurm array task runs; exit 0 done, 130 checkpointed and stopped, 1 failed)')
    .argument('<sweep-dir>', 'the sweep folder (<results>/<sweep name>)')
    .requiredOption('--index <n>', 'the cell index (the array task id)', intArg)
    .action(async (dir: string, o) => {
      process.exit(await runCellTask(loadSweepDir(dir), o.index));
    });
  sweepCmd.commands.forEach((c) => c.exitOverride());
  return sweepCmd;
}
