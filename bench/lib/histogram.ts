/**
 * Log-linear latency histogram in microseconds (~3% resolution, 0 µs to 35 min),
 * cheap to record into and mergeable across processes.
 */
const SUB = 32;
const SIZE = 26 * SUB + 2 * SUB;
const MAX = 2 ** 31 - 1;

function indexOf(us: number): number {
  const v = Math.min(MAX, Math.max(0, Math.round(us)));
  if (v < 2 * SUB) return v;
  const shift = 31 - Math.clz32(v) - 5;
  return shift * SUB + (v >>> shift);
}

function valueAt(index: number): number {
  if (index < 2 * SUB) return index;
  const shift = Math.floor(index / SUB) - 1;
  return (index - shift * SUB + 0.5) * 2 ** shift;
}

/** Sparse form for IPC: [index, count] pairs. */
export type HistogramData = [number, number][];

export class Histogram {
  readonly counts = new Float64Array(SIZE);
  total = 0;

  record(us: number): void {
    this.counts[indexOf(us)]!++;
    this.total++;
  }

  merge(data: HistogramData): void {
    for (const [i, n] of data) {
      this.counts[i] = (this.counts[i] ?? 0) + n;
      this.total += n;
    }
  }

  toData(): HistogramData {
    const out: HistogramData = [];
    this.counts.forEach((n, i) => {
      if (n > 0) out.push([i, n]);
    });
    return out;
  }

  /** Percentile (0–100) in milliseconds; NaN when empty. */
  percentileMs(p: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return valueAt(i) / 1000;
    }
    return valueAt(SIZE - 1) / 1000;
  }

  summary(): LatencySummary {
    return { count: this.total, p50: this.percentileMs(50), p90: this.percentileMs(90), p99: this.percentileMs(99), max: this.percentileMs(100) };
  }
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function mergeAll(parts: HistogramData[]): Histogram {
  const h = new Histogram();
  for (const p of parts) h.merge(p);
  return h;
}
