// Checks of a chart drawn by experiments/svg.ts, read back from its SVG text: every drawn point
// lies inside the plot frame (the axis ranges contain the data: svg.ts clamps values outside
// the y range to just past the frame, so a clamped point shows as outside), and every drawn
// series has a legend entry in its colour and dash.

interface Stroke {
  color: string;
  dash: string;
}

const attr = (el: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(el)?.[1] ?? '';

/** What is wrong with one chart (empty: nothing). `name` goes into the messages. */
export function chartProblems(svg: string, name: string): string[] {
  const problems: string[] = [];
  const frameEl = /<rect [^>]*fill="none" stroke="#333"\/>/.exec(svg)?.[0];
  if (!frameEl) return [`${name}: no plot frame`];
  const [x, y, w, h] = ['x', 'y', 'width', 'height'].map((k) => Number(attr(frameEl, k)));
  const inside = (px: number, py: number) => px >= x - 0.5 && px <= x + w + 0.5 && py >= y - 0.5 && py <= y + h + 0.5;
  const plot = /<g clip-path="[^"]*">([\s\S]*?)<\/g>/.exec(svg)?.[1] ?? '';
  const drawn: Stroke[] = [];
  for (const el of plot.match(/<polyline [^>]*\/>/g) ?? []) {
    drawn.push({ color: attr(el, 'stroke'), dash: attr(el, 'stroke-dasharray') });
    const pts = attr(el, 'points').split(' ').map((p) => p.split(',').map(Number));
    const out = pts.filter(([px, py]) => !inside(px, py));
    if (out.length) problems.push(`${name}: ${out.length} of ${pts.length} points of the ${attr(el, 'stroke')} line lie outside the axes (e.g. ${out[0].join(',')}; frame ${x},${y} ${w}×${h})`);
  }
  for (const el of plot.match(/<circle [^>]*\/>/g) ?? []) {
    drawn.push({ color: attr(el, 'fill'), dash: '' });
    if (!inside(Number(attr(el, 'cx')), Number(attr(el, 'cy')))) problems.push(`${name}: a ${attr(el, 'fill')} point lies outside the axes`);
  }
  const after = svg.slice(svg.indexOf('</g>', svg.indexOf('clip-path="url(')));
  const legend = (after.match(/<line [^>]*\/>/g) ?? []).map((el) => ({ color: attr(el, 'stroke'), dash: attr(el, 'stroke-dasharray') }));
  for (const d of drawn) {
    if (!legend.some((l) => l.color === d.color && (l.dash === d.dash || d.dash === ''))) problems.push(`${name}: the ${d.color}${d.dash ? ` dashed (${d.dash})` : ''} line has no legend entry`);
  }
  return problems;
}

/** The SVG text of a `data:image/svg+xml` URL (what the demo's <img> elements show). */
export function svgOfDataUrl(url: string): string {
  const comma = url.indexOf(',');
  return decodeURIComponent(url.slice(comma + 1));
}

/** "issue #5", "(#12)", "of #5": product pages speak of the product only. */
export const ISSUE_NUMBER = /\bissues?\s*#?\d+|(^|[\s(])#\d+\b/i;
