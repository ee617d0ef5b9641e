/**
 * `--store memory|lowdb|postgres` for the benchmarks: the store a benchmark measures, opened, and
 * how to close it afterwards. PostgreSQL is the test database (test/postgres.ts,
 * HUBWARDEN_TEST_DATABASE_URL or the machine's 127.0.0.1:5432) in a fresh schema per run, dropped
 * when the store is closed.
 */
import { join } from 'node:path';
import { LowdbStore } from '../../../agent/store/lowdb-store.ts';
import { MemoryStore } from '../../../agent/store/memory-store.ts';
import { PostgresStore } from '../../../agent/store/postgres/postgres-store.ts';
import type { Store } from '../../../agent/store/store.ts';
import { probePostgres, testDatabaseUrl, testSchema } from '../../postgres.ts';

export type StoreKind = 'memory' | 'lowdb' | 'postgres';

export interface BenchStore {
  kind: StoreKind;
  store: Store;
  /** For the report: "LowdbStore", "PostgresStore (schema …)". */
  label: string;
  /** PostgreSQL: the URL and schema, for other processes (replicas) to open the same store. */
  postgres?: { url: string; schema: string };
  /** Closes the store (and drops the PostgreSQL schema). */
  close(): Promise<void>;
}

/** The `--store` argument (`--store X` or `--store=X`), else `fallback`. */
export function storeKindOf(args: readonly string[], fallback: StoreKind): StoreKind {
  const i = args.indexOf('--store');
  const value = i >= 0 ? args[i + 1] : args.find((a) => a.startsWith('--store='))?.slice('--store='.length);
  if (value === undefined) return fallback;
  if (value !== 'memory' && value !== 'lowdb' && value !== 'postgres') throw new Error(`--store: expected memory, lowdb or postgres, got "${value}"`);
  return value;
}

/** Arguments without `--store X` (its value is not a positional argument). */
export function withoutStoreArg(args: readonly string[]): string[] {
  const i = args.indexOf('--store');
  return args.filter((a, k) => !(i >= 0 && (k === i || k === i + 1)) && !a.startsWith('--store='));
}

/**
 * Opens the store (indexes may still be defined afterwards). `dir` holds the lowdb file; `label`
 * names the PostgreSQL schema (`hw_<label>_<pid>_<random>`).
 */
export async function openBenchStore(kind: StoreKind, dir: string, label: string, options: { poolSize?: number } = {}): Promise<BenchStore> {
  if (kind === 'memory') {
    const store = new MemoryStore();
    await store.open();
    return { kind, store, label: 'MemoryStore', close: () => store.close() };
  }
  if (kind === 'lowdb') {
    const store = new LowdbStore(join(dir, `${label}.json`));
    await store.open();
    return { kind, store, label: 'LowdbStore', close: () => store.close() };
  }
  const url = testDatabaseUrl();
  const unreachable = await probePostgres(url);
  if (unreachable) throw new Error(`--store postgres: PostgreSQL unreachable: ${unreachable}`);
  const { schema, drop } = testSchema(url, label);
  const store = new PostgresStore({ url, schema, ...(options.poolSize ? { poolSize: options.poolSize } : {}) });
  await store.open();
  return {
    kind, store, label: `PostgresStore (schema ${schema})`, postgres: { url, schema },
    close: async () => {
      try {
        await store.close();
      } finally {
        await drop();
      }
    },
  };
}
