import { LoopBatch } from '../store/loop-batch.ts';
import type { Store } from '../store/store.ts';
import { recordAttempt, recordAttemptIn, type AttemptEnd, type Claimant } from './attempt.ts';

interface Waiting { end: AttemptEnd; resolve: () => void; reject: (err: unknown) => void }

/**
 * How attempts ended (attempt.ts `recordAttempt`), recorded together: the ends reported while
 * the event loop handles one round of I/O are staged one after another in one transaction
 * (LoopBatch), so a burst of invites finishing at once is one commit, not one per invite.
 *
 * If that transaction fails, for whatever reason (one handler's `commit` threw, the store
 * refused it), nothing of it was written and each end is recorded again on its own, so one bad
 * outcome never holds up the others and each caller sees its own error, as before. Recording an
 * end twice is harmless: an end whose task is no longer running under this runner's lease
 * records nothing.
 */
export class EndBatch {
  private readonly waiting = new LoopBatch<Waiting>((batch) => void this.record(batch));

  constructor(private readonly store: Store, private readonly claimant: Pick<Claimant, 'owner' | 'clock'>) {}

  end(end: AttemptEnd): Promise<void> {
    return new Promise((resolve, reject) => this.waiting.add({ end, resolve, reject }));
  }

  private async record(batch: Waiting[]): Promise<void> {
    if (batch.length > 1) {
      try {
        await this.store.transact(async (tx) => {
          for (const w of batch) await recordAttemptIn(tx, this.claimant, w.end);
        });
        for (const w of batch) w.resolve();
        return;
      } catch {
        // Nothing of it was written: each on its own below.
      }
    }
    await Promise.all(batch.map((w) => recordAttempt(this.store, this.claimant, w.end).then(w.resolve, w.reject)));
  }
}
