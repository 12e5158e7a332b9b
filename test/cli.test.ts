// The `samgpu` command's surface, checked in-process (no GPU, no spawn): --version, help text
// that describes every flag of every subcommand and shows the presets' defaults, flags merged
// into the config (--batch-size), and the missing-data-folder message pointing at a heading of
// docs/DATA.md that exists.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { buildProgram } from '../cli/program.node.ts';
import { loadConfigArg } from '../cli/commands/run.node.ts';
import { DATA_ANCHORS, dataDocLink } from '../cli/data-docs.ts';
import { presetDefaults } from '../cli/presets-help.ts';
import { PRESETS } from '../experiments/runner/presets.ts';

const root = new URL('..', import.meta.url).pathname;

/** Every command below `c`, depth first (sweep's status / resubmit / cell included). */
const allCommands = (c: Command): Command[] => c.commands.flatMap((s) => [s, ...allCommands(s)]);

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');

describe('samgpu command line', () => {
  const program = buildProgram();

  it('--version prints the package version', () => {
    assert.equal(program.version(), JSON.parse(readFileSync(`${root}package.json`, 'utf8')).version);
  });

  it('has run, sweep, study, report, toy and info, and every flag of every subcommand says what it does', () => {
    assert.deepEqual(program.commands.map((c) => c.name()), ['run', 'sweep', 'study', 'report', 'toy', 'info', 'tune']);
    for (const c of allCommands(program)) {
      assert.ok(c.description().length > 20, `${c.name()} has a description`);
      for (const o of c.options) {
        if (o.hidden) continue;
        assert.ok(o.description && o.description.length > 8, `${c.name()} ${o.flags} is described: '${o.description}'`);
      }
      for (const a of c.registeredArguments) assert.ok(a.description.length > 8, `${c.name()} <${a.name()}> is described`);
    }
  });

  it('run --help shows each preset with its defaults and takes --batch-size', () => {
    const run = program.commands.find((c) => c.name() === 'run')!;
    let help = '';
    run.configureOutput({ writeOut: (s) => (help += s) });
    run.outputHelp();
    assert.match(help, /--batch-size <n>\s+minibatch size/);
    for (const name of Object.keys(PRESETS)) {
      const d = presetDefaults(name);
      const row = help.split('Presets and their defaults')[1].split('\n').find((l) => l.trim().startsWith(`${name} `));
      assert.ok(row, `the preset table has ${name}`);
      assert.deepEqual(row.trim().split(/\s+/).slice(-6), [d.lr, d.rho, d.epochs, d.steps, d.batchSize, d.seed].map(String), `${name}: lr, ρ, epochs, steps, batch size, seed`);
    }
    assert.equal(loadConfigArg('synthetic', { batchSize: 7 }).batchSize, 7);
    assert.equal(loadConfigArg('synthetic', {}).batchSize, PRESETS.synthetic.batchSize);
  });

  it('toy --help describes its options with their defaults', () => {
    const toy = program.commands.find((c) => c.name() === 'toy')!;
    const help = toy.helpInformation();
    for (const flag of ['--out <dir>', '--seeds <list>', '--steps <n>', '--config <json>', '--jobs <n>']) assert.match(help, new RegExp(`${flag}\\s+\\w`), flag);
    assert.match(help, /\(default: 1000\)/);
    assert.doesNotMatch(help, /--worker|--part/);
  });

  it('a dataset read from files, run without --data-dir, names the flag and the section of docs/DATA.md', () => {
    const anchors = new Set(readFileSync(`${root}docs/DATA.md`, 'utf8').split('\n').filter((l) => /^#+ /.test(l)).map((l) => slug(l.replace(/^#+ /, ''))));
    for (const [dataset, anchor] of Object.entries(DATA_ANCHORS)) assert.ok(anchors.has(anchor), `docs/DATA.md has #${anchor} (${dataset})`);
    for (const [preset, dataset] of [['fmnist-mnist', 'fmnist-mnist'], ['cifar-mnist', 'cifar-mnist'], ['celeba-smoke', 'celeba'], ['waterbirds-dfr', 'waterbirds'], ['domainbed-pacs', 'domainbed']]) {
      assert.throws(() => loadConfigArg(preset, {}), (e: Error) => e.message === `run ${preset}: the ${dataset} dataset is read from its files on disk (nothing is downloaded): pass --data-dir DIR (expected layout: ${dataDocLink(dataset)})`);
    }
    assert.doesNotThrow(() => loadConfigArg('celeba-smoke', { dataDir: '/data/celeba' }));
    // generated and embedded datasets run without a folder (studies run their cells through the CLI)
    for (const preset of ['fmnist-mnist-embedded', 'synthetic', 'lms', 'toy', 'collage']) assert.doesNotThrow(() => loadConfigArg(preset, {}), preset);
    // --weights and --epochs over a step-counted preset
    const db = loadConfigArg('domainbed-pacs', { dataDir: '/d', weights: 'r50.safetensors', epochs: 2 });
    assert.equal((db.model as { weights: string }).weights, 'r50.safetensors');
    assert.equal(db.epochs, 2);
    assert.equal(db.steps, undefined);
  });
});
