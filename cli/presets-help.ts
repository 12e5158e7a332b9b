// `samgpu run --help`: each preset's defaults (the run config's defaults with the preset's
// values merged in), so a user sees what a flag overrides.
import { DEFAULTS } from '../experiments/runner/config.ts';
import { PRESETS } from '../experiments/runner/presets.ts';
import { NO_FILES } from './data-docs.ts';

export interface PresetDefaults {
  preset: string;
  dataset: string;
  model: string;
  optimizer: string;
  lr: number;
  rho: number;
  /** '–' for a step-counted preset. */
  epochs: number | '–';
  /** '–' for an epoch-counted preset (DomainBed counts steps). */
  steps: number | '–';
  batchSize: number;
  seed: number;
}

export function presetDefaults(name: string): PresetDefaults {
  const p = PRESETS[name];
  const o = { ...DEFAULTS.optimizer, ...p.optimizer };
  return {
    preset: name,
    dataset: NO_FILES.includes(p.dataset.name) ? `${p.dataset.name} (no files)` : `${p.dataset.name} (--data-dir)`,
    model: p.model?.name ?? DEFAULTS.model.name,
    optimizer: o.base && o.base !== 'sgd' ? `${o.name}/${o.base}` : o.name,
    lr: o.lr,
    rho: o.rho,
    epochs: p.steps ? '–' : p.epochs ?? DEFAULTS.epochs!,
    steps: p.steps ?? '–',
    batchSize: p.batchSize ?? DEFAULTS.batchSize,
    seed: p.seed ?? DEFAULTS.seed,
  };
}

/** A plain-text table of every preset's defaults. */
export function presetsTable(): string {
  const head = ['preset', 'dataset', 'model', 'optimizer', 'lr', 'rho', 'epochs', 'steps', 'batch size', 'seed'];
  const rows = Object.keys(PRESETS).map((n) => {
    const d = presetDefaults(n);
    return [d.preset, d.dataset, d.model, d.optimizer, String(d.lr), String(d.rho), String(d.epochs), String(d.steps), String(d.batchSize), String(d.seed)];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => '  ' + cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}
