// `npm run study -- <name> [--budget B] [--backend inline|local|slurm] [--jobs N] [--results DIR] [--data-dir DIR]`:
// run (or continue) a study, then print its summary and where its page and findings are.
import { Command, Option } from 'commander';
import { init } from '../../engine/node.ts';
import { SamgpuError } from '../../engine/device/errors.ts';
import { studyByName, STUDIES } from './index.ts';
import { runStudy, studyDir } from './study.node.ts';
import { writeFindingsDoc } from './findings-doc.node.ts';

export async function studyCommand(name: string, o: { budget?: string; backend?: 'inline' | 'local' | 'slurm'; jobs?: number; results?: string; dataDir?: string }): Promise<number> {
  const study = studyByName(name);
  await init();
  const budget = o.budget ?? study.defaultBudget;
  const out = await runStudy(study, { budget, backend: o.backend, jobs: o.jobs, dir: o.results ? studyDir(study, budget, o.results) : undefined, dataDir: o.dataDir });
  if (out.status === 'waiting') {
    console.log(out.message);
    return 0;
  }
  console.log(['', ...out.result.summary, '', `findings: ${out.findingsPath}`, `report:   ${out.dir}/report.html`].join('\n'));
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const program = new Command('study')
    .description(`run a study: ${Object.values(STUDIES).map((s) => `${s.name} (${Object.keys(s.budgets).join(', ')})`).join('; ')}`)
    .argument('<name>', 'the study, or `findings` to regenerate docs/FINDINGS.md from the findings.json files under --results')
    .option('--budget <budget>', 'which of the study\'s budgets (default: its default)')
    .addOption(new Option('--backend <backend>', 'inline: in this process; local: a pool of processes; slurm: job arrays').choices(['inline', 'local', 'slurm']).default('inline'))
    .option('--jobs <n>', 'processes at once with --backend local', (v) => Number(v))
    .option('--results <dir>', 'results root (the study goes to <dir>/studies/<name>)', 'results')
    .option('--data-dir <dir>', 'the folder holding the real datasets a budget reads (its description says which)')
    .action(async (name: string, o) => {
      if (name === 'findings') {
        const r = writeFindingsDoc([o.results]);
        console.log(`${r.path}: ${r.studies} findings file(s) from ${o.results}`);
        return;
      }
      process.exitCode = await studyCommand(name, o);
    });
  try {
    await program.parseAsync();
  } catch (e) {
    if (e instanceof SamgpuError) {
      console.error(`samgpu: ${e.message}`);
      process.exit(1);
    }
    throw e;
  }
  process.exit(process.exitCode ?? 0);
}
