/**
 * Server-side paging of the members table at 10,000+ members. Each hub's views are built once
 * (O(n)) and kept until a record they depend on changes (store change notifications) or an
 * exemption lapses; each sort order is computed once per build, and each status keeps its own
 * list, so a page request costs O(page) without a search and O(n) with one, never a sort.
 *
 * Builds read the store asynchronously. One build (or patch) per hub runs at a time, and requests
 * that arrive while it runs share it, unless a record it depends on changed after it started:
 * such a request waits for it and then builds again (or patches), so it never sees a view older
 * than its own request.
 *
 * Memory is bounded by what is being looked at, not by the data (issue 13): the views of at most
 * `CACHE_LIMITS.hubs` hubs are kept (least recently read goes first), and a hub's views not read
 * for `CACHE_LIMITS.idleMs` are dropped. One hub's views are O(its rows) (50,000 rows ≈ 50 MB).
 */
import { performance } from 'node:perf_hooks';
import type { HubConfigFile } from '../../config/schema.ts';
import { DIRECTORY_STATUSES, MEMBER_FLAGS, MEMBER_STATUSES, noMemberCounts, type DirectoryStatus, type MemberPage, type MemberQuery, type MemberFlag, type MemberStatus, type MemberView } from '../api.ts';
import type { CollectionName } from '../store/collections.ts';
import type { Store } from '../store/store.ts';
import { AgentError } from '../agent-error.ts';
import { buildHubMembers } from './member-view.ts';
import { defineDirectoryIndexes } from '../desired-state/directory-records.ts';
import { seatHolderOf, withOtherSeats } from './other-seats.ts';

/** Collections a members view is built from (partition = hub id): a change rebuilds it at once. */
const SOURCES: ReadonlySet<CollectionName> = new Set<CollectionName>([
  'appMembers', 'appInvites', 'partnerUsers', 'appAssignments', 'guests',
  // The import record says whether partner data could be read (partner rows show why not).
  'appImports',
]);
/** Owners' decisions, keyed by member row id: a change re-builds only the rows it names. */
const ROW_SOURCES: ReadonlySet<CollectionName> = new Set<CollectionName>(['exemptions', 'matchDecisions']);
/** More changed rows than this at once: a full rebuild is as cheap. */
const MAX_PATCH = 100;
/**
 * The directory changes in bursts (an IdP pushing 5,000 users). Rebuilding a 10,000-row view
 * after every push would stall the event loop the SCIM server shares, so directory changes are
 * picked up at most once per `DIRECTORY_LAG_MS` (wall time): a pushed user matches within it.
 */
// `departedUsers`: the IdP's deletions (the dispatcher records them), shown as `directoryStatus: deleted`.
const DIRECTORY: ReadonlySet<CollectionName> = new Set<CollectionName>(['directoryUsers', 'directoryGroups', 'departedUsers']);
export const DIRECTORY_LAG_MS = 2000;

export const SORTS = ['email', '-email', 'name', '-name', 'status', '-status', 'lastSeenAt', '-lastSeenAt', 'appRole', '-appRole'] as const;
export type MemberSort = (typeof SORTS)[number];

export const MAX_PAGE = 500;


/** How many hubs' views are kept, and for how long one unread is kept. */
export interface CacheLimits {
  hubs: number;
  idleMs: number;
}
export const CACHE_LIMITS: CacheLimits = { hubs: 2, idleMs: 10 * 60_000 };

interface Built {
  views: MemberView[];
  byId: Map<string, MemberView>;
  /** Row id → index in `views`. */
  position: Map<string, number>;
  /** Rows whose decisions changed since the build (exemptions, manual matches). */
  dirtyRows: Set<string>;
  validUntil: number;
  counts: Record<MemberStatus, number>;
  /** Directory user → the ids of their seat rows (other-seats.ts seatHolderOf): a patch re-marks only theirs. */
  seatsByUser: Map<string, string[]>;
  /** sort → status|'' → flag|'' → views in that order. */
  sorted: Map<string, MemberView[]>;
  /** performance.now() of the build, and of the first directory change after it. */
  builtAt: number;
  directoryChangedAt?: number;
}

