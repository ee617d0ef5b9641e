import type { HubConfigFile } from '../../config/schema.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { DirectoryChange, Trigger } from '../desired-state/delta.ts';
import type { OutboxEntry } from '../outbox.ts';
import { getAcross, type Change, type Store, type Transaction } from '../store/store.ts';
import { enqueueTask } from '../tasks/enqueue.ts';
import type { TaskLog } from '../tasks/handler.ts';
import { affectedPeople, emailsOfDeleted } from './affected-people.ts';
import { replanPerson } from './replan-person.ts';
import { applyPlan, readTaskKeysOf } from './reconcile.ts';
import type { PlanResult } from '../plan/operation.ts';
import type { HubConnector } from '../../connectors/sdk/connector.ts';
import { errorText } from '../log/logger.ts';
import { inFlight } from '../check-for-updates/in-flight.ts';
import { defineRunningIndex, followRunning, planWithRunning } from '../tasks/operations/running-for-person.ts';
import { approvalsOfHubs, releaseKeptOfPlans } from '../safety/approval-kept.ts';
import { openReportsOfHubs, releaseClaimedOfPlans } from '../safety/claimed-seats.ts';
import { defineHeldIndexes } from '../safety/held-indexes.ts';
import type { TaskRecord } from '../tasks/task-record.ts';
import './departed-user.ts';

export interface DispatcherOptions {
  store: Store;
  hubs: () => ReadonlyMap<string, HubConfigFile>;
  log: TaskLog;
  /** The hub's connector, for its role rules (planning reads no app state from it). */
  connectorFor?: (hubId: string) => HubConnector | undefined;
  clock?: () => number;
  /** A person who could not be planned at dispatch gets a reconcile task that waits this long. */
  windowMs?: number;
  /** People planned per transaction (an entry naming more is taken in slices). */
  peoplePerTransaction?: number;
  /**
   * On a store shared by replicas, how often to look at the outbox besides the change
   * notifications (default 2 s): an entry whose notification was lost while the feed reconnected,
   * or one a replica left behind when it died, is dispatched within this. Not used on a store only
   * this process uses.
   */
  pollMs?: number;
}

/**
 * Plans made at once (reads outstanding on the store): a whole transaction's people at the
 * default budget. On PostgreSQL the reads of plans in flight go out together
 * (store/postgres/read-batch.ts), so the more plans, the fewer round trips each. Provision
 * benchmark, burst p50: 8 → 32 took 1,000 people from 5.1 to 4.5 s; 32 → 100 took 5,000 people
 * from 5.9-7.7 to 2.6-3.3 s, because the dispatcher then keeps up with users created 16 at a time.
 */
const PLANS_IN_FLIGHT = 100;

function describe(changes: readonly DirectoryChange[]): string {
  const counts = new Map<string, number>();
  for (const c of changes) counts.set(c.kind, (counts.get(c.kind) ?? 0) + 1);
  const groups = groupsOf(changes);
  const named = groups.length === 0 ? '' : ` (group ${groups.slice(0, GROUPS_NAMED).map((g) => `"${g}"`).join(', ')}${groups.length > GROUPS_NAMED ? ` and ${groups.length - GROUPS_NAMED} more` : ''})`;
  return `${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}${named}`;
}

/** Groups named in an entry's why: which group a push changed is the reason its people are re-evaluated. */
const GROUPS_NAMED = 5;

function groupsOf(changes: readonly DirectoryChange[]): string[] {
  const names = new Set<string>();
  for (const c of changes) {
    if (c.kind === 'group-renamed') names.add(`${c.from}" → "${c.to}`);
    else if ('displayName' in c) names.add(c.displayName);
  }
  return [...names];
}

type Connected = { connector: HubConnector | undefined } | { error: string };

/** A person's plan, and the operation tasks that were running for them before it read the app. */
interface Planned {
  result: PlanResult;
  running: ReadonlyArray<Readonly<TaskRecord>>;
}

/** A person to re-plan, with the latest trigger that touched them and their emails if deleted. */
interface Affected {
  hub: HubConfigFile;
  userId: string;
  emails?: string[];
  trigger: Trigger;
}

/**
 * The outbox's consumer. In one transaction it deletes
 * recorded directory changes and plans each person they affect, queueing the resulting
 * operations (an invite, a role change) at once: a pushed change needs no intermediate task, so
 * the invite's task exists by the time the change is dispatched (the provision benchmark's burst
 * spent most of its time in those per-person tasks). A crash in between leaves the entries for
 * the next start; operations are keyed, so planning a person twice never doubles work.
 *
 * What a plan removes or downgrades is not done here: it goes to the hub's settle window or
 * deprovisioning report (agent/safety), which re-plans when it runs, so a group move's two halves
 * arriving in separate entries never remove anyone. A person whose plan throws (or whose hub's
 * connector cannot be built) gets a `reconcile-person` task instead, retried and reported like
 * any task, so one bad record never holds up the outbox.
 *
 * Replicas sharing the store each run a dispatcher: an entry is read again and deleted in the
 * transaction that plans it, so two replicas draining at once plan it once (the loser of the
 * conflict runs again and finds it gone); they also poll (`pollMs`).
 */
