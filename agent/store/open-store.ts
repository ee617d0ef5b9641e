import { dirname } from 'node:path';
import type { LoadedConfig } from '../../config/load.ts';
import { LowdbStore } from './lowdb-store.ts';
import { PostgresStore } from './postgres/postgres-store.ts';
import type { Store } from './store.ts';

/** A store the server runs on: the contract plus what /readyz and retention need. */
export type ServerStore = (LowdbStore | PostgresStore) & Store;

/**
 * The store the config names (`store.kind`), not yet opened: lowdb (the embedded default, one
 * process) or PostgreSQL (shared by every replica running the same config; docs/scaling.md).
 */
export function storeFromConfig(config: LoadedConfig): ServerStore {
  const s = config.file.store;
  if (s.kind === 'postgres') return new PostgresStore({ url: config.secret(s.url).reveal(), schema: s.schema, poolSize: s.poolSize });
  return new LowdbStore(config.pathOf(s.path));
}

/** The lowdb store's file, or undefined when the store is a database. */
export function storeFileOf(config: LoadedConfig): string | undefined {
  const s = config.file.store;
  return s.kind === 'lowdb' ? config.pathOf(s.path) : undefined;
}

/**
 * The folder for files kept beside the store (the sandboxes' worlds): the lowdb file's folder,
 * or `data/` under the working directory when the store is a database.
 */
export function dataDirOf(config: LoadedConfig): string {
  const file = storeFileOf(config);
  return file ? dirname(file) : config.pathOf('data');
}

/** What the store is, for logs and the banner, without credentials. */
export function describeStore(config: LoadedConfig): string {
  const s = config.file.store;
  return s.kind === 'postgres' ? `PostgreSQL (schema ${s.schema})` : `lowdb ${config.pathOf(s.path)}`;
}
