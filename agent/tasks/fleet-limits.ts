import type { Store } from '../store/store.ts';
import './task-record.ts';
import type { Claimant } from './attempt.ts';
import type { OutageNote } from './outage-note.ts';

/**
 * A hub's limits when several replicas share the store (`Store.shared`, PostgreSQL): Meta's
 * limits are per business and app, not per process
 * (https://developers.facebook.com/docs/graph-api/overview/rate-limiting), so N replicas must
 * together stay within what one runner allows itself:
 *
 *  - the request budget: one token bucket per hub in the store, refilled by elapsed time;
 *  - concurrency: app-calling tasks holding a lease on the hub, at most `concurrency` across
 *    the fleet (a lease is taken before a task calls and kept until its outcome is recorded);
 *  - rate-limit blocks (scope-blocks.ts) and a paused hub (hub-state.ts) are store records
 *    every replica learns of (change notifications, the runner's poll): a throttle or a pause
 *    committed by any replica stops every replica's claims. They are not read again inside each
 *    claim: that would cost two queries per task and only close the milliseconds between a
 *    commit and its notification (a task claimed just before the commit calls anyway).
 *
 * Budget and concurrency are handed out in shares: a replica reserves call slots and tokens
 * from the hub's record (`hubBudgets`, partition '', id = hub id) in one transaction, records
 * how many slots it holds (`held`), and claims tasks one by one (as a single runner does) while
 * its share lasts. Tokens of a share are spent within a second or dropped, and a share is at most
 * a tenth of the burst, so the fleet never starts more than the bucket allows plus that tenth.
 * Slots are kept while the replica has due work on the hub, renewed like a lease, and given back
 * when it has none; a replica that dies stops renewing, and its slots lapse after one lease
 * length, when its tasks' leases lapse too.
 *
 * Why shares and not the record updated in every claim: tried first (a batch of claims, the
 * budget and a count of held leases in one transaction), 2,000 tasks on one PostgreSQL replica
 * took 103 s with 4,694 serialization retries against 65 s and 638 retries claiming one by one
 * (this 2-core machine, heavily loaded by other work, so times vary): under SERIALIZABLE a
 * transaction reading many task rows conflicts with most concurrent outcomes (predicate locks
 * are taken per index page, https://www.postgresql.org/docs/current/transaction-iso.html#XACT-SERIALIZABLE),
 * and a record written by every claim conflicts with every other claim (measured when the store
 * ran SERIALIZABLE; with its key locks now, such a record would queue every claim on its row lock
 * instead, the same bottleneck). With shares, 500 tasks
 * cost 14.3 queries and 2.03 transactions per task against 13.8 and 2.01 for the single-process
 * path on the same PostgreSQL store (194 against 164 retries).
 *
 * Times are each replica's clock (epoch ms), as leases already are: replicas keep time with NTP.
 */
export interface HubBudgetRecord {
  id: string;
  hubId: string;
  /** Request-budget tokens left at `at`. */
  tokens: number;
  /** Epoch ms of the last refill. */
  at: number;
  /** Per replica (runner owner): call slots it holds on the hub, counted until `until` (epoch ms). */
  held: Record<string, { n: number; until: number }>;
}

declare module '../store/collections.ts' {
  interface Collections {
    hubBudgets: HubBudgetRecord;
  }
}

/**
 * Store index of the tasks the queue may take now or later (defined on shared stores only): the
 * runner reads it at start and polls it, so a lost notification or a lease left by a killed
 * replica is found without reading every task ever kept. The key function names no helper: the
 * index is rebuilt when its source changes (agent/store/postgres/indexes.ts).
 */
export const FLEET_INDEX = 'tasks.open';

export function defineFleetIndex(store: Store): void {
  store.defineIndex('tasks', FLEET_INDEX, (t) => {
    if (t.status === 'queued' || (t.status === 'running' && t.lease)) return ['open'];
    if (t.status === 'waiting' && !(t.waitReason === 'children' && !t.nextRunAt)) return ['open'];
    return [];
  });
}

export interface HubLimits {
  /** Tokens per second (Infinity: no budget) and the bucket's size. */
  perSecond: number;
  burst: number;
  /** Call slots on the hub across the fleet. */
  concurrency: number;
}

interface Share {
  /** Slots held (as recorded, or being recorded). */
  slots: number;
  /** Slots in use: tasks launched and not yet ended. */
  calling: number;
  tokens: number;
  /** Epoch ms the tokens are dropped. */
  tokensUntil: number;
  /** Epoch ms `slots` was last written. */
  writtenAt: number;
  /** Epoch ms the slots as recorded lapse (0: none recorded). */
  until: number;
}

/** How long the tokens of a share may be spent. */
const TOKENS_LAST_MS = 1_000;

