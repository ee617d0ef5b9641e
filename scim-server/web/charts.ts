import { html, SafeHtml } from './html.ts';

/**
 * Server-rendered SVG charts for the dashboard: no client script and no inline style (colours
 * are SVG presentation attributes, which the Content-Security-Policy does not treat as styles),
 * so the strict CSP stays as it is. Each chart is `role="img"` with a `<title>` and a `<desc>`
 * that carry every number (WAI-ARIA graphics: https://www.w3.org/TR/graphics-aria-1.0/), and each
 * mark has its own `<title>` (a tooltip) and `data-` attributes the browser tests read.
 */

export interface Series { key: string; label: string; color: string }

/** Colours with at least 3:1 contrast against white (WCAG 2.1 §1.4.11 non-text contrast). */
export const COLORS = {
  onboarded: '#2e7d32', invited: '#1565c0', lapsed: '#616161', unmatched: '#c62828', guest: '#6a1b9a', exempted: '#8d6e00',
  completed: '#2e7d32', failed: '#c62828', cancelled: '#616161', calls: '#1565c0', throttled: '#e65100',
} as const;

const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif';
const TEXT = '#1f2933';
const MUTED = '#52606d';
const round = (n: number) => Math.round(n * 10) / 10;

/** The chart's frame: accessible name and description, sized by viewBox (it scales to its box). */
function svg(id: string, width: number, height: number, title: string, desc: string, body: SafeHtml[], standalone = false): SafeHtml {
  const ns = standalone ? html` xmlns="http://www.w3.org/2000/svg"` : html``;
  return html`<svg${ns} class="chart" id="${id}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${id}-title ${id}-desc" font-family="${FONT}" font-size="12" fill="${TEXT}"><title id="${id}-title">${title}</title><desc id="${id}-desc">${desc}</desc>${body}</svg>`;
}

function legend(series: Series[], values: Record<string, number> | undefined, y: number, width: number): SafeHtml[] {
  let x = 0;
  const out: SafeHtml[] = [];
  for (const s of series) {
    const text = values ? `${values[s.key] ?? 0} ${s.label}` : s.label;
    out.push(html`<g class="legend" data-legend="${s.key}"><rect x="${x}" y="${y}" width="10" height="10" rx="2" fill="${s.color}"/><text x="${x + 14}" y="${y + 9}">${text}</text></g>`);
    x += 28 + text.length * 7;
    if (x > width) break;
  }
  return out;
}

/**
 * One stacked bar: how many people of a hub stand where (onboarded / invited / unmatched / guest
 * / exempted), each segment as wide as its share, its count written in it when it fits.
 */
export function standingBar(id: string, hubLabel: string, counts: Record<string, number>, series: Series[], standalone = false): SafeHtml {
  const width = 640;
  const total = series.reduce((sum, s) => sum + (counts[s.key] ?? 0), 0);
  const desc = series.map((s) => `${counts[s.key] ?? 0} ${s.label}`).join(', ');
  const marks: SafeHtml[] = [];
  if (total === 0) {
    marks.push(html`<rect x="0" y="0" width="${width}" height="24" rx="4" fill="#e4e7eb"/><text x="8" y="16" fill="${MUTED}">No members yet (run a check for updates)</text>`);
  }
  let x = 0;
  for (const s of series) {
    const value = counts[s.key] ?? 0;
    if (total === 0 || value === 0) continue;
    const w = (value / total) * width;
    const pct = Math.round((value / total) * 100);
    marks.push(html`<g class="segment" data-segment="${s.key}" data-value="${value}"><rect x="${round(x)}" y="0" width="${round(w)}" height="24" fill="${s.color}"><title>${value} ${s.label} (${pct}%)</title></rect>${w >= 24 ? html`<text x="${round(x + w / 2)}" y="16" text-anchor="middle" fill="#fff" font-weight="600">${value}</text>` : ''}</g>`);
    x += w;
  }
  // The image on the hubs page has no legend of its own: the card's counts, coloured alike, are it.
  if (!standalone) marks.push(...legend(series, counts, 34, width));
  return svg(id, width, standalone ? 24 : 48, `Standing of ${hubLabel}: ${total} ${total === 1 ? 'person' : 'people'}`, desc, marks, standalone);
}

/** Horizontal bars, one per row, scaled to the largest value (the invite funnel, task durations). */
export interface BarRow { key: string; label: string; value: number; text: string; color: string; note?: string }

