import type { DirectoryChange } from '../../agent/desired-state/delta.ts';
import { collect } from '../../agent/store/store.ts';
import type { ScimTestApp } from '../../scim-server/scim/test-app.ts';

/** Reads the outbox deltas a replay produced, in order, a step at a time. */
export class OutboxReader {
  private seen = 0;
  constructor(private readonly app: ScimTestApp, private readonly hubId: string) {}

  private async all() {
    return (await collect(this.app.store.list('outbox', this.hubId))).sort((a, b) => a.seq - b.seq);
  }

  /** The changes recorded since the last call (one entry per write). */
  async next(): Promise<DirectoryChange[][]> {
    const entries = await this.all();
    const fresh = entries.slice(this.seen);
    this.seen = entries.length;
    return fresh.map((e) => e.delta.changes);
  }

  /** The triggers of every entry so far. */
  async triggers() {
    return (await this.all()).map((e) => e.delta.trigger);
  }
}
