import type { Store } from '../../agent/store/store.ts';

/**
 * Hook deliveries already seen, so an at-least-once sender (Okta event hooks,
 * https://developer.okta.com/docs/concepts/event-hooks/; a Lifecycle Workflows callout retried by
 * the relay) acts once per event. Kept in the store
 * so a restart does not forget them; records expire after `HOOK_EVENT_TTL_MS` and are swept.
 */
export interface HookEventRecord {
  /** Okta event `uuid`, or the LCW `taskProcessingResult.id`. */
  id: string;
  source: 'okta' | 'entra-lifecycle';
  /** The identity provider key the delivery authenticated as. */
  idp: string;
  receivedAt: string;
  expiresAt: string;
  /** Okta `published`, when known. */
  published?: string;
  state: 'processing' | 'waiting' | 'done' | 'failed';
  /** Agent tasks started for it. */
  taskIds?: string[];
  /** For an Okta event: what is needed to act on it after a restart. */
  event?: { eventType: string; person?: { email?: string; userName?: string; externalId?: string }; actor?: string; failed?: boolean };
  /** For an LCW callout: what is needed to resume it after a restart. */
  callout?: { workflowId: string; taskId: string; taskProcessingResultId: string; action: string; person: { email?: string; userName?: string; externalId?: string } };
  outcome?: string;
}

declare module '../../agent/store/collections.ts' {
  interface Collections {
    hookEvents: HookEventRecord;
  }
}

/** Okta retries once within seconds; LCW waits at most PT3H. A week covers both with room. */
export const HOOK_EVENT_TTL_MS = 7 * 24 * 3600_000;
const SWEEP_EVERY_MS = 3600_000;

export class HookEventLog {
  private lastSweep = 0;
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Claims the event ids not seen before, in one store write, and returns the ones claimed. A
   * replay (or a concurrent duplicate) finds its id taken and is dropped.
   */
  async claim(source: HookEventRecord['source'], idp: string, events: Array<Pick<HookEventRecord, 'id' | 'published' | 'event' | 'callout'>>): Promise<string[]> {
    const now = this.now();
    const receivedAt = new Date(now).toISOString();
    const expiresAt = new Date(now + HOOK_EVENT_TTL_MS).toISOString();
    const claimed = await this.store.transact((tx) => {
      const fresh: string[] = [];
      for (const e of events) {
        if (tx.get('hookEvents', source, e.id) || fresh.includes(e.id)) continue;
        tx.put('hookEvents', source, e.id, { id: e.id, source, idp, receivedAt, expiresAt, state: 'processing', ...(e.published ? { published: e.published } : {}), ...(e.event ? { event: e.event } : {}), ...(e.callout ? { callout: e.callout } : {}) });
        fresh.push(e.id);
      }
      return fresh;
    });
    await this.sweep();
    return claimed;
  }

  get(source: HookEventRecord['source'], id: string): Readonly<HookEventRecord> | undefined {
    return this.store.get('hookEvents', source, id);
  }

  list(source: HookEventRecord['source']): Array<Readonly<HookEventRecord>> {
    return [...this.store.list('hookEvents', source)];
  }

  async update(source: HookEventRecord['source'], id: string, change: Partial<HookEventRecord>): Promise<void> {
    await this.store.transact((tx) => {
      const current = tx.get('hookEvents', source, id);
      if (current) tx.put('hookEvents', source, id, { ...current, ...change });
    });
  }

  /** Deletes expired records, at most once an hour (each delivery calls it). */
  async sweep(force = false): Promise<number> {
    const now = this.now();
    if (!force && now - this.lastSweep < SWEEP_EVERY_MS) return 0;
    this.lastSweep = now;
    const cutoff = new Date(now).toISOString();
    return this.store.transact((tx) => {
      let removed = 0;
      for (const source of tx.partitions('hookEvents')) {
        for (const r of [...tx.list('hookEvents', source)]) {
          // A callout still waiting for its task keeps its record: it is needed to resume.
          if (r.expiresAt <= cutoff && r.state !== 'waiting') {
            tx.delete('hookEvents', source, r.id);
            removed++;
          }
        }
      }
      return removed;
    });
  }
}
