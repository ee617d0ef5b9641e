import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LowdbStore } from '../agent/store/lowdb-store.ts';
import { MemoryStore } from '../agent/store/memory-store.ts';
import { PostgresStore } from '../agent/store/postgres/postgres-store.ts';
import { freshSchemas } from './fresh-schemas.ts';
import { postgresForTests } from './postgres.ts';

export type SuiteStoreKind = 'memory' | 'lowdb' | 'postgres';
/** One of the store classes (each has what the readiness check asks of a store, store.ts's Store does not say). */
export type AnyStore = MemoryStore | LowdbStore | PostgresStore;

export interface SuiteStore {
  kind: SuiteStoreKind;
  /** Why the suite is skipped on this store (PostgreSQL absent outside CI), or false. */
  skip: string | false;
  /** A fresh, opened store, and how to close it and remove what it wrote. */
  open(): Promise<{ store: AnyStore; dispose(): Promise<void> }>;
}

/** The memory store: what a suite runs on when it names no other. */
export const MEMORY_STORE: SuiteStore = {
  kind: 'memory',
  skip: false,
  open: async () => {
    const store = new MemoryStore();
    await store.open();
    return { store, dispose: () => store.close() };
  },
};

/**
 * The stores a suite runs on, one `describe` each, so the same requests are checked on every
 * store kind a deployment may choose: memory, lowdb (a temporary folder) and PostgreSQL (a
 * fresh schema of the test database, dropped when the file is done). Call it at the top level
 * of a test file (it registers the schemas' cleanup there):
 *
 *   for (const s of await suiteStores('memory', 'postgres')) describe(`… (${s.kind})`, { skip: s.skip }, () => { … });
 */
export async function suiteStores(...kinds: SuiteStoreKind[]): Promise<SuiteStore[]> {
  const db = kinds.includes('postgres') ? await postgresForTests() : undefined;
  const freshSchema = db ? freshSchemas(db) : undefined;
  return kinds.map((kind): SuiteStore => {
    if (kind === 'memory') return MEMORY_STORE;
    if (kind === 'lowdb') {
      return {
        kind,
        skip: false,
        open: async () => {
          const dir = await mkdtemp(join(tmpdir(), 'hubwarden-suite-'));
          const store = new LowdbStore(join(dir, 'hubwarden.json'));
          await store.open();
          return { store, dispose: async () => (await store.close(), await rm(dir, { recursive: true, force: true })) };
        },
      };
    }
    return {
      kind,
      skip: db!.skip,
      open: async () => {
        const store = new PostgresStore({ url: db!.url, schema: freshSchema!('suite'), poolSize: 4 });
        await store.open();
        return { store, dispose: () => store.close() };
      },
    };
  });
}

/**
 * One store for a suite whose subject is not the store (the dashboard in a browser): PostgreSQL,
 * what several replicas share, when the run has it; the memory store when PostgreSQL is absent
 * outside CI (where `suiteStores` would skip it), so the suite still runs in a clone alone. The
 * stores themselves are checked alike by the store contract suite (agent/store/store-contract*.test.ts).
 */
export async function sharedStoreElseMemory(): Promise<SuiteStore[]> {
  const [postgres] = await suiteStores('postgres');
  return [postgres!.skip ? MEMORY_STORE : postgres!];
}
