// Hand-written, self-contained SVG line charts (no dependencies): axes with ticks, grid, optional
// log scales, mean lines with ± bands, dashed series, a legend. Used by the experiment reports.

export interface Series {
  name: string;
  color: string;
  /** SVG stroke-dasharray, e.g. '6 4' (solid when absent). */
  dash?: string;
  points: [number, number][];
  /** Shaded band [x, low, high] (e.g. mean ± sd). */
  band?: [number, number, number][];
  /** Omit from the legend. */
  hideLegend?: boolean;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  xLog?: boolean;
  yLog?: boolean;
  /** Fixed axis ranges (else from the data). */
  xRange?: [number, number];
  yRange?: [number, number];
  width?: number;
  height?: number;
  /** Room for the legend right of the plot (default 170 px). */
  legendWidth?: number;
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const fmt = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(0) : String(+v.toPrecision(4)));

/** About five round ticks over [lo, hi] (linear), or the powers of ten within it (log). */
export function ticks(lo: number, hi: number, log: boolean): number[] {
  if (log) {
    // Decades; 1-2-5 steps when fewer than two decades fit; linear ticks for a narrower range.
    for (const mult of [[1], [1, 2, 5]]) {
      const out: number[] = [];
      for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
        for (const m of mult) if (m * 10 ** e >= lo * (1 - 1e-9) && m * 10 ** e <= hi * (1 + 1e-9)) out.push(+(m * 10 ** e).toPrecision(12));
      }
      if (out.length >= 2) return out;
    }
    return ticks(lo, hi, false).filter((v) => v > 0);
  }
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

function extent(values: number[], log: boolean): [number, number] {
  const v = values.filter((x) => Number.isFinite(x) && (!log || x > 0));
  if (!v.length) return log ? [1, 10] : [0, 1];
  let lo = Math.min(...v);
  let hi = Math.max(...v);
  if (log) {
    if (lo === hi) return [lo / 2, hi * 2];
    const pad = (Math.log10(hi) - Math.log10(lo)) * 0.03;
    return [lo / 10 ** pad, hi * 10 ** pad];
  }
  if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5];
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

/** 32-bit FNV-1a of a string's UTF-16 code units. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export function lineChart(o: ChartOptions): string {
  const W = o.width ?? 620;
  const H = o.height ?? 380;
  const m = { l: 64, r: o.legendWidth ?? 170, t: 34, b: 50 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const usable = (p: [number, number]) => Number.isFinite(p[0]) && Number.isFinite(p[1]) && (!o.xLog || p[0] > 0) && (!o.yLog || p[1] > 0);
  const xs = o.series.flatMap((s) => s.points.filter(usable).map((p) => p[0]));
  const ys = o.series.flatMap((s) => [...s.points.filter(usable).map((p) => p[1]), ...(s.band ?? []).flatMap((b) => [b[1], b[2]])]);
  const [x0, x1] = o.xRange ?? extent(xs, !!o.xLog);
  const [y0, y1] = o.yRange ?? extent(ys, !!o.yLog);
  const tx = (v: number) => (o.xLog ? Math.log10(v / x0) / Math.log10(x1 / x0) : (v - x0) / (x1 - x0));
  const ty = (v: number) => (o.yLog ? Math.log10(v / y0) / Math.log10(y1 / y0) : (v - y0) / (y1 - y0));
  const sx = (v: number) => +(m.l + pw * tx(v)).toFixed(2);
  const sy = (v: number) => +(m.t + ph * (1 - Math.min(1.02, Math.max(-0.02, ty(v))))).toFixed(2);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${m.l + pw / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(o.title)}</text>`);
  // Ids are global in an HTML page that inlines several charts: one per chart, from its title.
  const clip = `plot-${fnv1a(o.title).toString(36)}`;
  out.push(`<defs><clipPath id="${clip}"><rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}"/></clipPath></defs>`);
  for (const v of ticks(x0, x1, !!o.xLog)) {
    const x = sx(v);
    out.push(`<line x1="${x}" y1="${m.t}" x2="${x}" y2="${m.t + ph}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${x}" y="${m.t + ph + 16}" text-anchor="middle">${fmt(v)}</text>`);
  }
  for (const v of ticks(y0, y1, !!o.yLog)) {
    const y = sy(v);
    out.push(`<line x1="${m.l}" y1="${y}" x2="${m.l + pw}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.l - 6}" y="${y + 4}" text-anchor="end">${fmt(v)}</text>`);
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${m.l + pw / 2}" y="${H - 10}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(o.yLabel)}</text>`);
  out.push(`<g clip-path="url(#${clip})">`);
  for (const s of o.series) {
    const band = (s.band ?? []).filter((b) => usable([b[0], b[1]]) && usable([b[0], b[2]]));
    if (band.length > 1) {
      const pts = [...band.map((b) => `${sx(b[0])},${sy(b[2])}`), ...band.reverse().map((b) => `${sx(b[0])},${sy(b[1])}`)];
      out.push(`<polygon points="${pts.join(' ')}" fill="${s.color}" fill-opacity="0.12" stroke="none"/>`);
    }
  }
  for (const s of o.series) {
    const pts = s.points.filter(usable).map((p) => `${sx(p[0])},${sy(p[1])}`);
    if (pts.length === 1) out.push(`<circle cx="${pts[0].split(',')[0]}" cy="${pts[0].split(',')[1]}" r="3" fill="${s.color}"/>`);
    else if (pts.length) out.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${s.color}" stroke-width="1.8"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
  }
  out.push('</g>');
  const legend = o.series.filter((s) => !s.hideLegend);
  legend.forEach((s, i) => {
    const y = m.t + 8 + i * 18;
    const x = m.l + pw + 12;
    out.push(`<line x1="${x}" y1="${y}" x2="${x + 24}" y2="${y}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    out.push(`<text x="${x + 30}" y="${y + 4}">${escapeXml(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
