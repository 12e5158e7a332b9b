// An interval plot for paired findings: one row per statistic, each seed's value as a dot, the
// mean as a tick and its 95% interval as a bar, with zero marked — what a verdict rests on, shown
// whole. Self-contained SVG like svg.ts.
import { escapeXml, ticks } from '../svg.ts';

export interface ForestRow {
  label: string;
  values: number[];
  mean: number;
  lo: number;
  hi: number;
  /** Bar colour (e.g. by verdict). */
  color: string;
}

const fmt = (v: number) => String(+v.toPrecision(3));

export function forestPlot(o: { title: string; xLabel: string; rows: ForestRow[]; width?: number }): string {
  const width = o.width ?? 760;
  const labelW = 300;
  const rowH = 30;
  const top = 36;
  const bottom = 44;
  const height = top + bottom + rowH * o.rows.length;
  const all = o.rows.flatMap((r) => [...r.values, r.lo, r.hi, r.mean]).filter(Number.isFinite);
  let lo = Math.min(0, ...all);
  let hi = Math.max(0, ...all);
  const pad = (hi - lo || 1) * 0.06;
  lo -= pad;
  hi += pad;
  const x0 = labelW + 10;
  const x1 = width - 20;
  const sx = (v: number) => x0 + ((v - lo) / (hi - lo)) * (x1 - x0);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14">${escapeXml(o.title)}</text>`,
  ];
  for (const t of ticks(lo, hi, false)) {
    const x = sx(t);
    parts.push(`<line x1="${x}" y1="${top - 6}" x2="${x}" y2="${height - bottom}" stroke="#eee"/>`);
    parts.push(`<text x="${x}" y="${height - bottom + 16}" text-anchor="middle" fill="#444">${fmt(t)}</text>`);
  }
  parts.push(`<line x1="${sx(0)}" y1="${top - 6}" x2="${sx(0)}" y2="${height - bottom}" stroke="#555" stroke-dasharray="4 3"/>`);
  parts.push(`<text x="${(x0 + x1) / 2}" y="${height - 8}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  o.rows.forEach((r, i) => {
    const y = top + rowH * i + rowH / 2;
    parts.push(`<text x="${labelW}" y="${y + 4}" text-anchor="end">${escapeXml(r.label)}</text>`);
    if (Number.isFinite(r.lo) && Number.isFinite(r.hi)) {
      parts.push(`<line x1="${sx(r.lo)}" y1="${y}" x2="${sx(r.hi)}" y2="${y}" stroke="${r.color}" stroke-width="3"/>`);
      for (const e of [r.lo, r.hi]) parts.push(`<line x1="${sx(e)}" y1="${y - 6}" x2="${sx(e)}" y2="${y + 6}" stroke="${r.color}" stroke-width="2"/>`);
    }
    r.values.forEach((v, j) => {
      // seeds spread a little vertically so equal values stay visible
      const dy = (j % 3) * 4 - 4;
      if (Number.isFinite(v)) parts.push(`<circle cx="${sx(v)}" cy="${y + dy}" r="3" fill="none" stroke="#333"/>`);
    });
    if (Number.isFinite(r.mean)) parts.push(`<rect x="${sx(r.mean) - 1.5}" y="${y - 9}" width="3" height="18" fill="${r.color}"/>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
