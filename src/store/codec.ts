import type { Dialect } from './migrations/column-types.js';

/** Reads dialect-specific column values back into one shape. */
export interface Codec {
  date(v: Date | string): Date;
  dateOrNull(v: Date | string | null | undefined): Date | null;
  json(v: unknown): unknown;
  bool(v: boolean | number): boolean;
  /** Writes a JSON value for a json/jsonb column (`undefined` → SQL NULL). */
  toJson(v: unknown): string | null;
}

export function codecFor(dialect: Dialect): Codec {
  const date = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));
  return {
    date,
    dateOrNull: (v) => (v === null || v === undefined ? null : date(v)),
    // pg parses jsonb itself; SQLite hands back the stored text.
    json: dialect === 'postgres' ? (v) => v : (v) => (typeof v === 'string' ? JSON.parse(v) : v),
    bool: (v) => v === true || v === 1,
    toJson: (v) => (v === undefined ? null : JSON.stringify(v)),
  };
}
