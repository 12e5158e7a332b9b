// Every `samgpu` subcommand, in the order `samgpu --help` lists them. A subcommand is one file
// here exporting `(program) => Command`; adding one is that file and one line below.
import type { Command } from 'commander';
import { runCommand } from './run.node.ts';
import { sweepCommand } from './sweep.node.ts';
import { reportCommand } from './report.node.ts';
import { toyCommand } from './toy.node.ts';
import { infoCommand } from './info.node.ts';
import { studyCommand } from './study.node.ts';

export const COMMANDS: ((program: Command) => Command)[] = [runCommand, sweepCommand, studyCommand, reportCommand, toyCommand, infoCommand];
