import { sql, type Kysely, type RawBuilder } from 'kysely';

export type Dialect = 'postgres' | 'sqlite';

/** Column types and defaults that differ between the two dialects. */
export interface ColumnTypes {
  uuid: 'uuid' | 'text';
  ts: 'timestamptz' | 'text';
  json: 'jsonb' | 'text';
  bytes: 'bytea' | 'blob';
  now: RawBuilder<unknown>;
}

export function columnTypes(dialect: Dialect): ColumnTypes {
  return dialect === 'postgres'
    ? { uuid: 'uuid', ts: 'timestamptz', json: 'jsonb', bytes: 'bytea', now: sql`now()` }
    : { uuid: 'text', ts: 'text', json: 'text', bytes: 'blob', now: sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))` };
}

export interface MigrationContext {
  db: Kysely<any>;
  dialect: Dialect;
  t: ColumnTypes;
}
