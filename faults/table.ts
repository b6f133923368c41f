import type { Row } from './round.js';

const HEADER = [
  'fault',
  'acked / sent',
  'acked after a retry',
  'acked but lost',
  'duplicates',
  'deliveries via catch-up',
  'presence right after (bound)',
  'errors seen by clients',
];

function presence(row: Row): string {
  const bound = `≤ ${row.presenceBound.toFixed(1)} s`;
  return row.presenceSeconds === undefined ? `**wrong** (${bound})` : `${row.presenceSeconds.toFixed(1)} s (${bound})`;
}

function cells(row: Row): string[] {
  const mark = (n: number) => (n === 0 ? '0' : `**${n}**`);
  return [
    row.fault,
    `${row.acked} / ${row.sent}`,
    String(row.retriedAcks),
    mark(row.lost),
    mark(row.duplicates),
    `${row.viaCatchUp} of ${row.deliveries}`,
    presence(row),
    row.errors,
  ];
}

/** The rows as a Markdown table. */
export function renderTable(rows: readonly Row[]): string {
  const lines = [HEADER, HEADER.map(() => '---'), ...rows.map(cells)];
  return lines.map((l) => `| ${l.join(' | ')} |`).join('\n');
}

/** One row as a line for the progress log. */
export function describeRow(row: Row): string {
  const c = cells(row);
  return `${row.ok ? 'ok  ' : 'FAIL'} ${row.fault} (${row.seconds.toFixed(0)} s): acked ${c[1]}, retried ${c[2]}, lost ${row.lost}, duplicates ${row.duplicates}, via catch-up ${c[5]}, presence ${c[6]}, errors: ${c[7]}`;
}
