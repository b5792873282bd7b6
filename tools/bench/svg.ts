/**
 * The benchmark plot as a self-contained SVG (no dependencies): time to
 * /init and MemAvailable at /init against payload size, one line per mode
 * through the medians, a bar from min to max at each point. Pure.
 */
import type { CellSummary, Metric } from './aggregate.js';
import type { ReportMode } from './table.js';
import { escapeXml } from '../common/xml.js';

export interface PlotInput {
  title: string;
  subtitle?: string;
  modes: ReportMode[];
  cells: CellSummary[];
}

interface Panel {
  metric: Metric;
  label: string;
  scale: number;
}

const PANELS: Panel[] = [
  { metric: 'initUptimeS', label: 'time to /init (s)', scale: 1 },
  { metric: 'memAvailableKb', label: 'MemAvailable at /init (MiB)', scale: 1024 },
];

/** Colour-blind-safe palette (Okabe–Ito; its yellow last, as it is faint on white), then greys. */
const COLOURS = ['#E69F00', '#56B4E9', '#009E73', '#CC79A7', '#0072B2', '#D55E00', '#000000', '#F0E442', '#777777', '#BBBBBB'];

/** A "nice" tick step (1, 2, 5 × 10^k) giving about `count` ticks over `span`. */
export function niceStep(span: number, count = 5): number {
  if (!(span > 0)) return 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
}

/** Ticks from at or below `min` to the first at or above `max`, so the axis covers every value. */
export function ticks(min: number, max: number, count = 5): number[] {
  const step = niceStep(max - min, count);
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  const out: number[] = [];
  // Integers times the step, rounded: 0.1 + 0.2 must print as 0.3.
  for (let i = first; i <= last; i++) out.push(Number((i * step).toPrecision(12)));
  return out;
}

const r1 = (n: number): string => (Math.round(n * 10) / 10).toString();

export function renderSvg(input: PlotInput): string {
  const cells = input.cells.filter((c) => !c.read);
  const modes = input.modes.filter((m) => cells.some((c) => c.mode === m.name));
  const sizesMiB = [...new Set(cells.map((c) => c.sizeBytes))].sort((a, b) => a - b).map((b) => b / 1024 ** 2);
  const panelW = 360;
  const panelH = 260;
  const left = 70;
  const gap = 90;
  const top = 84;
  const legendX = left + 2 * panelW + gap + 20;
  const W = legendX + 160;
  const H = top + panelH + 60;
  const xMax = Math.max(1, ...sizesMiB);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${left}" y="24" font-size="16" font-weight="bold">${escapeXml(input.title)}</text>`,
  );
  if (input.subtitle) out.push(`<text x="${left}" y="44" fill="#444">${escapeXml(input.subtitle)}</text>`);
  PANELS.forEach((p, pi) => {
    const x0 = left + pi * (panelW + gap);
    const values = cells.flatMap((c) => {
      const s = c.stats[p.metric];
      return s ? [s.min / p.scale, s.max / p.scale] : [];
    });
    const yMaxRaw = values.length ? Math.max(...values) : 1;
    const yMinRaw = p.metric === 'initUptimeS' ? 0 : values.length ? Math.min(...values) : 0;
    const yt = ticks(yMinRaw, yMaxRaw * 1.05, 5);
    const yLo = yt[0] ?? 0;
    const yHi = Math.max(yt.at(-1) ?? 1, yLo + 1e-9);
    const X = (mib: number): number => x0 + (mib / xMax) * panelW;
    const Y = (v: number): number => top + panelH - ((v - yLo) / (yHi - yLo)) * panelH;
    out.push(`<g class="panel" data-metric="${p.metric}">`);
    out.push(`<text x="${x0}" y="${top - 10}" font-weight="bold">${escapeXml(p.label)}</text>`);
    for (const v of yt) {
      out.push(`<line x1="${x0}" y1="${r1(Y(v))}" x2="${x0 + panelW}" y2="${r1(Y(v))}" stroke="#e5e5e5"/>`);
      out.push(`<text x="${x0 - 6}" y="${r1(Y(v) + 4)}" text-anchor="end">${escapeXml(String(v))}</text>`);
    }
    for (const mib of sizesMiB) {
      out.push(`<line x1="${r1(X(mib))}" y1="${top + panelH}" x2="${r1(X(mib))}" y2="${top + panelH + 4}" stroke="#333"/>`);
      out.push(`<text x="${r1(X(mib))}" y="${top + panelH + 18}" text-anchor="middle">${mib}</text>`);
    }
    out.push(`<rect x="${x0}" y="${top}" width="${panelW}" height="${panelH}" fill="none" stroke="#333"/>`);
    out.push(`<text x="${x0 + panelW / 2}" y="${top + panelH + 38}" text-anchor="middle">payload (MiB, uncompressed)</text>`);
    modes.forEach((m, mi) => {
      const colour = COLOURS[mi % COLOURS.length]!;
      const pts = cells
        .filter((c) => c.mode === m.name && c.stats[p.metric])
        .sort((a, b) => a.sizeBytes - b.sizeBytes)
        .map((c) => ({ x: X(c.sizeBytes / 1024 ** 2), s: c.stats[p.metric]! }));
      if (pts.length === 0) return;
      const width = m.kind === 'kernel' ? 3 : 1.8;
      const dash = m.kind === 'two-stage' ? ' stroke-dasharray="6 3"' : '';
      out.push(`<g class="mode" data-mode="${escapeXml(m.name)}">`);
      out.push(`<polyline fill="none" stroke="${colour}" stroke-width="${width}"${dash} points="${pts.map((q) => `${r1(q.x)},${r1(Y(q.s.median / p.scale))}`).join(' ')}"/>`);
      for (const q of pts) {
        if (q.s.max > q.s.min) out.push(`<line x1="${r1(q.x)}" y1="${r1(Y(q.s.min / p.scale))}" x2="${r1(q.x)}" y2="${r1(Y(q.s.max / p.scale))}" stroke="${colour}" stroke-width="1"/>`);
        out.push(`<circle cx="${r1(q.x)}" cy="${r1(Y(q.s.median / p.scale))}" r="3" fill="${colour}"><title>${escapeXml(`${m.name}: ${(q.s.median / p.scale).toFixed(2)} (min ${(q.s.min / p.scale).toFixed(2)}, max ${(q.s.max / p.scale).toFixed(2)}, ${q.s.n} boots)`)}</title></circle>`);
      }
      out.push('</g>');
    });
    out.push('</g>');
  });
  modes.forEach((m, mi) => {
    const colour = COLOURS[mi % COLOURS.length]!;
    const y = top + 8 + mi * 20;
    const dash = m.kind === 'two-stage' ? ' stroke-dasharray="6 3"' : '';
    out.push(`<line x1="${legendX}" y1="${y}" x2="${legendX + 22}" y2="${y}" stroke="${colour}" stroke-width="${m.kind === 'kernel' ? 3 : 1.8}"${dash}/>`);
    out.push(`<text x="${legendX + 28}" y="${y + 4}">${escapeXml(m.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

export { escapeXml };
