import { MemoryStore } from './memory-store.ts';
import type { Transaction } from './store.ts';
import { StoreUnavailable } from './store-unavailable.ts';

/**
 * A store shared by replicas (as PostgreSQL is) whose transactions fail while `refuse` is set, as
 * they do for a replica cut off from its database: the task tests of leases and slots share it.
 */
export class CutOffStore extends MemoryStore {
  readonly shared = true;
  refuse = false;
  override transact<R>(fn: (tx: Transaction) => R | Promise<R>): Promise<R> {
    if (this.refuse) return Promise.reject(new StoreUnavailable('PostgreSQL unreachable: ECONNREFUSED', 2));
    return super.transact(fn);
  }
}
