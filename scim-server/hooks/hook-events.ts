import { claimSlot, slotOf } from '../../agent/schedules/run-once.ts';
import type { Store } from '../../agent/store/store.ts';
import { childLogger, type Logger } from '../../agent/log/logger.ts';

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
    private readonly log: Pick<Logger, 'warn'> = childLogger('hook-events'),
  ) {}

  /**
   * Claims the event ids not seen before, in one store write, and returns the ones claimed. A
   * replay (or a concurrent duplicate) finds its id taken and is dropped.
   */
  async claim(source: HookEventRecord['source'], idp: string, events: Array<Pick<HookEventRecord, 'id' | 'published' | 'event' | 'callout'>>): Promise<string[]> {
    const now = this.now();
    const receivedAt = new Date(now).toISOString();
    const expiresAt = new Date(now + HOOK_EVENT_TTL_MS).toISOString();
    const claimed = await this.store.transact(async (tx) => {
      const fresh: string[] = [];
      for (const e of events) {
        if (fresh.includes(e.id) || (await tx.get('hookEvents', source, e.id))) continue;
        tx.put('hookEvents', source, e.id, { id: e.id, source, idp, receivedAt, expiresAt, state: 'processing', ...(e.published ? { published: e.published } : {}), ...(e.event ? { event: e.event } : {}), ...(e.callout ? { callout: e.callout } : {}) });
        fresh.push(e.id);
      }
      return fresh;
    });
    // The claim is durable now. A failing sweep (housekeeping) must not make the caller answer
    // "not recorded": the sender's retry would find every id taken (Okta retries once:
    // https://developer.okta.com/docs/concepts/event-hooks/) and nothing would act on the events.
    await this.sweep().catch((err: Error) => this.log.warn(`hook events: sweeping expired records failed (next try within the hour): ${err.message}`));
    return claimed;
  }

  get(source: HookEventRecord['source'], id: string): Promise<Readonly<HookEventRecord> | undefined> {
    return this.store.get('hookEvents', source, id);
  }

  /**
   * The source's records that `where` keeps, in the order received; the others are read page by
   * page and not kept (at start-up: the deliveries not yet acted on).
   */
  async list(source: HookEventRecord['source'], where: (r: Readonly<HookEventRecord>) => boolean = () => true): Promise<Array<Readonly<HookEventRecord>>> {
    const out: Array<Readonly<HookEventRecord>> = [];
    for await (const r of this.store.list('hookEvents', source)) if (where(r)) out.push(r);
    return out;
  }

  async update(source: HookEventRecord['source'], id: string, change: Partial<HookEventRecord>): Promise<void> {
    await this.store.transact(async (tx) => {
      const current = await tx.get('hookEvents', source, id);
      if (current) tx.put('hookEvents', source, id, { ...current, ...change });
    });
  }

  /**
   * Deletes expired records, at most once an hour (each delivery calls it). The expired ones are
   * found by reading page by page outside the write; the write reads each again through `tx` and
   * deletes it only if it is still expired and not waiting (an update meanwhile keeps it). With
   * replicas sharing the store, one of them sweeps each hour (the first to claim the hour's slot,
   * agent/schedules/run-once.ts); the others skip it.
   */
  async sweep(force = false): Promise<number> {
    const now = this.now();
    if (!force && now - this.lastSweep < SWEEP_EVERY_MS) return 0;
    this.lastSweep = now;
    if (!force && !(await claimSlot(this.store, 'hook-events-sweep', slotOf(now, SWEEP_EVERY_MS), new Date(now)))) return 0;
    const cutoff = new Date(now).toISOString();
    // A callout still waiting for its task keeps its record: it is needed to resume.
    const sweepable = (r: Readonly<HookEventRecord> | undefined) => r !== undefined && r.expiresAt <= cutoff && r.state !== 'waiting';
    const expired: Array<[HookEventRecord['source'], string]> = [];
    for (const source of (await this.store.partitions('hookEvents')) as Array<HookEventRecord['source']>) {
      for await (const r of this.store.list('hookEvents', source)) if (sweepable(r)) expired.push([source, r.id]);
    }
    if (expired.length === 0) return 0;
    return this.store.transact(async (tx) => {
      let removed = 0;
      for (const [source, id] of expired) {
        if (!sweepable(await tx.get('hookEvents', source, id))) continue;
        tx.delete('hookEvents', source, id);
        removed++;
      }
      return removed;
    });
  }
}