const text = (v: string | undefined) => v?.toLowerCase() ?? '\uffff';
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

type SortField = 'email' | 'name' | 'status' | 'lastSeenAt' | 'appRole';
/** A row's place in a sort order: the sorted field, then email, then id (unique), as `sortedList` orders. */
type Place = [key: string, email: string, id: string];
const placeOf = (v: MemberView, field: SortField): Place => [text(v[field]), text(v.email), v.id];
const comparePlaces = (dir: number, a: Place, b: Place) => dir * compare(a[0], b[0]) || compare(a[1], b[1]) || compare(a[2], b[2]);

/** The `next` cursor of a page: its last row's place in this sort order (opaque to callers). */
function cursorOf(sort: MemberSort, v: MemberView): string {
  return Buffer.from(JSON.stringify([sort, ...placeOf(v, sort.replace(/^-/, '') as SortField)])).toString('base64url');
}

/** The place a cursor names, or a refusal: a cursor made for another sort order means nothing in this one. */
function placeOfCursor(hubId: string, sort: MemberSort, cursor: string): Place {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 4 || !parsed.every((x) => typeof x === 'string')) {
    throw new AgentError('invalid-argument', `members of hub ${hubId}: after must be the \`next\` of a previous page`);
  }
  if (parsed[0] !== sort) throw new AgentError('invalid-argument', `members of hub ${hubId}: after is the \`next\` of a page sorted by ${parsed[0]}, not ${sort}`);
  return [parsed[1], parsed[2], parsed[3]];
}

/** A build or patch of one hub's views under way, and the hub's change generation when it started. */
interface Refresh {
  promise: Promise<Built>;
  generation: number;
}

export class MembersIndex {
  /** Cached views by hub, least recently read first (a Map keeps insertion order; a read re-inserts). */
  private readonly built = new Map<string, Built>();
  /** performance.now() of each cached hub's last read. */
  private readonly readAt = new Map<string, number>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly refreshing = new Map<string, Refresh>();
  /** Per hub, bumped by every change to a record a view is built from (SOURCES, ROW_SOURCES). */
  private readonly generations = new Map<string, number>();
  /** Directory changes seen while a hub's build ran (the build may or may not have read them). */
  private readonly directoryDuringBuild = new Set<string>();
  private readonly unsubscribe: () => void;
  private readonly unsubscribeMissed: () => void;

  constructor(
    private readonly store: Store,
    private readonly hubs: () => ReadonlyMap<string, HubConfigFile>,
    private readonly clock: () => Date,
    private readonly directoryLagMs = DIRECTORY_LAG_MS,
    private readonly limits: CacheLimits = CACHE_LIMITS,
  ) {
    this.sweeper = setInterval(() => this.dropIdle(), Math.max(1_000, Math.min(60_000, limits.idleMs / 2)));
    this.sweeper.unref();
    // A patch matches its few rows by the directory's email index (`matchRows`), as owners'
    // decisions do (agent/members/member-decisions.ts): defined here, for both.
    defineDirectoryIndexes(store);
    this.unsubscribe = store.subscribe((changes) => {
      for (const c of changes) {
        if (SOURCES.has(c.collection)) {
          this.built.delete(c.partition);
          this.bump(c.partition);
        } else if (ROW_SOURCES.has(c.collection)) {
          this.built.get(c.partition)?.dirtyRows.add(c.id);
          this.bump(c.partition);
        } else if (DIRECTORY.has(c.collection)) {
          const built = this.built.get(c.partition);
          if (built && built.directoryChangedAt === undefined) built.directoryChangedAt = performance.now();
          if (this.refreshing.has(c.partition)) this.directoryDuringBuild.add(c.partition);
        }
      }
    });
    // Other replicas' changes this one may not have been told of (its change feed was cut): no
    // view kept, and none being built, is known to be current.
    this.unsubscribeMissed = store.subscribeMissed?.(() => {
      for (const hubId of new Set([...this.built.keys(), ...this.refreshing.keys()])) this.bump(hubId);
      this.built.clear();
      this.readAt.clear();
    }) ?? (() => {});
  }

