// `samgpu toy`: the paper's two-feature toy (SGD, SAM, LSAM and the one-mechanism variants),
// its JSON records, SVG figures and index.html. Worker processes rerun this command with the
// hidden --worker/--part flags.
import { Option, type Command } from 'commander';
import { DEFAULT_CONFIG } from '../../experiments/toy/config.ts';
import { runToy, runToyWorker } from '../../experiments/toy/run.node.ts';
import { positiveIntArg } from '../args.ts';

export function toyCommand(program: Command): Command {
  const seeds = [...new Set(DEFAULT_CONFIG.plans.flatMap((p) => p.seeds))].join(',');
  const plans = DEFAULT_CONFIG.plans.map((p) => `${p.structure}: ${p.methods.join(', ')}`).join('; ');
  return program
    .command('toy')
    .description("the paper's toy setting: an easy and a hard feature, SGD / SAM / LSAM and one-mechanism variants; JSON + SVG + index.html")
    .option('--out <dir>', 'output folder', DEFAULT_CONFIG.outDir)
    .option('--seeds <list>', 'seeds to run, comma-separated', seeds)
    .option('--steps <n>', 'full-batch training steps per run', positiveIntArg, DEFAULT_CONFIG.train.steps)
    .option('--config <json>', 'overrides merged into the toy\'s defaults: a JSON file or inline JSON (top-level keys: data, model, train, probe, plans)')
    .option('--jobs <n>', 'worker processes sharing the runs (1: in this process)', positiveIntArg, 2)
    .addOption(new Option('--worker <file>').hideHelp())
    .addOption(new Option('--part <i/n>').hideHelp())
    .addHelpText('after', `\nRuns by default: ${plans}; lr ${DEFAULT_CONFIG.train.lr}, ρ ${DEFAULT_CONFIG.train.rho.sam} (SAM) and ${DEFAULT_CONFIG.train.rho.lsam} (LSAM).`)
    .action(async (o) => {
      if (o.worker) await runToyWorker(o.worker, o.part ?? '0/1');
      else await runToy(o, [...process.execArgv, process.argv[1], 'toy']);
      process.exit(0);
    });
}