export class Dispatcher {
  private unsubscribe?: () => void;
  private poll?: NodeJS.Timeout;
  private scheduled = false;
  private draining?: Promise<void>;
  private readonly clock: () => number;

  constructor(private readonly o: DispatcherOptions) {
    this.clock = o.clock ?? Date.now;
    defineRunningIndex(o.store);
    defineHeldIndexes(o.store);
  }

  start(): void {
    this.unsubscribe = this.o.store.subscribe((changes: readonly Change[]) => {
      // A new or updated entry; or any outbox change another replica committed (sent without
      // the record): there may be work, and drain reads what is there.
      if (changes.some((c) => c.collection === 'outbox' && (c.record !== undefined || c.remote))) this.schedule();
    });
    if (this.o.store.shared) {
      this.poll = setInterval(() => this.schedule(), this.o.pollMs ?? 2_000);
      this.poll.unref();
    }
    this.schedule();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.poll) clearInterval(this.poll);
    this.poll = undefined;
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
    // Bounded per transaction: SCIM requests wait while a transaction plans.
    const budget = this.o.peoplePerTransaction ?? 100;
    for (;;) {
      // The oldest entries of each hub, a page at a time (a transaction plans at most `budget`
      // people, so the first `budget` entries of each hub hold the next ones in order).
      const entries = await this.oldestEntries(budget);
      if (entries.length === 0) return;
      entries.sort((a, b) => a.seq - b.seq);
      // Each entry is read again through `tx` (it may have been taken meanwhile); everything the
      // function keeps is built inside it, so it can run again.
      const dispatch = (plan: boolean) => this.o.store.transact(async (tx) => {
        const now = new Date(this.clock());
        const connectors = new Map<string, Connected>();
        const wanted = this.entriesFor(entries, budget);
        // The people the entries name as listed are planned while the entries are read again
        // (one round trip fewer on PostgreSQL before the invites are queued). A plan made this
        // way reads committed state only, as planOf always does for a person not deleted; the
        // people consume() then takes from the entries as read again are the ones planned, and
        // a guess that is not among them is dropped (another replica took a slice meanwhile).
        const early = new Map<string, Promise<Planned | undefined>>();
        if (plan) {
          const listed = new Map<string, Affected>();
          for (const { entry, people } of wanted) {
            if (listed.size >= budget) break;
            this.slice(entry, people, listed, budget - listed.size);
          }
          for (const [key, person] of [...listed].slice(0, PLANS_IN_FLIGHT)) {
            if (person.emails) continue; // a deleted user is planned through tx, after consume() stages their record
            early.set(key, this.planOf(tx, person, now, connectors));
          }
        }
        // Read again in one go per hub: one by one, a hundred created users' entries were a
        // hundred round trips on PostgreSQL (a second per transaction in the provision benchmark).
        const current = await getAcross(tx, 'outbox', wanted.map(({ entry }) => ({ partition: entry.hubId, id: entry.id })));
        const affected = new Map<string, Affected>();
        for (const [n, { entry, people }] of wanted.entries()) {
          if (affected.size >= budget) break;
          this.consume(tx, entry, current[n], people, affected, budget - affected.size);
        }
        const people = [...affected.values()];
        // Planned several at a time (each plan is several reads, a round trip each on
        // PostgreSQL), applied one after another in the order of their changes.
        const plans = plan ? await inFlight([...affected].map(([key, person]) => () => (!person.emails && early.get(key)) || this.planOf(tx, person, now, connectors)), PLANS_IN_FLIGHT) : [];
        // The hubs' pending approvals and open reports (by index, not their history) beside the task keys (one round trip): releaseKeptOfPlans below.
        const [, approvals, reports] = await Promise.all([
          readTaskKeysOf(tx, people.map((person, n) => ({ hubId: person.hub.id, result: plans[n]?.result }))),
          approvalsOfHubs(tx, plan ? people.map((p) => p.hub.id) : []),
          openReportsOfHubs(tx, plan ? people.map((p) => p.hub.id) : []),
        ]);
        for (const [n, person] of people.entries()) {
          const planned = plans[n];
          if (!planned) {
            await this.queueReconcile(tx, person, now);
            continue;
          }
          await applyPlan(tx, person.hub, planned.result, { trigger: person.trigger, now }, [person.userId]);
          await followRunning(tx, { hubId: person.hub.id, directoryUserId: person.userId, emails: person.emails, running: planned.running, trigger: person.trigger, now });
        }
        // Changes of the people planned here that a pending approval holds and their plans no
        // longer want (re-assigned, reactivated) go now, once per hub (safety/approval-kept.ts).
        await releaseKeptOfPlans(tx, people.map((person, n) => ({ hub: person.hub, userId: person.userId, result: plans[n]?.result, trigger: person.trigger })), now, approvals);
        // A leaver's held removal (an approval's, a report's) of a seat now one of theirs (a rehire
        // with the leaver's email) goes too (safety/claimed-seats.ts).
        await releaseClaimedOfPlans(tx, people.map((person, n) => ({ hub: person.hub, userId: person.userId, planned: plans[n] !== undefined, trigger: person.trigger })), now, approvals, reports);
      });
      try {
        await dispatch(true);
      } catch (err) {
        // Nothing of the failed transaction was written. The same entries again, each person as a
        // reconcile task: the outbox never waits on a planning bug (a store failure throws again).
        this.o.log.error(`dispatcher: planning at dispatch failed (${(err as Error).message}); queuing reconcile tasks instead`);
        await dispatch(false);
      }
      // Let the runner start the invites just queued, and SCIM requests in, before planning more:
      // a store that commits without I/O (MemoryStore) would otherwise plan a whole burst first.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * The oldest `budget` entries of each hub that has any. The configured hubs' are listed while
   * the outbox's partitions are read (on PostgreSQL one round trip instead of two before every
   * transaction; a pushed person waits for each); an entry of a hub no longer configured is
   * listed after, so consume() drops it.
   */
  private async oldestEntries(budget: number): Promise<OutboxEntry[]> {
    const listed = new Map<string, OutboxEntry[]>();
    const listOf = async (hubId: string) => {
      const out: OutboxEntry[] = [];
      for await (const e of this.o.store.list('outbox', hubId, { limit: budget })) out.push(e);
      listed.set(hubId, out);
    };
    const [partitions] = await Promise.all([this.o.store.partitions('outbox'), ...[...this.o.hubs().keys()].map(listOf)]);
    await Promise.all(partitions.filter((hubId) => !listed.has(hubId)).map(listOf));
    return [...listed.values()].flat();
  }