  close(): void {
    this.unsubscribe();
    this.unsubscribeMissed();
    clearInterval(this.sweeper);
    this.built.clear();
    this.readAt.clear();
  }

  /** Hubs whose views are cached now (tests). */
  cachedHubs(): string[] {
    return [...this.built.keys()];
  }

  /** Marks a hub's views as just read, and drops the least recently read beyond the limit. */
  private touch(hubId: string, built: Built): void {
    if (this.built.get(hubId) !== built) return; // not cached (outdated while it was built)
    this.built.delete(hubId);
    this.built.set(hubId, built);
    this.readAt.set(hubId, performance.now());
    for (const oldest of this.built.keys()) {
      if (this.built.size <= this.limits.hubs) break;
      this.built.delete(oldest);
      this.readAt.delete(oldest);
    }
  }

  private dropIdle(): void {
    const now = performance.now();
    for (const [hubId, at] of this.readAt) {
      if (now - at < this.limits.idleMs) continue;
      this.built.delete(hubId);
      this.readAt.delete(hubId);
    }
  }

  /** Whether other replicas' changes reach this one now (a store one process uses: always). */
  private hears(): boolean {
    return this.store.hearsChanges?.() ?? true;
  }

  private bump(hubId: string): void {
    this.generations.set(hubId, (this.generations.get(hubId) ?? 0) + 1);
  }

  private generation(hubId: string): number {
    return this.generations.get(hubId) ?? 0;
  }

  /**
   * The hub's views, current as of this call: the cached ones when nothing they depend on changed,
   * else the build or patch under way when it started after the last change, else a new one.
   */
  private async hubMembers(hubId: string): Promise<Built | undefined> {
    for (;;) {
      const hub = this.hubs().get(hubId);
      if (!hub) return undefined;
      const running = this.refreshing.get(hubId);
      if (running) {
        if (running.generation === this.generation(hubId)) return running.promise;
        // Started before a change this request must see: let it finish (one at a time), then look again.
        await running.promise.catch(() => undefined);
        continue;
      }
      const now = this.clock();
      // Deaf to other replicas' changes (the change feed is cut and may stay so: a database
      // refusing the replica's LISTEN connection): no view is known current, not even one built
      // a moment ago. Built afresh for each read until the feed listens again (subscribeMissed).
      // Without this a cached view was served as it was when the feed went, for as long as it
      // stayed cut and the view was read.
      const cached = this.hears() ? this.built.get(hubId) : undefined;
      const directoryFresh = cached?.directoryChangedAt === undefined || performance.now() - cached.builtAt < this.directoryLagMs;
      const usable = cached && now.getTime() < cached.validUntil && directoryFresh ? cached : undefined;
      if (usable && usable.dirtyRows.size === 0) {
        this.touch(hubId, usable);
        return usable;
      }
      const refresh: Refresh = {
        generation: this.generation(hubId),
        promise: this.refresh(hubId, hub, now, usable).finally(() => {
          // Gone before anyone awaiting it resumes: they find it finished, not running.
          if (this.refreshing.get(hubId) === refresh) this.refreshing.delete(hubId);
        }),
      };
      this.refreshing.set(hubId, refresh);
      return refresh.promise;
    }
  }

