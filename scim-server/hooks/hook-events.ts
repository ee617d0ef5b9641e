import { isDeepStrictEqual } from 'node:util';
import { randomUUID } from 'node:crypto';
import { appendAudit, type AuditInput } from '../../agent/audit/audit-log.ts';
import { runSlot, slotOf } from '../../agent/schedules/run-once.ts';
import type { Store } from '../../agent/store/store.ts';
import { isStoreUnavailable } from '../../agent/store/store-unavailable.ts';
import { childLogger, type Logger } from '../../agent/log/logger.ts';
import { pruneOrderMarks } from './event-order.ts';
import { SWEEP_BATCH, sweepExpiredRecords } from './sweep-batches.ts';
import { defineOpenIndex, HOOK_EVENT_TTL_MS, OPEN_INDEX, type HookEventRecord } from './hook-event-record.ts';

const SWEEP_EVERY_MS = 3600_000;
/** As the agent's task leases: 30 s, renewed every 10 s. */
export const HOOK_LEASE_MS = 30_000;

const isOpen = (r: Readonly<HookEventRecord>) => r.state === 'processing' || r.state === 'waiting';
/** A change of this process's own (not `remote`) that left an open record with no lease: handed back. */
const handedBack = (r: unknown) => r !== undefined && isOpen(r as HookEventRecord) && !(r as HookEventRecord).lease;

/** The earlier of two times, ignoring one that is not a time (a lease's `until` unreadable). */
const soonest = (a: number, b: number) => (Number.isFinite(b) ? Math.min(a, b) : a);

