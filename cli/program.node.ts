// The `samgpu` command line: the program with --version and every subcommand (cli/commands/).
import { Command } from 'commander';
import { COMMANDS } from './commands/index.node.ts';
import { packageJson } from './package.node.ts';

export function buildProgram(): Command {
  const program = new Command('samgpu')
    .description('WebGPU training engine and the experiments of "Sharpness-Aware Minimization Enhances Feature Quality via Balanced Learning" (ICLR 2024)')
    .version(packageJson().version, '-V, --version', 'print the samgpu version')
    .showHelpAfterError();
  for (const add of COMMANDS) add(program).exitOverride();
  return program;
}
