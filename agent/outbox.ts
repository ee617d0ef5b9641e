import { randomUUID } from 'node:crypto';
import type { DesiredStateDelta } from './desired-state/delta.ts';
import type { Transaction } from './store/store.ts';

/**
 * The transactional outbox. A SCIM write stages its directory change and this entry in the same
 * store transaction, so "accepted" and "the agent will act on it" are one durable write: a crash
 * in between loses nothing. The agent's dispatcher turns entries into tasks (with idempotency
 * keys) and deletes them, again in one transaction.
 */
export interface OutboxEntry {
  id: string;
  hubId: string;
  /** Monotonic within the process; entries are dispatched in this order. */
  seq: number;
  at: string;
  delta: DesiredStateDelta;
  /** People of a large entry already planned by the dispatcher, which takes it in slices. */
  dispatchedPeople?: number;
}

declare module './store/collections.ts' {
  interface Collections {
    outbox: OutboxEntry;
  }
}

let lastSeq = 0;

export function recordDesiredChange(tx: Transaction, delta: DesiredStateDelta): OutboxEntry | undefined {
  if (delta.changes.length === 0) return undefined;
  const now = Date.now();
  lastSeq = Math.max(lastSeq + 1, now * 1000);
  const entry: OutboxEntry = { id: randomUUID(), hubId: delta.hubId, seq: lastSeq, at: new Date(now).toISOString(), delta };
  tx.put('outbox', delta.hubId, entry.id, entry);
  return entry;
}