export class HookEventLog {
  private lastSweep = 0;
  /** This process, as the owner of the leases it takes. */
  readonly owner = `hooks-${randomUUID()}`;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly unsubscribes: Array<() => void> = [];
  private closed = false;
  /** Records deleted per transaction by the sweep (sweep-batches.ts). */
  sweepBatch = SWEEP_BATCH;
  /** By `source\0id`: records worked on here now (`keep`, counted); those whose work here ended
   * while still open (only these of its own does this process take again, once their lease has
   * lapsed); those finished here though the store did not record it (`leave`: never taken again). */
  private readonly working = new Map<string, number>();
  private readonly ended = new Set<string>();
  private readonly left = new Set<string>();
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
    private readonly log: Pick<Logger, 'warn'> = childLogger('hook-events'),
    readonly leaseMs = HOOK_LEASE_MS,
    /**
     * The audit entry of a record swept while still `processing` (never acted on: the agent or the
     * store said "not now" at every try for a week), or undefined for none (hook-give-up.ts).
     */
    private readonly givenUp?: (r: Readonly<HookEventRecord>) => AuditInput | undefined,
  ) {
    defineOpenIndex(store);
  }

  private lease(): NonNullable<HookEventRecord['lease']> {
    return { owner: this.owner, until: new Date(this.now() + this.leaseMs).toISOString() };
  }

  /**
   * Claims the event ids not seen before, in one store write, and returns the ones claimed. A
   * replay (or a concurrent duplicate) finds its id taken and is dropped.
   */
  async claim(source: HookEventRecord['source'], idp: string, events: Array<Pick<HookEventRecord, 'id' | 'published' | 'event' | 'callout'>>): Promise<string[]> {
    const now = this.now();
    const receivedAt = new Date(now).toISOString();
    const expiresAt = new Date(now + HOOK_EVENT_TTL_MS).toISOString();
    // The ids the latest run of the transaction wrote (for a commit of unknown outcome, below).
    let wrote: string[] = [];
    const claimed = await this.store.transact(async (tx) => {
      const fresh = new Set<string>();
      wrote = [];
      // Every id in one read, not a round trip each before Okta hears its answer (3 s: https://developer.okta.com/docs/concepts/event-hooks/).
      const ids = [...new Set(events.map((e) => e.id))];
      const known = await tx.getMany('hookEvents', source, ids);
      const taken = new Set(ids.filter((_, n) => known[n] !== undefined));
      for (const e of events) {
        if (fresh.has(e.id) || taken.has(e.id)) continue;
        // Leased to this process at once: a replica starting now leaves it to us.
        tx.put('hookEvents', source, e.id, { id: e.id, source, idp, receivedAt, expiresAt, state: 'processing', lease: this.lease(), ...(e.published ? { published: e.published } : {}), ...(e.event ? { event: e.event } : {}), ...(e.callout ? { callout: e.callout } : {}) });
        fresh.add(e.id);
      }
      wrote = [...fresh];
      return [...fresh];
    }).catch((err: unknown) => {
      // The commit's answer was lost (PostgreSQL's connection went during it): the records may be
      // stored after all, leased to this process, which will not act on them now (the caller
      // answers 5xx), and the sender's retry finds their ids taken and is ignored as a replay.
      // Taken back here once their lease lapses, like records whose work here ended; without
      // this only another replica ever took them, and a single replica never did until a restart.
      // Only the ids this claim wrote: one already stored is not its record (one this process
      // left, a resume made, must never be taken again here: `leave`).
      if (isStoreUnavailable(err) && err.outcomeUnknown) {
        for (const id of wrote) if (!this.working.has(`${source}\u0000${id}`)) this.ended.add(`${source}\u0000${id}`);
      }
      throw err;
    });
    // The sweep of expired records is not part of the claim: the caller starts it after its answer
    // (`tidy`). Run here, it read a week of records before Okta heard 200, past Okta's 3 s; and a
    // failing sweep must not make the caller answer "not recorded": the sender's retry would find
    // every id taken (Okta retries once: https://developer.okta.com/docs/concepts/event-hooks/).
    return claimed;
  }

  /** The hourly sweep (`sweep`), for after an answer: never rejects; a failure is logged. */
  tidy(): Promise<void> {
    return this.sweep().then(() => undefined, (err: Error) => {
      this.log.warn(`hook events: sweeping expired records failed (next try within the hour): ${err.message}`);
    });
  }

  get(source: HookEventRecord['source'], id: string): Promise<Readonly<HookEventRecord> | undefined> {
    return this.store.get('hookEvents', source, id);
  }

  /** The records of these ids that exist, in the order of `ids`, in one read. */
  async getMany(source: HookEventRecord['source'], ids: readonly string[]): Promise<Array<Readonly<HookEventRecord>>> {
    return (await this.store.getMany('hookEvents', source, ids)).filter((r): r is Readonly<HookEventRecord> => r !== undefined);
  }

  /**
   * Records progress on a record this process holds (or that nobody holds), with the audit entries
   * of the decision in the same transaction (agent/audit/audit-log.ts: every change made or
   * declined, also a hook's, is audited; the record itself is swept after a week); a finished record (done, failed) drops its lease.
   * False, and nothing written, when another replica holds it now: it acts on the record instead.
   */
  async update(source: HookEventRecord['source'], id: string, change: Partial<HookEventRecord>, audit: readonly AuditInput[] = []): Promise<boolean> {
    return this.store.transact(async (tx) => {
      const current = await tx.get('hookEvents', source, id);
      if (!current || (current.lease && current.lease.owner !== this.owner)) return false;
      const next: HookEventRecord = { ...current, ...change };
      if (!isOpen(next)) delete next.lease;
      // Holding it already: a write sent again after its commit's answer was lost (StoreUnavailable
      // `outcomeUnknown`: applied after all, lifecycle-run.ts `retried`). Written again, its audit
      // entries were appended twice (a second resume, a second refusal in the person's trail).
      if (isDeepStrictEqual(next, current)) return true;
      tx.put('hookEvents', source, id, next);
      for (const entry of audit) appendAudit(tx, entry);
      return true;
    });
  }

  /** May this process take the record now? Never while a live replica may hold it. */
  private takable(r: Readonly<HookEventRecord> | undefined, now: number): boolean {
    if (!r || !isOpen(r)) return false;
    if (!r.lease) return true;
    // Ours: its work here ended with the record open (a store refusing a write of its progress),
    // and on a store only this process uses (memory, lowdb) nothing else would ever take it (nor
    // would Okta deliver it again: it retries once, https://developer.okta.com/docs/concepts/event-hooks/).
    if (r.lease.owner === this.owner) return this.ownLapsed(r, now);
    // A store only this process uses (memory, lowdb): another owner's lease is a dead process's.
    return this.store.shared !== true || Date.parse(r.lease.until) <= now;
  }

  private key = (r: Readonly<HookEventRecord>) => `${r.source}\u0000${r.id}`;

  private ownLapsed(r: Readonly<HookEventRecord>, now: number): boolean {
    return this.ended.has(this.key(r)) && Date.parse(r.lease!.until) <= now;
  }

  /** A lease that another process holds, or that this one holds and no longer renews: it lapses. */
  private lapses(r: Readonly<HookEventRecord>): boolean {
    return r.lease !== undefined && (r.lease.owner !== this.owner || this.ended.has(this.key(r)));
  }

  /**
   * Takes the lease of the given open records that no live process holds, in one transaction.
   * Returns the records taken, the ids another process holds and when the first of those lapses.
   */
  async take(source: HookEventRecord['source'], ids: readonly string[]): Promise<{ taken: Array<Readonly<HookEventRecord>>; held: string[]; lapse?: number }> {
    const out = await this.store.transact(async (tx) => {
      const now = this.now();
      const out: { taken: HookEventRecord[]; held: string[]; lapse?: number } = { taken: [], held: [] };
      const records = await tx.getMany('hookEvents', source, ids);
      records.forEach((r, n) => {
        if (!r || !isOpen(r)) return;
        if (this.takable(r, now)) {
          const next = { ...r, lease: this.lease() };
          tx.put('hookEvents', source, ids[n]!, next);
          out.taken.push(next);
        } else if (this.lapses(r)) {
          out.held.push(ids[n]!);
          out.lapse = Math.min(out.lapse ?? Infinity, Date.parse(r.lease!.until));
        }
      });
      return out;
    });
    // Forgotten once the take committed, not in the transaction function: one the store refused
    // (or ran again) left the record ours, lapsed and open, and without the mark this process
    // never took it again (only another replica, or a restart, did).
    for (const r of out.taken) this.ended.delete(this.key(r));
    return out;
  }

  /**
   * Hands the source's open records (accepted, not finished) that `where` keeps to `act` once
   * taken: at once those no live process holds (at start-up: the deliveries accepted before a
   * restart), and for as long as this log is open: when a lease seen held is due to lapse, every
   * lease period, and, on a store shared by replicas, when the store reports a change to the
   * source's records (a replica handing one back at its stop). Resolves after the first look.
   * On any store this also takes back this process's own records left open when their work ended
   * (a store refusing a write of their progress mid-delivery), once their lease has lapsed.
   *
   * Why keep looking: replicas sharing the store each re-ran every open record at start-up, so one
   * starting while another worked acted twice (offboarded twice; resumed a Lifecycle Workflows
   * task twice and recorded Graph's refusal of the second resume as the outcome), hence the lease.
   * But a record taken by a replica after the others had started was looked at by them only at
   * their next start: when its holder died (kill -9, a lost host), the Okta event waited days
   * behind a load balancer, and the Lifecycle Workflows task ran into its callback timeout (at
   * most PT3H) with the leaver's seats still in place. A taskProcessingResult is resumed once
   * (https://learn.microsoft.com/graph/api/identitygovernance-taskprocessingresult-resume): the
   * taker holds the lease, and a callout is resumed only by its holder (lifecycle-run.ts).
   * Open records are read through an index (records are kept a week), not by reading them all.
   */
  async pickUp(source: HookEventRecord['source'], where: (r: Readonly<HookEventRecord>) => boolean, act: (records: Array<Readonly<HookEventRecord>>) => void): Promise<void> {
    if (this.closed) return;
    // The next look: at the earliest lapse of a lease seen held, else one lease period on.
    const schedule = (at: number) => {
      // On every store: a store only this process uses has records of its own lapsed leases too.
      if (this.closed) return;
      const t = setTimeout(() => {
        this.timers.delete(t);
        look().catch(() => undefined);
      }, Math.max(0, at - this.now()));
      t.unref();
      this.timers.add(t);
    };
    const once = async (): Promise<number> => {
      const now = this.now();
      let next = now + this.leaseMs;
      const ids: string[] = [];
      const open = await this.store.lookup('hookEvents', OPEN_INDEX, source);
      // Forget the ended records that are finished now (recorded done or failed): most of them.
      const openKeys = new Set(open.filter(isOpen).map(this.key));
      for (const k of this.ended) if (k.startsWith(`${source}\u0000`) && !openKeys.has(k)) this.ended.delete(k);
      for (const r of open) {
        if (!isOpen(r) || !where(r)) continue;
        if (this.takable(r, now)) ids.push(r.id);
        else if (this.lapses(r)) next = soonest(next, Date.parse(r.lease!.until) + 50);
      }
      if (ids.length === 0 || this.closed) return next;
      const { taken, lapse } = await this.take(source, ids);
      if (taken.length > 0) act(taken);
      return lapse === undefined ? next : soonest(next, lapse + 50);
    };
    const look = async (): Promise<void> => {
      let next = this.now() + this.leaseMs;
      try {
        next = await once();
      } catch (err) {
        // Looked at again at the next period: a store hiccup must not end the watch.
        this.log.warn(`hook events: cannot look at the open ${source} records (again within ${Math.ceil(this.leaseMs / 1000)} s): ${(err as Error).message}`);
        throw err;
      } finally {
        schedule(next);
      }
    };
    if (this.store.shared === true) {
      // A record changed (a replica handing one back at its stop; another replica's commit comes
      // as a bare id): those are read by key, gathered over a moment, since every renewal of a
      // lease is a change too.
      const changed = new Set<string>();
      let gathering = false;
      this.unsubscribes.push(this.store.subscribe((changes) => {
        for (const c of changes) {
          if (c.collection === 'hookEvents' && c.partition === source && (c.remote === true || handedBack(c.record))) changed.add(c.id);
        }
        if (changed.size === 0 || gathering || this.closed) return;
        gathering = true;
        const t = setTimeout(() => {
          this.timers.delete(t);
          gathering = false;
          const ids = [...changed];
          changed.clear();
          this.takeFree(source, ids, where, act).catch((err: Error) => this.log.warn(`hook events: cannot take the ${source} records handed back: ${err.message}`));
        }, Math.min(1000, Math.floor(this.leaseMs / 3)));
        t.unref();
        this.timers.add(t);
      }));
    }
    await look();
  }

  /** Takes those of the records (read by key) that no live process holds, and hands them to `act`. */
  private async takeFree(source: HookEventRecord['source'], ids: string[], where: (r: Readonly<HookEventRecord>) => boolean, act: (records: Array<Readonly<HookEventRecord>>) => void): Promise<void> {
    if (this.closed) return;
    const now = this.now();
    const free = (await this.store.getMany('hookEvents', source, ids)).filter((r) => r !== undefined && where(r) && this.takable(r, now)).map((r) => r!.id);
    if (free.length === 0 || this.closed) return;
    const { taken } = await this.take(source, free);
    if (taken.length > 0) act(taken);
  }

  /** Renews this process's lease on the records every third of its length until the returned function is called. */
  keep(source: HookEventRecord['source'], ids: readonly string[]): () => void {
    const keys = ids.map((id) => `${source}\u0000${id}`);
    for (const k of keys) this.working.set(k, (this.working.get(k) ?? 0) + 1);
    const timer = setInterval(() => {
      this.renew(source, ids).catch(() => {
        // The next renewal tries again; if none lands, the lease lapses and another replica takes the record.
      });
    }, Math.max(10, Math.floor(this.leaseMs / 3)));
    timer.unref();
    let released = false;
    return () => {
      clearInterval(timer);
      for (const k of released ? [] : keys) {
        const n = (this.working.get(k) ?? 1) - 1;
        if (n > 0) this.working.set(k, n);
        else if (this.working.delete(k) && !this.left.has(k)) this.ended.add(k);
      }
      released = true;
    };
  }

  /** Claimed here, their work never began (the read after the claim failed): taken again here once the lease lapses, not only by a restart. */
  notStarted(source: HookEventRecord['source'], ids: readonly string[]): void {
    for (const k of ids.map((id) => `${source}\u0000${id}`)) if (!this.working.has(k) && !this.left.has(k)) this.ended.add(k);
  }

  /** Done here with an open record whose outcome the store refused (a resume made): never taken again here (a restart may). */
  leave(source: HookEventRecord['source'], id: string): void {
    this.left.add(`${source}\u0000${id}`);
    this.ended.delete(`${source}\u0000${id}`);
  }

  /** Renews this process's lease on the records; those it no longer holds are left alone. Returns the ids still held. */
  async renew(source: HookEventRecord['source'], ids: readonly string[]): Promise<string[]> {
    return this.store.transact(async (tx) => {
      const held: string[] = [];
      const records = await tx.getMany('hookEvents', source, ids);
      records.forEach((r, n) => {
        if (!r || !isOpen(r) || r.lease?.owner !== this.owner) return;
        tx.put('hookEvents', source, ids[n]!, { ...r, lease: this.lease() });
        held.push(ids[n]!);
      });
      return held;
    });
  }

  /** At stop: gives back this process's lease on a record still open, so the next replica or start takes it at once. */
  async release(source: HookEventRecord['source'], id: string): Promise<void> {
    await this.store.transact(async (tx) => {
      const r = await tx.get('hookEvents', source, id);
      if (!r || r.lease?.owner !== this.owner) return;
      const next = { ...r };
      delete next.lease;
      tx.put('hookEvents', source, id, next);
    });
  }

  /** Stops looking at open records (the timer and the store subscription of `pickUp`). */
  close(): void {
    this.closed = true;
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /**
   * Deletes expired records, and the Okta ordering marks that decide nothing any more
   * (event-order.ts pruneOrderMarks), at most once an hour (each delivery calls it). The expired ones are
   * found by reading page by page outside the write; each write (a bounded batch) reads them again
   * through `tx` and deletes those still expired and not waiting (an update meanwhile keeps it). With
   * replicas sharing the store, one of them sweeps each hour (the one holding the hour's slot,
   * agent/schedules/run-once.ts); the others skip it.
   */
  async sweep(force = false): Promise<number> {
    const now = this.now();
    if (!force && now - this.lastSweep < SWEEP_EVERY_MS) return 0;
    this.lastSweep = now;
    if (force) return this.sweepExpired(now);
    let removed = 0;
    await runSlot(this.store, 'hook-events-sweep', slotOf(now, SWEEP_EVERY_MS), async () => { removed = await this.sweepExpired(now); }, { clock: () => this.now() });
    return removed;
  }

  private async sweepExpired(now: number): Promise<number> {
    // Records first: an expired one still open is given up here, so it no longer keeps its person's marks.
    const removed = await this.sweepRecords(now);
    await pruneOrderMarks(this.store, now);
    return removed;
  }

  /** Kept by the sweep: a record this process is acting on now (`keep`). */
  private sweepRecords(now: number): Promise<number> {
    return sweepExpiredRecords(this.store, now, (r) => this.working.has(this.key(r)), this.givenUp, this.sweepBatch);
  }
}
