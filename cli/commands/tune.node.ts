// `samgpu tune [preset|config]`: tune the kernels a run of that config uses (its training step
// and evaluation, on this machine's adapter), store the choices in the cache, print the table.
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { init } from '../../engine/node.ts';
import { SamgpuError } from '../../engine/device/errors.ts';
import { tuneStoreLocation, type TuneRow } from '../../engine/tune/tuner.ts';
import { PRESETS, presetConfig } from '../../experiments/runner/presets.ts';
import { pretune } from '../../experiments/runner/pretune.node.ts';
import { validateConfig } from '../../experiments/runner/config.ts';

const DEFAULT_PRESET = 'fmnist-mnist-embedded';

/** The tuning table: one row per shape class, the chosen variant against the default. */
export function tuneTable(rows: readonly TuneRow[]): string {
  const ms = (r: TuneRow, v: string) => (r.ms[v] === undefined ? '—' : r.ms[v].toFixed(3));
  const lines = ['| op | instance | chosen | default | chosen ms | default ms | default / chosen | timed | rejected | source |', '|---|---|---|---|---:|---:|---:|---:|---:|---|'];
  for (const r of rows) {
    const speed = r.ms[r.variant] && r.ms[r.defaultVariant] ? `${(r.ms[r.defaultVariant] / r.ms[r.variant]).toFixed(2)}×` : '—';
    const rejected = Object.keys(r.rejected);
    lines.push(`| ${r.family} | ${r.instance} | ${r.variant} | ${r.defaultVariant} | ${ms(r, r.variant)} | ${ms(r, r.defaultVariant)} | ${speed} | ${Object.keys(r.ms).length} | ${rejected.length ? rejected.join(', ') : 0} | ${r.cached ? 'cache' : 'timed now'} |`);
  }
  return lines.join('\n');
}

export function tuneCommand(program: Command): Command {
  return program
    .command('tune')
    .description('time the kernel variants a run of this config uses on this adapter, keep the fastest (cached per adapter), print the table')
    .argument('[config]', `a config file or a preset (${Object.keys(PRESETS).join(', ')}; default ${DEFAULT_PRESET})`)
    .option('--data-dir <dir>', 'folder with the dataset files (real data sets)')
    .option('--retune', 'time again the shape classes already in the cache')
    .option('--json', 'print the rows as JSON')
    .action(async (arg: string | undefined, o: { dataDir?: string; retune?: boolean; json?: boolean }) => {
      const name = arg ?? DEFAULT_PRESET;
      let raw: Record<string, unknown>;
      if (PRESETS[name]) raw = presetConfig(name, { dataDir: o.dataDir });
      else if (existsSync(name)) {
        try {
          raw = JSON.parse(readFileSync(name, 'utf8'));
        } catch (e) {
          throw new SamgpuError(`tune: ${name} is not valid JSON (${(e as Error).message})`);
        }
        if (o.dataDir) raw.dataset = { ...(raw.dataset as object), dataDir: o.dataDir };
      } else throw new SamgpuError(`tune: '${name}' is neither a preset (${Object.keys(PRESETS).join(', ')}) nor a config file`);
      const cfg = validateConfig(raw); // config errors before the device starts
      const rt = await init();
      if (process.env.SAMGPU_TUNE === 'off') console.error('tune: SAMGPU_TUNE=off: nothing is timed; the table lists the built-in defaults');
      const { rows, seconds } = await pretune(rt, cfg, {
        retune: o.retune,
        log: (l) => console.error(`  ${l}`),
        onPlanned: (n, what) => console.error(`tune: ${what} on ${rt.gpu.describe()}: ${n} shape classes`),
      });
      if (o.json) console.log(JSON.stringify({ adapter: rt.gpu.describe(), seconds, store: tuneStoreLocation(rt), rows }, null, 1));
      else {
        console.log(tuneTable(rows));
        const timed = rows.filter((r) => !r.cached).length;
        console.log(`\n${rows.length} shape classes (${timed} timed now, ${rows.length - timed} from the cache) in ${seconds.toFixed(1)} s; choices stored in ${tuneStoreLocation(rt)}`);
      }
      process.exit(0);
    });
}
