import type { DirectoryChange } from '../../agent/desired-state/delta.ts';
import type { ScimTestApp } from '../../scim-server/scim/test-app.ts';

/** Reads the outbox deltas a replay produced, in order, a step at a time. */
export class OutboxReader {
  private seen = 0;
  constructor(private readonly app: ScimTestApp, private readonly hubId: string) {}

  private all() {
    return [...this.app.store.list('outbox', this.hubId)].sort((a, b) => a.seq - b.seq);
  }

  /** The changes recorded since the last call (one entry per write). */
  next(): DirectoryChange[][] {
    const entries = this.all();
    const fresh = entries.slice(this.seen);
    this.seen = entries.length;
    return fresh.map((e) => e.delta.changes);
  }

  /** The triggers of every entry so far. */
  triggers() {
    return this.all().map((e) => e.delta.trigger);
  }
}
