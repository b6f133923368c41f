import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Errors } from '../../src/protocol/errors.js';
import { CloseCode, CloseReason } from '../../src/protocol/close-codes.js';
import { OP_TABLE } from '../../src/ops/index.js';
import { loadConfig, type Config } from '../../src/config.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const unquote = (cell: string) => cell.trim().replace(/^`(.*)`$/, '$1');

/** Rows of the first Markdown table after `heading` whose header row starts with `firstColumn`, as arrays of trimmed cells. */
function tableRows(markdown: string, heading: string, firstColumn: string): string[][] {
  const start = markdown.indexOf(heading);
  assert.ok(start >= 0, `heading "${heading}" not found`);
  const lines = markdown.slice(start).split('\n');
  const header = lines.findIndex((l) => l.startsWith(`| ${firstColumn} |`));
  assert.ok(header >= 0, `no table starting with column "${firstColumn}" under "${heading}"`);
  const rows: string[][] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, line.endsWith('|') ? -1 : undefined)
        .split('|')
        .map((c) => c.trim()),
    );
  }
  return rows;
}

function missingList(what: string, missing: string[]): string {
  return `${what} (${missing.length}):\n  ${missing.join('\n  ')}`;
}

test('every error of the catalog (code and text) is documented', () => {
  const docs = ['docs/protocol.md', 'docs/protocol-notes.md', 'docs/operations.md'].map(read).join('\n');
  const missing: string[] = [];
  for (const [name, [code, text]] of Object.entries(Errors)) {
    // `403 not a member`, 503 "service unavailable", | 403 | `not a member` |
    const pattern = new RegExp(`(^|[^0-9])${code}[\\s|"\`]*${escapeRegExp(text)}(?![a-z])`, 'm');
    if (!pattern.test(docs)) missing.push(`${name}: ${code} ${text}`);
  }
  assert.deepEqual(missing, [], missingList('errors not found in docs/protocol.md, docs/protocol-notes.md or docs/operations.md', missing));
});

test('every close code is in the close-code table of docs/operations.md with its reason and meaning', () => {
  const rows = tableRows(read('docs/operations.md'), '## Close codes', 'Code');
  const documented = new Map(rows.map(([code, reason, meaning]) => [Number(code), { reason: unquote(reason ?? ''), meaning: meaning ?? '' }]));
  const problems: string[] = [];
  for (const [name, code] of Object.entries(CloseCode)) {
    const row = documented.get(code);
    if (!row) problems.push(`${code} (${name}) has no row`);
    else if (row.reason !== CloseReason[code]) problems.push(`${code} (${name}): reason is "${row.reason}" in the doc, "${CloseReason[code]}" in code`);
    else if (row.meaning === '') problems.push(`${code} (${name}) has no meaning`);
  }
  const known = new Set<number>(Object.values(CloseCode));
  for (const code of documented.keys()) if (!known.has(code)) problems.push(`${code} is documented but not in src/protocol/close-codes.ts`);
  assert.deepEqual(problems, [], missingList('close codes out of step with docs/operations.md', problems));
});

test('every op rate cost in docs/operations.md matches the op table', () => {
  const rows = tableRows(read('docs/operations.md'), '### Rate cost of each op', 'Op');
  const documented = new Map(rows.map(([op, cost]) => [unquote(op ?? ''), Number(cost)]));
  const problems: string[] = [];
  for (const [name, def] of Object.entries(OP_TABLE)) {
    if (!documented.has(name)) problems.push(`${name} (cost ${def.cost}) has no row`);
    else if (documented.get(name) !== def.cost) problems.push(`${name}: cost ${documented.get(name)} in the doc, ${def.cost} in code`);
  }
  for (const name of documented.keys()) if (!(name in OP_TABLE)) problems.push(`${name} is documented but not in the op table`);
  assert.deepEqual(problems, [], missingList('op costs out of step with docs/operations.md', problems));
});

