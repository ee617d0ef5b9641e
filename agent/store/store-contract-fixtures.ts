/**
 * The Store contract (store.ts), shared by store-contract*.test.ts: every suite runs on every store
 * kind: memory, lowdb (a temp folder) and PostgreSQL (one fresh schema per test file, dropped at
 * the end). Tests on one kind share nothing but that schema: each works in partitions of its own
 * (`P`), and index keys name the partition, so lookups stay apart too.
 */
import { after, type TestContext } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testSchema, type postgresForTests } from '../../test/postgres.ts';
import { ARCHIVED_COLLECTIONS } from './archives.ts';
import { LowdbStore } from './lowdb-store.ts';
import { MemoryStore } from './memory-store.ts';
import { PostgresStore } from './postgres/postgres-store.ts';
import type { Store } from './store.ts';

declare module './collections.ts' {
  interface Collections {
    contractItems: { id: string; n: number; tags?: string[]; nested?: unknown };
    contractLists: { id: string; items: string[] };
    contractStrict: { id: string; n: number };
    contractLog: { id: string; seq: number };
  }
}

export interface ContractKind {
  name: string;
  skip: string | false;
  /** An open store with the tag index (unless `index: false`), closed after the test, and a partition prefix no other test uses. */
  setup(t: TestContext, options?: { index?: boolean }): Promise<{ store: Store; P: string }>;
}

let partitionCounter = 0;
export const tagIndex = (r: { tags?: string[] }, p: string) => (r.tags ?? []).map((t) => `${p}\u0000${t}`);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const ids = (records: ReadonlyArray<{ id: string }>) => records.map((r) => r.id);

/**
 * The store kinds, for the calling test file; `db` is its postgresForTests() (called there, so
 * test/run.mjs sees the file needs PostgreSQL). A fresh schema named after `label`, dropped after the file.
 */
export function storeKinds(db: Awaited<ReturnType<typeof postgresForTests>>, label: string): ContractKind[] {
  const pgSchema = db.skip ? undefined : testSchema(db.url, label);
  if (pgSchema) after(() => pgSchema.drop());
  const makers: Array<{ name: string; skip: string | false; make(): Promise<{ store: Store; cleanup: () => Promise<void> }> }> = [
    { name: 'memory', skip: false, make: async () => ({ store: new MemoryStore(), cleanup: async () => {} }) },
    {
      name: 'lowdb',
      skip: false,
      make: async () => {
        const dir = await mkdtemp(join(tmpdir(), 'hubwarden-contract-'));
        // contractLog is archived like the audit log: read only through newestFirst.
        const store = new LowdbStore(join(dir, 'store.json'), { archived: [...ARCHIVED_COLLECTIONS, 'contractLog'] });
        return { store, cleanup: async () => { await store.close(); await rm(dir, { recursive: true, force: true }); } };
      },
    },
    {
      name: 'postgres',
      skip: db.skip,
      make: async () => {
        const store = new PostgresStore({ url: db.url, schema: pgSchema!.schema, poolSize: 4 });
        return { store, cleanup: () => store.close() };
      },
    },
  ];
  return makers.map(({ name, skip, make }) => ({
    name,
    skip,
    async setup(t, options = {}) {
      const { store, cleanup } = await make();
      if (options.index !== false) store.defineIndex('contractItems', 'contract.tags', tagIndex);
      await store.open();
      t.after(cleanup);
      return { store, P: `p${process.pid}-${++partitionCounter}-${name}` };
    },
  }));
}
