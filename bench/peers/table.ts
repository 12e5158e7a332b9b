// The `peers` section of bench/RESULTS.md: one side-by-side table (samgpu first, ratios = peer
// time / samgpu time), matmul GFLOP/s, and the checks that each engine did the same work.
import { CONV_LAYERS, MATMUL_SIZES, rowKey, type PeerReport, type Timing } from './common.ts';

const ms = (t: Timing | undefined) => (t ? (t.ms >= 100 ? t.ms.toFixed(0) : t.ms.toFixed(1)) : '—');
const load = (t: Timing | undefined) => (t ? (t.other === null ? '?' : t.other.toFixed(2)) : '—');

function rows(): { key: string; label: string }[] {
  const out = [
    { key: rowKey.step('sgd'), label: 'small-CNN step, SGD' },
    { key: rowKey.step('sam'), label: 'small-CNN step, SAM' },
    { key: rowKey.resnet('sgd'), label: 'ResNet-18 step (32×32, batch 16), SGD' },
    { key: rowKey.resnet('sam'), label: 'ResNet-18 step (32×32, batch 16), SAM' },
    { key: rowKey.matmul(1024), label: 'matmul 1024³' },
  ];
  CONV_LAYERS.forEach((l, i) => {
    for (const [w, name] of [['fwd', 'forward'], ['dx', 'input grad'], ['dw', 'weight grad']] as const) out.push({ key: rowKey.conv(i, w), label: `${l.name} ${name}` });
  });
  return out;
}

/** The losses behind a step row (the small CNN's are stored as 'sgd' / 'sam', ResNet-18's under the row key). */
const lossesOf = (r: PeerReport, key: string): number[] => r.losses[key.startsWith('step.') ? key.slice(5) : key] ?? [];

const relDiff = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-30);
export const CHECK_TOLERANCE = 1e-3;

/** Did the timed work produce the right result? No device errors meanwhile; steps: finite, falling losses; ops: Σout² as samgpu's. */
function valid(r: PeerReport, key: string, ours: PeerReport): boolean {
  if (r.invalid?.includes(key)) return false;
  if (key.startsWith('step.') || key.startsWith('resnet.')) {
    const l = lossesOf(r, key);
    return l.length > 1 && l.every(Number.isFinite) && l[l.length - 1] < l[0];
  }
  return !(key in r.checks && key in ours.checks) || relDiff(r.checks[key], ours.checks[key]) <= CHECK_TOLERANCE;
}

export function sideBySide(reports: PeerReport[]): string[] {
  const [ours, ...peers] = reports;
  const head = ['', `${ours.engine} ms`];
  for (const p of peers) head.push(`${p.engine} ms`, `${p.engine} / samgpu`);
  head.push(`other load (cores): ${reports.map((r) => r.engine).join(' / ')}`);
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i ? '---:' : '---')).join('|')}|`];
  for (const { key, label } of rows()) {
    const base = ours.timings[key];
    const baseOk = valid(ours, key, ours);
    const cells = [label, `${ms(base)}${base && !baseOk ? ' ✗' : ''}`];
    for (const p of peers) {
      const t = p.timings[key];
      const ok = valid(p, key, ours);
      cells.push(`${ms(t)}${t && !ok ? ' ✗' : ''}`, t && base && ok && baseOk ? `${(t.ms / base.ms).toFixed(2)}×` : '—');
    }
    cells.push(reports.map((r) => load(r.timings[key])).join(' / '));
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines;
}

export function matmulTable(reports: PeerReport[]): string[] {
  const head = ['n', ...reports.map((r) => `${r.engine} GFLOP/s`)];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const n of MATMUL_SIZES) {
    const g = (r: PeerReport) => {
      const t = r.timings[rowKey.matmul(n)];
      return t ? ((2 * n ** 3) / (t.ms * 1e6)).toFixed(1) : '—';
    };
    lines.push(`| ${n} | ${reports.map(g).join(' | ')} |`);
  }
  return lines;
}

/** Losses fall over the steps, start where samgpu's start (same weights and data), and each op's Σout² matches samgpu's. */
export function sanity(reports: PeerReport[]): string[] {
  const [ours] = reports;
  const lines = ['| engine | model, optimizer | loss, first → last of the steps run | falls | max |loss − samgpu loss| over the steps |', '|---|---|---|---|---|'];
  for (const r of reports) {
    for (const [key, label] of [[rowKey.step('sgd'), 'small CNN, sgd'], [rowKey.step('sam'), 'small CNN, sam'], [rowKey.resnet('sgd'), 'ResNet-18, sgd'], [rowKey.resnet('sam'), 'ResNet-18, sam']]) {
      const l = lossesOf(r, key);
      if (!l.length) continue;
      const o = lossesOf(ours, key);
      const diffs = l.slice(0, o.length).map((v, i) => Math.abs(v - o[i]));
      const falls = l.every((v) => Number.isFinite(v)) && l[l.length - 1] < l[0];
      lines.push(`| ${r.engine} | ${label} | ${l[0].toFixed(5)} → ${l[l.length - 1].toFixed(5)} (${l.length} steps) | ${falls ? 'yes' : '**NO**'} | ${diffs.length ? Math.max(...diffs).toExponential(1) : '—'} |`);
    }
  }
  lines.push('');
  for (const r of reports.slice(1)) {
    const keys = Object.keys(r.checks).filter((k) => k in ours.checks);
    if (!keys.length) continue;
    const worst = keys.map((k) => [k, relDiff(r.checks[k], ours.checks[k])] as const).sort((a, b) => b[1] - a[1]);
    const bad = worst.filter(([, d]) => d > CHECK_TOLERANCE);
    lines.push(`- ${r.engine}: Σout² of ${keys.length} op outputs (matmuls, conv fwd/dx/dw on the same inputs) within ${worst[0][1].toExponential(1)} (relative) of samgpu's${bad.length ? `; **differ**: ${bad.map(([k, d]) => `${k} ${d.toExponential(1)}`).join(', ')}` : ''}.`);
  }
  return lines;
}

/** SAM step / SGD step per engine and model (two forward–backward passes make 2.0). */
export function samOverSgd(reports: PeerReport[]): string {
  const ratios = (key: (opt: 'sgd' | 'sam') => string) =>
    reports.flatMap((r) => {
      const a = r.timings[key('sam')], b = r.timings[key('sgd')];
      return a && b ? [`${r.engine} ${(a.ms / b.ms).toFixed(2)}`] : [];
    });
  return `SAM step / SGD step (two forward–backward passes alone make 2.0): small CNN ${ratios(rowKey.step).join(', ')}; ResNet-18 ${ratios(rowKey.resnet).join(', ') || '—'}.`;
}
