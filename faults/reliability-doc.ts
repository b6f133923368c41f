import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';

const DOC = path.resolve(import.meta.dirname, '../docs/reliability.md');
const START = '<!-- faults:results -->';
const END = '<!-- /faults:results -->';

export interface RunFacts {
  table: string;
  seconds: number;
  loadAtStart: number[];
}

/** The machine, as the results section names it. */
function machine(loadAtStart: number[]): string {
  const model = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} cores (${model.trim()}), Node.js ${process.version}, load average at start ${loadAtStart.map((l) => l.toFixed(2)).join(', ')}`;
}

export function loadNow(): number[] {
  return loadavg();
}

/** Replaces the results section of docs/reliability.md (between its two markers) with this run's. */
export function writeResults(facts: RunFacts): void {
  const doc = readFileSync(DOC, 'utf8');
  const from = doc.indexOf(START);
  const to = doc.indexOf(END);
  if (from < 0 || to < from) throw new Error(`${DOC} has no ${START} … ${END} section`);
  const date = new Date().toISOString().slice(0, 10);
  const section = [
    START,
    `Full run (\`npm run faults\`) on ${date}, ${machine(facts.loadAtStart)}; took ${Math.round(facts.seconds)} s.`,
    '',
    facts.table,
    '',
  ].join('\n');
  writeFileSync(DOC, doc.slice(0, from) + section + doc.slice(to));
}