  /**
   * Adds the people an entry affects (a person named twice is planned once), at most `room` of
   * them: an entry naming more (one PATCH adding 5,000 members) is taken in slices over several
   * transactions, its progress kept on the entry, so no transaction blocks requests for long.
   * The last slice deletes the entry and audits the change. `current`: the entry as read again in
   * `tx`; `named`: the people its changes name (entriesFor).
   */
  private consume(tx: Transaction, entry: OutboxEntry, current: Readonly<OutboxEntry> | undefined, named: ReadonlyMap<string, { emails?: string[] }>, affected: Map<string, Affected>, room: number): void {
    if (!current) return;
    const hub = this.o.hubs().get(entry.hubId);
    const { trigger, changes } = current.delta;
    if (!hub) {
      // Accepted for a hub since taken out of the config: nothing acts on it. Audited (a directory
      // change that was not acted on), not only logged.
      tx.delete('outbox', entry.hubId, entry.id);
      this.o.log.warn(`dispatcher: outbox entry ${entry.id} names hub ${entry.hubId}, which is not configured: dropped`);
      appendAudit(tx, {
        hubId: entry.hubId, trigger, action: 'desired-state-change', at: current.at,
        why: `${trigger.type}${trigger.idp ? ` from ${trigger.idp}` : ''}: ${describe(changes)}; not acted on: hub ${entry.hubId} is not configured`,
        outcome: 'failed', detail: { outboxId: entry.id, people: named.size },
      });
      return;
    }
    const done = current.dispatchedPeople ?? 0;
    if (done === 0) {
      const at = new Date(this.clock()).toISOString();
      for (const c of changes) {
        if (c.kind !== 'user-deleted') continue;
        tx.put('departedUsers', hub.id, c.userId, { hubId: hub.id, directoryUserId: c.userId, userName: c.userName, emails: emailsOfDeleted(c), at, deletedAt: current.at, ...(c.created ? { created: c.created } : {}) });
      }
    }
    const taken = this.slice(current, named, affected, room);
    if (done + taken < named.size) {
      tx.put('outbox', entry.hubId, entry.id, { ...current, dispatchedPeople: done + taken });
      return;
    }
    tx.delete('outbox', entry.hubId, entry.id);
    const [only] = named.size === 1 ? [...named] : [];
    appendAudit(tx, {
      hubId: hub.id, trigger, action: 'desired-state-change', at: current.at,
      ...(only ? { subject: { directoryUserId: only[0], ...(only[1].emails?.[0] ? { email: only[1].emails[0] } : {}) } } : {}),
      why: `${trigger.type}${trigger.idp ? ` from ${trigger.idp}` : ''}: ${describe(changes)}; ${named.size} person(s) to re-evaluate`,
      outcome: 'ok', detail: { outboxId: entry.id, people: named.size },
    });
  }