  /** Patches `usable` when few rows changed, else builds the hub's views anew (and caches them). */
  private async refresh(hubId: string, hub: HubConfigFile, now: Date, usable: Built | undefined): Promise<Built> {
    const generation = this.generation(hubId);
    this.directoryDuringBuild.delete(hubId);
    if (usable && usable.dirtyRows.size <= MAX_PATCH && (await this.patch(usable, hub, now))) {
      this.touch(hubId, usable);
      return usable;
    }
    const { views, validUntil } = await buildHubMembers(this.store, hub, now);
    const counts = noMemberCounts();
    for (const v of views) counts[v.status]++;
    const built: Built = { views, byId: new Map(views.map((v) => [v.id, v])), position: new Map(views.map((v, i) => [v.id, i])), validUntil, counts, seatsByUser: seatsByUser(views), sorted: new Map(), builtAt: performance.now(), dirtyRows: new Set() };
    // A directory change during the build may be missing from it: picked up after the lag, as any.
    if (this.directoryDuringBuild.delete(hubId)) built.directoryChangedAt = performance.now();
    // Cached only if nothing it was built from changed meanwhile (it may have read a mix); else
    // what it replaces is outdated too, and the next request builds anew.
    if (this.generation(hubId) === generation && this.hears()) {
      this.built.set(hubId, built);
      this.touch(hubId, built);
    } else this.built.delete(hubId);
    return built;
  }

  /** Re-builds the dirty rows in place; false when a row is gone (the caller rebuilds all). */
  private async patch(built: Built, hub: HubConfigFile, now: Date): Promise<boolean> {
    const ids = new Set([...built.dirtyRows].filter((id) => built.position.has(id)));
    built.dirtyRows.clear();
    if (ids.size === 0) return true;
    const { views, validUntil } = await buildHubMembers(this.store, hub, now, ids);
    if (views.length !== ids.size) return false;
    const holders = new Set<string>();
    for (const v of views) {
      const at = built.position.get(v.id)!;
      const before = seatHolderOf(built.views[at]);
      const after = seatHolderOf(v);
      if (before !== after) {
        if (before !== undefined) built.seatsByUser.set(before, (built.seatsByUser.get(before) ?? []).filter((id) => id !== v.id));
        if (after !== undefined) built.seatsByUser.set(after, [...(built.seatsByUser.get(after) ?? []), v.id]);
      }
      for (const h of [before, after]) if (h !== undefined) holders.add(h);
      built.counts[built.views[at].status]--;
      built.counts[v.status]++;
      built.views[at] = v;
      built.byId.set(v.id, v);
    }
    // The other seats of the people these rows were or are now (a manual match gives a person a second seat).
    for (const holder of holders) {
      const seats = built.seatsByUser.get(holder) ?? [];
      if (seats.length === 0) built.seatsByUser.delete(holder);
      for (const id of seats) {
        const at = built.position.get(id)!;
        const v = withOtherSeats(built.views[at], seats);
        built.views[at] = v;
        built.byId.set(id, v);
      }
    }
    built.validUntil = Math.min(built.validUntil, validUntil);
    built.sorted.clear(); // statuses may have changed: orders are rebuilt on the next request
    return true;
  }

  async counts(hubId: string): Promise<Record<MemberStatus, number> | undefined> {
    return (await this.hubMembers(hubId))?.counts;
  }

  async get(hubId: string, memberId: string): Promise<MemberView | undefined> {
    return (await this.hubMembers(hubId))?.byId.get(memberId);
  }

