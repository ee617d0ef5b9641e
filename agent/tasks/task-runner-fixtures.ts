/** Shared by the task runner's tests (task-runner*.test.ts, retry-policy, enqueue, remote-changes): a runner on a memory store and its helpers. */
import { MemoryStore } from '../store/memory-store.ts';
import type { Transaction } from '../store/store.ts';
import { StoreUnavailable } from '../store/store-unavailable.ts';
import type { TaskHandler } from './handler.ts';
import type { TaskRecord } from './task-record.ts';
import { TaskRunner, type TaskRunnerOptions } from './task-runner.ts';

export const trigger = { type: 'admin' as const, actor: 'test' };
export const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** A runner on a fresh memory store with short backoffs. */
export function setup(handlers: TaskHandler[], extra: Partial<TaskRunnerOptions> = {}) {
  const store = new MemoryStore();
  const runner = new TaskRunner({ store, handlers, hubs: () => new Map(), connectorFor: () => undefined, log: silent, backoffBaseMs: 5, backoffMaxMs: 20, ...extra });
  return { store, runner };
}

/** A memory store whose transactions `refuses()` turns away, as a full disk or an unreachable database would. */
export class RefusingStore extends MemoryStore {
  constructor(private readonly refuses: () => boolean) { super(); }
  override transact<R>(fn: (tx: Transaction) => R | Promise<R>): Promise<R> {
    if (this.refuses()) return Promise.reject(new StoreUnavailable('no space left on device', 1));
    return super.transact(fn);
  }
  /** Commits past the refusal (the test's own setup). */
  enqueueDirect<R>(fn: (tx: Transaction) => R | Promise<R>): Promise<R> {
    return super.transact(fn);
  }
}

export const taskOf = async (store: MemoryStore, id: string, hub = 'h1') => (await store.get('tasks', hub, id)) as TaskRecord;
