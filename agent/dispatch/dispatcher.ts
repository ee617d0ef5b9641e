import type { HubConfigFile } from '../../config/schema.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { DirectoryChange } from '../desired-state/delta.ts';
import type { OutboxEntry } from '../outbox.ts';
import type { Change, Store, Transaction } from '../store/store.ts';
import { enqueueTask } from '../tasks/enqueue.ts';
import type { TaskLog } from '../tasks/handler.ts';
import { affectedPeople } from './affected-people.ts';
import './departed-user.ts';

export interface DispatcherOptions {
  store: Store;
  hubs: () => ReadonlyMap<string, HubConfigFile>;
  log: TaskLog;
  clock?: () => number;
  /** Changes to one person within this window become one reconcile (a group move's two halves). */
  windowMs?: number;
  /** Outbox entries turned into tasks per transaction. */
  batch?: number;
}

function describe(changes: readonly DirectoryChange[]): string {
  const counts = new Map<string, number>();
  for (const c of changes) counts.set(c.kind, (counts.get(c.kind) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
}

/**
 * The outbox's consumer (issue 4, item 6; design brief, idea 3): turns each recorded directory
 * change into per-person `reconcile-person` tasks (one per person within `windowMs`, keyed by
 * person so a retried push never doubles work) and deletes the entry in the same transaction.
 * A crash in between leaves the entry for the next start.
 */
export class Dispatcher {
  private unsubscribe?: () => void;
  private scheduled = false;
  private draining?: Promise<void>;
  private readonly clock: () => number;

  constructor(private readonly o: DispatcherOptions) {
    this.clock = o.clock ?? Date.now;
  }

  start(): void {
    this.unsubscribe = this.o.store.subscribe((changes: readonly Change[]) => {
      if (changes.some((c) => c.collection === 'outbox' && c.record !== undefined)) this.schedule();
    });
    this.schedule();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.draining;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.draining = (this.draining ?? Promise.resolve()).then(() => this.drain()).catch((err) => this.o.log.error(`dispatcher: ${(err as Error).message}`));
    });
  }

  /** Dispatches every outbox entry there is now. */
  async drain(): Promise<void> {
    for (;;) {
      const entries: OutboxEntry[] = [];
      for (const hubId of this.o.store.partitions('outbox')) entries.push(...this.o.store.list('outbox', hubId));
      if (entries.length === 0) return;
      entries.sort((a, b) => a.seq - b.seq);
      await this.o.store.transact((tx) => { for (const e of entries.slice(0, this.o.batch ?? 500)) this.dispatch(tx, e); });
    }
  }

  private dispatch(tx: Transaction, entry: OutboxEntry): void {
    if (!tx.get('outbox', entry.hubId, entry.id)) return;
    tx.delete('outbox', entry.hubId, entry.id);
    const hub = this.o.hubs().get(entry.hubId);
    const now = new Date(this.clock());
    const { trigger, changes } = entry.delta;
    if (!hub) {
      this.o.log.warn(`dispatcher: outbox entry ${entry.id} names hub ${entry.hubId}, which is not configured: dropped`);
      return;
    }
    for (const c of changes) {
      if (c.kind !== 'user-deleted') continue;
      tx.put('departedUsers', hub.id, c.userId, { hubId: hub.id, directoryUserId: c.userId, userName: c.userName, emails: [...new Set([...c.emails, ...(c.userName.includes('@') ? [c.userName] : [])].map((e) => e.toLowerCase()))], at: now.toISOString() });
    }
    const people = affectedPeople(hub, changes);
    const runAt = new Date(now.getTime() + (this.o.windowMs ?? 20)).toISOString();
    for (const [userId, { emails }] of people) {
      const user = tx.get('directoryUsers', hub.id, userId);
      enqueueTask(tx, {
        hubId: hub.id, kind: 'reconcile-person', payload: { directoryUserId: userId, ...(emails ? { emails } : {}) },
        idempotencyKey: `reconcile:${userId}`, reuse: 'unstarted', trigger, runAt, now,
        summary: `re-evaluate ${user?.userName ?? emails?.[0] ?? userId} on hub ${hub.id}`,
      });
    }
    appendAudit(tx, {
      hubId: hub.id, trigger, action: 'desired-state-change', at: entry.at,
      why: `${trigger.type}${trigger.idp ? ` from ${trigger.idp}` : ''}: ${describe(changes)}; ${people.size} person(s) to re-evaluate`,
      outcome: 'ok', detail: { outboxId: entry.id, people: people.size },
    });
  }
}
