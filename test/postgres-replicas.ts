import pg from 'pg';
import { PostgresStore } from '../agent/store/postgres/postgres-store.ts';
import { freshSchemas } from './fresh-schemas.ts';
import type { TestDatabase } from './postgres.ts';

/**
 * Replicas of one PostgreSQL store for the store's own tests (agent/store/postgres/): a
 * PostgresStore per call on a schema they share, plain SQL beside them, and a wait.
 */
declare module '../agent/store/collections.ts' {
  interface Collections {
    pgItems: { id: string; n: number; tags?: string[]; text?: string };
    pgLists: { id: string; items: number[] };
    pgLog: { id: string };
  }
}

export const tagIndex = (r: { tags?: string[] }, p: string) => (r.tags ?? []).map((t) => `${p}\u0000${t}`);

export type StoreOptions = Partial<ConstructorParameters<typeof PostgresStore>[0]>;

/**
 * `freshSchema(label)`: a new schema for one test (dropped at the end of the file); `replica(schema)`:
 * an open store on `schema` with the `pg.tags` index; `sql`: one statement on its own connection.
 */
export function postgresReplicas(db: TestDatabase) {
  return {
    freshSchema: freshSchemas(db),
    async replica(schema: string, options: StoreOptions = {}): Promise<PostgresStore> {
      const store = new PostgresStore({ url: db.url, schema, poolSize: 4, ...options });
      store.defineIndex('pgItems', 'pg.tags', tagIndex);
      await store.open();
      return store;
    },
    async sql<T extends Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]> {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        return (await client.query<T>(text, values)).rows;
      } finally {
        await client.end();
      }
    },
  };
}

export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
