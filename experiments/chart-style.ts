// One visual language for every chart the project draws (report.html, the toy page, the demo):
// a colour per optimizer, and line styles that always mean the same thing.
//
//   solid   a quantity at the real parameters θ: λ, the loss at θ, v (and the hard feature)
//   dashed  the same quantity at SAM's phantom point θ̃: λ̃, the loss at θ̃, ṽ
//   dotted  the easy feature, where a chart shows both features of one run
//   grey dotted  a reference: uniform weights (the Lorenz diagonal), chance level
//
// Pure data and small helpers, no DOM: imported by the Node reports and the browser page alike.

/** Tableau 10 colours, one per optimizer (and per one-mechanism toy variant). */
export const OPTIMIZER_COLORS: Record<string, string> = {
  sgd: '#4e79a7',
  sam: '#e15759',
  lsam: '#f28e2b',
  asam: '#9c755f',
  'phantom-weights': '#59a14f',
  'phantom-head': '#b07aa1',
  'phantom-both': '#76b7b2',
};

/** The studies' arms beyond the optimizers: the oracle (trained on the hard feature alone) and the untrained reference. */
export const ARM_COLORS: Record<string, string> = { ...OPTIMIZER_COLORS, oracle: '#59a14f', untrained: '#999999' };

/** A colour for anything else (an unknown optimizer name). */
export const OTHER_COLOR = '#555555';
export const REFERENCE_COLOR = '#999999';

/** SVG stroke-dasharray values (undefined: solid). */
export const LINE = {
  /** At θ: λ, the loss, v. */
  real: undefined,
  /** At SAM's phantom point θ̃: λ̃, the loss at θ̃, ṽ. */
  phantom: '6 4',
  /** Uniform weights, chance level. */
  reference: '2 3',
} as const;

/** When one chart shows both features of a run: the hard feature solid, the easy one dotted. */
export const FEATURE_DASH: Record<'easy' | 'hard', string | undefined> = { easy: '1.5 3', hard: undefined };

/** The legend's sentence for the line styles. */
export const LINE_STYLE_NOTE = 'solid: at the parameters θ (λ); dashed: at SAM\'s phantom point θ̃ (λ̃)';

export function optimizerColor(optimizer: string): string {
  return OPTIMIZER_COLORS[optimizer.toLowerCase()] ?? OTHER_COLOR;
}

function mix(hex: string, toward: number, amount: number): string {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return '#' + c.map((v) => Math.round(v + (toward - v) * amount).toString(16).padStart(2, '0')).join('');
}

/**
 * The colour of the k-th run (0-based) of an optimizer when several are overlaid: the
 * optimizer's colour first, then darker and lighter shades of it, so a run's family stays visible.
 */
export function runColor(optimizer: string, k: number): string {
  const base = optimizerColor(optimizer);
  if (k <= 0) return base;
  const step = Math.ceil(k / 2);
  const amount = Math.min(0.75, 0.3 * step);
  return k % 2 === 1 ? mix(base, 0, amount) : mix(base, 255, amount);
}
