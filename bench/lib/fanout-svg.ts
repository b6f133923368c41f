import type { StepPoint } from '../scenarios/context.js';

const W = 760;
const H = 440;
const M = { left: 70, right: 170, top: 40, bottom: 60 };
const COLORS: Record<string, string> = { mvchat: '#d62728', 'bare-ws': '#1f77b4', 'socket.io': '#2ca02c' };
const LIMIT_MS = 250;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function ticks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo && v <= hi) out.push(v);
    }
  }
  return out;
}

function label(v: number): string {
  if (v >= 1e6) return `${v / 1e6}M`;
  if (v >= 1e3) return `${v / 1e3}k`;
  return String(v);
}

/** A log–log line chart of p99 latency against offered load, one line per server; hand-written SVG. */
export function fanoutSvg(series: Record<string, StepPoint[]>, title: string): string {
  const all = Object.values(series).flat();
  const xs = all.map((p) => p.offeredDeliveries);
  const ys = all.map((p) => Math.max(0.1, p.p99)).filter(Number.isFinite);
  const x0 = 10 ** Math.floor(Math.log10(Math.min(...xs, 1000)));
  const x1 = 10 ** Math.ceil(Math.log10(Math.max(...xs, 10_000)));
  const y0 = 10 ** Math.floor(Math.log10(Math.min(...ys, 1)));
  const y1 = 10 ** Math.ceil(Math.log10(Math.max(...ys, LIMIT_MS * 2)));
  const px = (v: number) => M.left + ((Math.log10(v) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0))) * (W - M.left - M.right);
  const py = (v: number) => H - M.bottom - ((Math.log10(Math.max(v, y0)) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * (H - M.top - M.bottom);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${W / 2 - M.right / 2 + M.left / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`);
  for (const t of ticks(x0, x1)) {
    parts.push(`<line x1="${px(t)}" y1="${M.top}" x2="${px(t)}" y2="${H - M.bottom}" stroke="#eee"/>`);
    parts.push(`<text x="${px(t)}" y="${H - M.bottom + 18}" text-anchor="middle">${label(t)}</text>`);
  }
  for (const t of ticks(y0, y1)) {
    parts.push(`<line x1="${M.left}" y1="${py(t)}" x2="${W - M.right}" y2="${py(t)}" stroke="#eee"/>`);
    parts.push(`<text x="${M.left - 8}" y="${py(t) + 4}" text-anchor="end">${label(t)}</text>`);
  }
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="#333"/>`);
  parts.push(`<line x1="${M.left}" y1="${py(LIMIT_MS)}" x2="${W - M.right}" y2="${py(LIMIT_MS)}" stroke="#888" stroke-dasharray="6 4"/>`);
  parts.push(`<text x="${W - M.right - 4}" y="${py(LIMIT_MS) - 6}" text-anchor="end" fill="#555">p99 limit ${LIMIT_MS} ms</text>`);
  parts.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 18}" text-anchor="middle">offered load, deliveries per second (log)</text>`);
  parts.push(`<text transform="translate(18 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">p99 send→deliver latency, ms (log)</text>`);
  let row = 0;
  for (const [name, points] of Object.entries(series)) {
    const color = COLORS[name] ?? '#9467bd';
    const pts = points.filter((p) => Number.isFinite(p.p99));
    if (pts.length > 0) {
      parts.push(
        `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${px(p.offeredDeliveries).toFixed(1)},${py(p.p99).toFixed(1)}`).join(' ')}"/>`,
      );
      for (const p of pts) {
        const fill = p.passed ? color : '#fff';
        parts.push(
          `<circle cx="${px(p.offeredDeliveries).toFixed(1)}" cy="${py(p.p99).toFixed(1)}" r="3.5" fill="${fill}" stroke="${color}" stroke-width="1.5"/>`,
        );
      }
    }
    const ly = M.top + 10 + row++ * 22;
    parts.push(`<line x1="${W - M.right + 16}" y1="${ly}" x2="${W - M.right + 40}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    parts.push(`<text x="${W - M.right + 46}" y="${ly + 4}">${esc(name)}</text>`);
  }
  const ly = M.top + 10 + row * 22 + 10;
  parts.push(`<circle cx="${W - M.right + 28}" cy="${ly}" r="3.5" fill="#fff" stroke="#333"/>`);
  parts.push(`<text x="${W - M.right + 46}" y="${ly + 4}">limit passed</text>`);
  parts.push(`<text x="${W - M.right + 46}" y="${ly + 18}">or loss</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