  /** A page of the hub's members; a bad query is refused (rejects) before anything is read. */
  async query(hubId: string, q: MemberQuery): Promise<MemberPage | undefined> {
    const offset = q.offset ?? 0;
    const limit = q.limit ?? 50;
    if (!Number.isInteger(offset) || offset < 0) throw new AgentError('invalid-argument', `members of hub ${hubId}: offset must be a whole number ≥ 0 (got ${offset})`);
    if (!Number.isInteger(limit) || limit < 0 || limit > MAX_PAGE) throw new AgentError('invalid-argument', `members of hub ${hubId}: limit must be a whole number from 0 to ${MAX_PAGE} (got ${limit})`);
    const sort = (q.sort ?? 'email') as MemberSort;
    if (!SORTS.includes(sort)) throw new AgentError('invalid-argument', `members of hub ${hubId}: sort must be one of ${SORTS.join(', ')} (got "${q.sort}")`);
    if (q.status !== undefined && !MEMBER_STATUSES.includes(q.status)) {
      throw new AgentError('invalid-argument', `members of hub ${hubId}: status must be one of ${MEMBER_STATUSES.join(', ')} (got "${q.status}")`);
    }
    if (q.directoryStatus !== undefined && !DIRECTORY_STATUSES.includes(q.directoryStatus)) {
      throw new AgentError('invalid-argument', `members of hub ${hubId}: directoryStatus must be one of ${DIRECTORY_STATUSES.join(', ')} (got "${q.directoryStatus}")`);
    }
    if (q.flag !== undefined && !MEMBER_FLAGS.includes(q.flag)) {
      throw new AgentError('invalid-argument', `members of hub ${hubId}: flag must be one of ${MEMBER_FLAGS.join(', ')} (got "${q.flag}")`);
    }
    const after = q.after !== undefined ? placeOfCursor(hubId, sort, q.after) : undefined;
    const built = await this.hubMembers(hubId);
    if (!built) return undefined;
    let list = this.sortedList(built, sort, q.status, q.flag);
    // O(n) like a search: who is deactivated, suspended or deleted in the IdP (removals pending).
    if (q.directoryStatus) list = list.filter((v) => v.directoryStatus === q.directoryStatus);
    const search = q.search?.trim().toLowerCase();
    if (search) {
      list = list.filter((v) => v.id.toLowerCase().includes(search) || v.email?.toLowerCase().includes(search) || v.name?.toLowerCase().includes(search)
        || v.directoryUserId?.toLowerCase().includes(search));
    }
    // With a cursor, the page starts after the row it names (found by bisection: `list` is in the
    // sort order); rows added or removed before it do not shift the page. `total` counts all matches.
    const field = sort.replace(/^-/, '') as SortField;
    const dir = sort.startsWith('-') ? -1 : 1;
    let start = 0;
    if (after) {
      let hi = list.length;
      while (start < hi) {
        const mid = (start + hi) >>> 1;
        if (comparePlaces(dir, placeOf(list[mid], field), after) <= 0) start = mid + 1;
        else hi = mid;
      }
    }
    const items = list.slice(start + offset, start + offset + limit);
    const more = items.length > 0 && start + offset + items.length < list.length;
    return { total: list.length, items, ...(more ? { next: cursorOf(sort, items.at(-1)!) } : {}) };
  }

  private sortedList(built: Built, sort: MemberSort, status?: MemberStatus, flag?: MemberFlag): MemberView[] {
    const key = `${sort}\u0000${status ?? ''}\u0000${flag ?? ''}`;
    let list = built.sorted.get(key);
    if (list) return list;
    if (flag) {
      // Kept per build as the status lists are: a page of flagged rows costs no scan.
      list = this.sortedList(built, sort, status).filter((v) => v.otherSeats !== undefined);
    } else if (status) {
      list = this.sortedList(built, sort).filter((v) => v.status === status);
    } else {
      const field = sort.replace(/^-/, '') as SortField;
      const dir = sort.startsWith('-') ? -1 : 1;
      // Ties broken by email then id, so pages never shuffle between requests (and a cursor names one place).
      list = [...built.views].sort((a, b) => comparePlaces(dir, placeOf(a, field), placeOf(b, field)));
    }
    built.sorted.set(key, list);
    return list;
  }
}

/** Directory user → their seat rows' ids (other-seats.ts seatHolderOf). */
function seatsByUser(views: readonly MemberView[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const v of views) {
    const holder = seatHolderOf(v);
    if (holder === undefined) continue;
    const ids = out.get(holder);
    if (ids) ids.push(v.id);
    else out.set(holder, [v.id]);
  }
  return out;
}
