import { LoopBatch } from '../store/loop-batch.ts';
import { getAcross, type Store } from '../store/store.ts';
import { takeLease, type Claimant, type Claimed } from './attempt.ts';
import { claimable } from './task-transitions.ts';
import type { TaskRecord } from './task-record.ts';

interface Waiting { seen: Readonly<TaskRecord>; resolve: (claimed: Claimed | undefined) => void; reject: (err: unknown) => void }

/**
 * Durable claims, asked for while the event loop handles one round of I/O, taken in one
 * transaction (LoopBatch). A claim takes the lease and counts the attempt before the handler calls anything;
 * the read that decides it and the write that takes it are one transaction, so two runners (or
 * two replicas sharing a store) never both take a task. Batched because the runner launches a
 * burst's tasks in one pass, and one commit per claim was a commit (an fsync, and on PostgreSQL
 * a round trip) per invite.
 *
 * Each task is read again in the transaction and claimed only if it is still claimable. If the
 * transaction fails, every claim in it fails with its error (none was taken). If another runner
 * took one of the tasks meanwhile, the store runs the transaction again (it read that task) and
 * that task comes back unclaimed.
 */
export class ClaimBatch {
  private readonly waiting = new LoopBatch<Waiting>((batch) => void this.take(batch));

  constructor(private readonly store: Store, private readonly claimant: Claimant) {}

  claim(seen: Readonly<TaskRecord>): Promise<Claimed | undefined> {
    return new Promise((resolve, reject) => this.waiting.add({ seen, resolve, reject }));
  }

  private async take(batch: Waiting[]): Promise<void> {
    const c = this.claimant;
    let claimed: Array<Claimed | undefined>;
    try {
      claimed = await this.store.transact(async (tx) => {
        const now = await getAcross(tx, 'tasks', batch.map((w) => ({ partition: w.seen.hubId, id: w.seen.id })));
        const taken = new Set<string>(); // a task asked for twice is claimed once
        return batch.map((w, n) => {
          const t = now[n];
          if (!t || taken.has(`${t.hubId}\u0000${t.id}`) || !claimable(t, c.clock(), c.owner, c.exclusive !== false)) return undefined;
          taken.add(`${t.hubId}\u0000${t.id}`);
          const next = takeLease(t, c);
          tx.put('tasks', t.hubId, t.id, next);
          return { task: next, interrupted: t.attempts > t.attemptsEnded };
        });
      });
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    batch.forEach((w, n) => w.resolve(claimed[n]));
  }
}
