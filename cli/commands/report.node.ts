// `samgpu report <results-dir>`: report.html (and its SVGs) from the finished runs.
import type { Command } from 'commander';
import { resolve } from 'node:path';

export function reportCommand(program: Command): Command {
  return program
    .command('report')
    .description('report.html (and SVGs) from the finished runs under a results folder')
    .argument('<results-dir>', 'the folder holding the run folders (what `samgpu run --results` wrote to)')
    .action(async (dir: string) => {
      const { writeReport } = await import('../../experiments/report/report.node.ts');
      console.log(`report: ${writeReport(resolve(dir))}`);
      process.exit(0);
    });
}
