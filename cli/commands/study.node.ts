// `samgpu study <name>`: a study (its runs as sweeps: selection seeds, then paired seeds), its
// findings.json and page; `samgpu study findings` regenerates docs/FINDINGS.md.
import { Option, type Command } from 'commander';
import { STUDIES } from '../../experiments/studies/index.ts';
import { positiveIntArg } from '../args.ts';

export function studyCommand(program: Command): Command {
  const list = Object.values(STUDIES).map((s) => `  ${s.name}: ${s.title}\n    budgets: ${Object.entries(s.budgets).map(([b, x]) => `${b}${b === s.defaultBudget ? ' (default)' : ''} — ${x.description}`).join('\n             ')}`).join('\n');
  return program
    .command('study')
    .description('run a study (paired seeds, intervals, verdicts) into <results>/studies/<name>: findings.json and report.html')
    .argument('<name>', `the study, or 'findings' to regenerate docs/FINDINGS.md from every findings.json under --results`)
    .option('--budget <budget>', "which of the study's budgets (default: the study's default)")
    .addOption(new Option('--backend <backend>', 'inline: every run in this process; local: a pool of processes; slurm: job arrays (rerun the command when they finish)').choices(['inline', 'local', 'slurm']).default('inline'))
    .option('--jobs <n>', 'processes at once with --backend local', positiveIntArg, 1)
    .option('--results <dir>', 'results root: the study goes to <dir>/studies/<name>[-<budget>]', 'results')
    .option('--data-dir <dir>', 'the folder holding the real datasets a budget reads (the budget\'s description says which)')
    .option('--weights <file>', 'pretrained weights (safetensors with torchvision names) for budgets that start from them')
    .addHelpText('after', `\nStudies:\n${list}`)
    .action(async (name: string, o) => {
      const { studyCommand: run } = await import('../../experiments/studies/command.node.ts');
      process.exit(await run(name, o));
    });
}