test('every setting of src/config.ts is in the configuration table of README.md with its default, and nothing else is', () => {
  const source = read('src/config.ts');
  const names = new Set(source.match(/\b(?:MVCHAT_[A-Z][A-Z0-9_]*|DATABASE_URL|REDIS_URL|NODE_ENV)\b/g) ?? []);
  const rows = tableRows(read('README.md'), '## Configuration', 'Setting');
  const table = new Map(rows.map(([name, def]) => [unquote(name ?? ''), def ?? '']));

  // Which Config field each setting fills, read from the source: NUMBERS entries,
  // `field: src.NAME …` / `field: readBool(src, 'NAME', …)` and `const field = … src.NAME`.
  const field = new Map<string, string>();
  for (const m of source.matchAll(/^\s+(MVCHAT_\w+): \['(\w+)'/gm)) field.set(m[1]!, m[2]!);
  for (const m of source.matchAll(/^\s+(\w+): (?:readBool\(src, '|.*?\bsrc\.)([A-Z][A-Z0-9_]*)/gm)) field.set(m[2]!, m[1]!);
  for (const m of source.matchAll(/^\s+const (\w+) = .*?\bsrc\.([A-Z][A-Z0-9_]*)/gm)) field.set(m[2]!, m[1]!.replace(/Raw$/, ''));

  const key = Buffer.alloc(32, 1);
  const defaults = loadConfig({}, { tokenKey: key, encryptionKeys: [key] });
  // Defaults that are not one constant: the doc says how they are made.
  const special: Record<string, (cell: string) => boolean> = {
    MVCHAT_CONFIG: (cell) => cell === '–',
    NODE_ENV: (cell) => cell === '–' && defaults.production === false,
    MVCHAT_NODE_ID: (cell) => /random/.test(cell),
    MVCHAT_TOKEN_KEY: (cell) => /generated/.test(cell),
    MVCHAT_ENCRYPTION_KEY: (cell) => /generated/.test(cell),
    MVCHAT_ENCRYPTION_OLD_KEYS: (cell) => cell === '–',
    MVCHAT_DATA_DIR: (cell) => path.resolve(unquote(cell)) === defaults.dataDir,
    MVCHAT_ALLOWED_ORIGINS: (cell) => /^empty/.test(cell) && defaults.allowedOrigins.length === 0,
    MVCHAT_PUBLIC_URL: (cell) => unquote(cell).replace('PORT', String(defaults.port)) === defaults.publicBaseUrl,
  };

  const problems: string[] = [];
  for (const name of [...names].sort()) {
    const cell = table.get(name);
    if (cell === undefined) {
      problems.push(`${name} is read by src/config.ts but has no row`);
      continue;
    }
    const check = special[name];
    if (check) {
      if (!check(cell)) problems.push(`${name}: default "${cell}" in README.md does not describe the code's default`);
      continue;
    }
    const f = field.get(name);
    if (!f || !(f in defaults)) {
      problems.push(`${name}: cannot tell which setting it fills (add it to the special cases of this test)`);
      continue;
    }
    const value = defaults[f as keyof Config];
    const expected = value === null ? '–' : `\`${String(value)}\``;
    if (cell !== expected) problems.push(`${name}: default ${cell} in README.md, ${expected} in code`);
  }
  for (const name of table.keys()) if (!names.has(name)) problems.push(`${name} is in README.md but not read by src/config.ts`);
  assert.deepEqual(problems, [], missingList('README.md configuration table out of step with src/config.ts', problems));
});

test('every Prometheus metric registered in src/runtime/metrics.ts is listed in docs/operations.md', () => {
  const names = [...read('src/runtime/metrics.ts').matchAll(/\bname: '([a-z_:][a-z0-9_:]*)'/g)].map((m) => m[1]!);
  assert.ok(names.length > 0, 'no metric names found in src/runtime/metrics.ts');
  const doc = read('docs/operations.md');
  const missing = names.filter((n) => !new RegExp(`\`${escapeRegExp(n)}(\`|\\{)`).test(doc));
  assert.deepEqual(missing, [], missingList('metrics not listed in docs/operations.md', missing));
});

test('the layer picture of docs/architecture.md lists the layers of .dependency-cruiser.cjs, in the same order', async () => {
  const { createRequire } = await import('node:module');
  const { LAYERS } = createRequire(import.meta.url)(path.join(root, '.dependency-cruiser.cjs')) as { LAYERS: [string, string][] };
  const doc = read('docs/architecture.md');
  const picture = doc.slice(doc.indexOf('## Layers'), doc.indexOf('## The path of a'));
  // The first word of each box row that names a file or folder of src/.
  const named = [...picture.matchAll(/│ ([a-z-]+(?:\.ts|\/))\s/g)].map((m) => m[1]);
  assert.deepEqual(
    named,
    LAYERS.map(([name]) => name),
  );
  for (const [name] of LAYERS) assert.ok(existsSync(path.join(root, 'src', name)), `src/${name} exists`);
});