  /**
   * Adds the next people of an entry (as listed or as read again: its progress says who is
   * next) to `affected`, at most `room`: a person named twice is planned once, in the order of
   * their latest change. Returns how many it took. Stages nothing (consume() does).
   */
  private slice(current: Readonly<OutboxEntry>, named: ReadonlyMap<string, { emails?: string[] }>, affected: Map<string, Affected>, room: number): number {
    const hub = this.o.hubs().get(current.hubId);
    if (!hub) return 0;
    const done = current.dispatchedPeople ?? 0;
    const slice = [...named].slice(done, done + room);
    for (const [userId, { emails }] of slice) {
      const key = `${hub.id}\u0000${userId}`;
      const prev = affected.get(key)?.emails;
      const all = prev || emails ? [...new Set([...(prev ?? []), ...(emails ?? [])])] : undefined;
      affected.delete(key); // re-inserted last: people are planned in the order of their latest change
      affected.set(key, { hub, userId, trigger: current.delta.trigger, ...(all ? { emails: all } : {}) });
    }
    return slice.length;
  }

  /**
   * The first entries (oldest first) whose people, as listed, fill `budget`: the ones a
   * transaction will take, so it reads again no entry it leaves (another replica may be taking it).
   * Each with the people its changes name (an entry's changes never change; only its progress does).
   */
  private entriesFor(entries: readonly OutboxEntry[], budget: number): Array<{ entry: OutboxEntry; people: ReadonlyMap<string, { emails?: string[] }> }> {
    const out: Array<{ entry: OutboxEntry; people: ReadonlyMap<string, { emails?: string[] }> }> = [];
    let room = 0;
    for (const entry of entries) {
      if (room >= budget) break;
      const hub = this.o.hubs().get(entry.hubId);
      const people = hub ? affectedPeople(hub, entry.delta.changes) : new Map<string, { emails?: string[] }>();
      out.push({ entry, people });
      room += Math.max(1, people.size - (entry.dispatchedPeople ?? 0));
    }
    return out;
  }

  /** The hub's connector, built (or found unbuildable, logged once) once per transaction. */
  private connected(hubId: string, cache: Map<string, Connected>): Connected {
    let c = cache.get(hubId);
    if (!c) {
      try {
        c = { connector: this.o.connectorFor?.(hubId) };
      } catch (err) {
        c = { error: errorText(err) };
        this.o.log.warn(`dispatcher: hub ${hubId}: ${c.error}; its people get reconcile tasks, retried like any task`);
      }
      cache.set(hubId, c);
    }
    return c;
  }

  /**
   * The person's plan, and their running operation tasks asked for before it (running-for-person.ts);
   * undefined when it cannot be made now (they get a reconcile task).
   */
  private async planOf(tx: Transaction, { hub, userId, emails }: Affected, now: Date, connectors: Map<string, Connected>): Promise<Planned | undefined> {
    if ('error' in this.connected(hub.id, connectors)) return undefined;
    // Planned from committed state, as a reconcile-person task plans (reconcile.ts), not through
    // `tx`: a plan read through `tx` is checked at commit, and the group records it reads change
    // with every PATCH of a push, so a 100-person slice met a conflict nearly every time (13 runs
    // of one slice in the provision benchmark). A change committed after this read comes with its
    // own outbox entry naming the person (the outbox rule), which plans them again, and an
    // operation re-plans before it calls the app (operations/operation-handler.ts). A deleted user
    // (`emails` given) is planned through `tx`: it holds the departedUsers record consume() staged,
    // which lets the plan find their seats by email.
    const view = emails ? tx : this.o.store;
    try {
      return await planWithRunning(this.o.store, view, hub, { directoryUserId: userId, emails }, now);
    } catch (err) {
      this.o.log.warn(`dispatcher: could not plan ${userId} on hub ${hub.id} (${(err as Error).message}); queued a reconcile task instead`);
      return undefined;
    }
  }

  /** The person's re-evaluation as a task, retried and reported like any task. */
  private async queueReconcile(tx: Transaction, { hub, userId, emails, trigger }: Affected, now: Date): Promise<void> {
    const user = await tx.get('directoryUsers', hub.id, userId);
    await enqueueTask(tx, {
      hubId: hub.id, ...replanPerson({ directoryUserId: userId, emails }, trigger, `re-evaluate ${user?.userName ?? emails?.[0] ?? userId} on hub ${hub.id}`),
      reuse: 'unstarted', now, runAt: new Date(now.getTime() + (this.o.windowMs ?? 20)).toISOString(),
    });
  }
}