export function horizontalBars(id: string, title: string, desc: string, rows: BarRow[], empty: string): SafeHtml {
  const width = 640;
  const labelWidth = 220;
  const barSpace = width - labelWidth - 90;
  const rowHeight = 22;
  if (rows.length === 0) return svg(id, width, 24, title, empty, [html`<text x="0" y="16" fill="${MUTED}">${empty}</text>`]);
  const max = Math.max(...rows.map((r) => r.value), 1);
  const marks = rows.map((r, i) => {
    const y = i * rowHeight;
    const w = r.value > 0 ? Math.max(2, (r.value / max) * barSpace) : 0;
    const label = r.label.length > 34 ? `${r.label.slice(0, 33)}…` : r.label;
    return html`<g class="bar" data-bar="${r.key}" data-value="${r.value}"><text x="0" y="${y + 15}">${label}<title>${r.label}</title></text><rect x="${labelWidth}" y="${y + 3}" width="${round(w)}" height="${rowHeight - 6}" rx="2" fill="${r.color}"><title>${r.label}: ${r.text}${r.note ? ` (${r.note})` : ''}</title></rect><text x="${round(labelWidth + w + 6)}" y="${y + 15}">${r.text}</text></g>`;
  });
  return svg(id, width, rows.length * rowHeight + 4, title, desc, marks);
}

/** Counts per hour, stacked by series: 24 columns, oldest on the left, the current hour last. */
export interface HourBucket { start: number; values: Record<string, number> }

export function hourlyColumns(id: string, title: string, buckets: HourBucket[], series: Series[], empty: string): SafeHtml {
  const width = 640;
  const plotTop = 8;
  const plotHeight = 110;
  const left = 36;
  const colWidth = (width - left) / Math.max(buckets.length, 1);
  const totals = buckets.map((b) => series.reduce((sum, s) => sum + (b.values[s.key] ?? 0), 0));
  const max = Math.max(...totals, 0);
  const sums = Object.fromEntries(series.map((s) => [s.key, buckets.reduce((sum, b) => sum + (b.values[s.key] ?? 0), 0)]));
  const hour = (t: number) => `${new Date(t).toISOString().slice(11, 13)}:00`;
  const desc = max === 0 ? empty : `${series.map((s) => `${sums[s.key]} ${s.label}`).join(', ')} in the last ${buckets.length} hours (UTC). Busiest hour: ${hour(buckets[totals.indexOf(max)].start)} with ${max}.`;
  const marks: SafeHtml[] = [];
  const scaleMax = max === 0 ? 1 : niceCeiling(max);
  // Axis: baseline, the top value and the middle one.
  for (const v of [0, scaleMax / 2, scaleMax]) {
    const y = plotTop + plotHeight - (v / scaleMax) * plotHeight;
    marks.push(html`<line x1="${left}" x2="${width}" y1="${round(y)}" y2="${round(y)}" stroke="#cbd2d9" stroke-width="1"/><text x="${left - 4}" y="${round(y + 4)}" text-anchor="end" fill="${MUTED}" font-size="10">${Number.isInteger(v) ? v : round(v)}</text>`);
  }
  buckets.forEach((b, i) => {
    const x = left + i * colWidth;
    let y = plotTop + plotHeight;
    const parts: SafeHtml[] = [];
    for (const s of series) {
      const v = b.values[s.key] ?? 0;
      if (v === 0) continue;
      const h = (v / scaleMax) * plotHeight;
      y -= h;
      parts.push(html`<rect x="${round(x + 1)}" y="${round(y)}" width="${round(colWidth - 2)}" height="${round(h)}" fill="${s.color}" data-series="${s.key}" data-value="${v}"><title>${hour(b.start)}–${hour(b.start + 3_600_000)} UTC: ${v} ${s.label}</title></rect>`);
    }
    marks.push(html`<g class="hour" data-hour="${new Date(b.start).toISOString()}" data-total="${totals[i]}">${parts}</g>`);
    // Every sixth hour and the current one; the last label ends at the edge instead of crossing it.
    const last = i === buckets.length - 1;
    if (i % 6 === 0 || last) marks.push(html`<text x="${round(last ? width : x + colWidth / 2)}" y="${plotTop + plotHeight + 14}" text-anchor="${last ? 'end' : 'middle'}" fill="${MUTED}" font-size="10">${hour(b.start)}</text>`);
  });
  if (max === 0) marks.push(html`<text x="${left + 8}" y="${plotTop + plotHeight / 2}" fill="${MUTED}">${empty}</text>`);
  marks.push(...legend(series, sums, plotTop + plotHeight + 22, width));
  return svg(id, width, plotTop + plotHeight + 36, title, desc, marks);
}

/** 1, 2, 5 × 10^n at or above `n`, so the axis reads in round numbers. */
export function niceCeiling(n: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(n));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= n) return step * magnitude;
  return 10 * magnitude;
}

/** "850 ms", "12.4 s", "3 min 05 s", "2 h 10 min". */
export function durationText(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
}