/** This replica's shares of its hubs' budgets and concurrency (see the file comment). */
export class FleetShares {
  private readonly shares = new Map<string, Share>();
  private releasing?: NodeJS.Timeout;
  private released = false;
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly o: {
    store: Store;
    claimant: Pick<Claimant, 'owner' | 'clock' | 'leaseMs'>;
    limits: HubLimits;
    /** Whether this replica has due work on the hub (a share is kept while it has). */
    hasDueWork: (hubId: string) => boolean;
    log: { warn(msg: string): void };
    /** Renewals that fail are logged when they start failing and when they work again, per hub. */
    outages?: OutageNote;
  }) {}

  private of(hubId: string): Share {
    let s = this.shares.get(hubId);
    if (!s) this.shares.set(hubId, (s = { slots: 0, calling: 0, tokens: 0, tokensUntil: 0, writtenAt: 0, until: 0 }));
    return s;
  }

  /**
   * A slot and a token for one task of the hub, reserving more from the store when this
   * replica's share is used up (`want`: how many tasks it could start now). `retryAt` is 0 when
   * taken (call `ended` once the task's lease ends), else when to look again (epoch ms); `full`:
   * other replicas hold the hub's slots.
   */
  async take(hubId: string, want: number): Promise<{ retryAt: number; full?: boolean }> {
    this.released = false; // taking again after a stop: the runner started again
    const s = this.of(hubId);
    const now = this.o.claimant.clock();
    if (s.tokensUntil <= now) s.tokens = 0;
    // Slots whose record lapsed unrenewed (this replica cut off from the database, or stalled past
    // a lease) may be another replica's by now: only those in use are counted until reserved again.
    if (s.until <= now && s.slots > s.calling) s.slots = s.calling;
    const metered = Number.isFinite(this.o.limits.perSecond);
    if (s.calling >= s.slots || (metered && s.tokens < 1)) {
      const r = await this.reserve(hubId, Math.max(1, want));
      if (s.calling >= s.slots) return { retryAt: r.now, full: true };
      if (metered && s.tokens < 1) return { retryAt: r.now + r.tokenWaitMs, full: false };
    }
    s.calling++;
    if (metered) s.tokens--;
    return { retryAt: 0 };
  }

  /** A task that held a slot ended: when the replica has no more due work on the hub, its slots go back. */
  ended(hubId: string): void {
    const s = this.of(hubId);
    s.calling = Math.max(0, s.calling - 1);
    if (!this.releasing && !this.released) {
      // Debounced: one write for a burst of endings; a share still needed is kept.
      this.releasing = setTimeout(() => {
        this.releasing = undefined;
        void this.sync((hubId, share) => (share.slots > share.calling && !this.o.hasDueWork(hubId) ? share.calling : undefined));
      }, 50);
      this.releasing.unref();
    }
  }

  /** Renews shares recorded more than a third of a lease ago (the poll calls it), so a live replica's slots do not lapse. */
  renew(): Promise<void> {
    const now = this.o.claimant.clock();
    return this.sync((hubId, s) => {
      if (s.slots > s.calling && !this.o.hasDueWork(hubId)) return s.calling; // idle: give back
      return s.slots > 0 && now - s.writtenAt >= this.o.claimant.leaseMs / 3 ? s.slots : undefined;
    });
  }

  /**
   * At stop, once the leases are handed back: every slot goes back. Returns the hubs whose slots
   * could not be given back (they lapse after one lease length), for the runner's one line about
   * what it leaves behind, rather than a warning per hub.
   */
  async releaseAll(): Promise<{ hubs: string[]; error?: unknown }> {
    this.released = true;
    if (this.releasing) clearTimeout(this.releasing);
    this.releasing = undefined;
    for (const s of this.shares.values()) s.calling = 0;
    const left: { hubs: string[]; error?: unknown } = { hubs: [] };
    await this.sync((_hubId, s) => (s.slots > 0 ? 0 : undefined), (hubId, err) => {
      left.hubs.push(hubId);
      left.error ??= err;
    });
    return left;
  }

  /** Reserves slots (up to `want` more than in use) and tokens (up to `want`, at most a tenth of the burst). */
  private reserve(hubId: string, want: number): Promise<{ now: number; tokenWaitMs: number }> {
    const s = this.of(hubId);
    const { owner, clock, leaseMs } = this.o.claimant;
    const { perSecond, burst, concurrency } = this.o.limits;
    const metered = Number.isFinite(perSecond);
    const chunk = Math.max(1, Math.min(want, Math.ceil(burst / 10)));
    const result = this.serially(() => this.o.store.transact(async (tx) => {
      // Everything is built inside: the function may run again after a conflict.
      const now = clock();
      const b = await tx.get('hubBudgets', '', hubId);
      const held = live(b, now);
      let others = 0;
      for (const [o, h] of Object.entries(held)) if (o !== owner) others += h.n;
      // As many slots as it could use now, of those no other replica holds; never fewer than in use.
      const slots = Math.max(s.calling, Math.min(s.calling + want, concurrency - others));
      let tokens = metered ? (b ? Math.min(burst, b.tokens + (Math.max(0, now - b.at) / 1000) * perSecond) : burst) : Number.MAX_SAFE_INTEGER;
      const granted = metered && s.tokens < 1 ? Math.min(chunk, Math.floor(tokens)) : 0;
      tokens -= granted;
      const tokenWaitMs = metered && tokens < 1 ? Math.max(1, Math.ceil(((1 - tokens) / perSecond) * 1000)) : 0;
      // Nothing to take (the hub's slots are held by others, no token yet): write nothing, so
      // replicas waiting for room do not wake each other with writes that change nothing.
      if (granted === 0 && slots === (held[owner]?.n ?? 0)) return { now, slots, granted, tokenWaitMs, wrote: false, until: held[owner]?.until ?? 0 };
      if (slots > 0) held[owner] = { n: slots, until: now + leaseMs };
      else delete held[owner];
      // The bucket's time never goes back: a replica whose clock is behind writing its own time
      // would let the next one ahead count the difference as elapsed again, refilling the bucket
      // on each alternation with no time passing. It refills only once its clock passes `at`.
      tx.put('hubBudgets', '', hubId, { id: hubId, hubId, tokens, at: Math.max(now, b?.at ?? now), held });
      return { now, slots, granted, tokenWaitMs, wrote: true, until: held[owner]?.until ?? 0 };
    }).then((r) => {
      if (r.wrote) s.writtenAt = r.now;
      s.slots = r.slots;
      s.until = r.until;
      // The hub's slots are recorded again: a sync that failed before (its outage) has ended,
      // though none may follow (one that gave every slot back leaves nothing to renew).
      this.o.outages?.ok(slotsOf(hubId));
      if (r.granted > 0) {
        s.tokens += r.granted;
        s.tokensUntil = r.now + TOKENS_LAST_MS;
      }
      return r;
    }));
    return result;
  }

  /** Writes the slots `keepOf` says each share keeps (undefined: leave it), giving back or renewing. */
  private sync(keepOf: (hubId: string, s: Share) => number | undefined, failed: (hubId: string, err: unknown) => void = (hubId, err) => this.failed(hubId, err)): Promise<void> {
    return this.serially(async () => {
      const { owner, clock, leaseMs } = this.o.claimant;
      for (const [hubId, s] of this.shares) {
        const keep = keepOf(hubId, s);
        if (keep === undefined) continue;
        // Lowered here first: no task takes a slot that is being given back.
        s.slots = keep;
        try {
          const recorded = await this.o.store.transact(async (tx) => {
            const now = clock();
            const b = await tx.get('hubBudgets', '', hubId);
            const held = live(b, now);
            let others = 0;
            for (const [o, h] of Object.entries(held)) if (o !== owner) others += h.n;
            // Never more than the other replicas left: after this replica's slots lapsed
            // unrenewed, others may have taken them (those in use are recorded all the same).
            const n = keep > 0 ? Math.max(s.calling, Math.min(keep, this.o.limits.concurrency - others)) : 0;
            if (n > 0) held[owner] = { n, until: now + leaseMs };
            else if (!b?.held[owner]) return { n, until: 0 };
            else delete held[owner];
            tx.put('hubBudgets', '', hubId, { id: hubId, hubId, tokens: b?.tokens ?? Number.MAX_SAFE_INTEGER, at: b?.at ?? now, held });
            return { n, until: held[owner]?.until ?? 0 };
          });
          s.slots = Math.min(s.slots, recorded.n);
          s.until = recorded.until;
          s.writtenAt = clock();
          this.o.outages?.ok(slotsOf(hubId));
        } catch (err) {
          failed(hubId, err);
        }
      }
    });
  }

  private failed(hubId: string, err: unknown): void {
    if (this.o.outages) this.o.outages.failed(slotsOf(hubId), err);
    else this.o.log.warn(`task runner: ${slotsOf(hubId)}: ${err instanceof Error ? err.message : String(err)}`);
  }

  /** One share write at a time (a reservation and a release of one hub never race here). */
  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.writes.then(work);
    this.writes = run.then(() => {}, () => {});
    return run;
  }
}

const slotsOf = (hubId: string) => `recording this replica's call slots on hub ${hubId}`;

const live = (b: Readonly<HubBudgetRecord> | undefined, now: number): HubBudgetRecord['held'] =>
  Object.fromEntries(Object.entries(b?.held ?? {}).filter(([, h]) => h.until > now));
