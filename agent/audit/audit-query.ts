import type { AuditEntry, AuditQuery, Paged } from '../api.ts';
import { emailKey } from '../matching/email-key.ts';
import type { Store } from '../store/store.ts';
import './audit-log.ts';
import { inAdminScope } from '../dispatch/find-person.ts';

/**
 * The audit log per hub and per person, newest first (AgentApi.audit). The durable store keeps
 * the log on disk (agent/store/archive.ts), so it is read page by page: memory holds one segment
 * and the page asked for, however long the log is. `total` counts every match (a full read).
 *
 * Entries are ordered by `seq` (the store yields them in commit order, which is seq order within
 * one process; across replicas it follows their clocks, audit-log.ts). A `before` cursor pages by
 * seq, so a page never repeats an entry of the page before it. Two replicas may give entries the
 * same seq (each process's seqs are unique, not the fleet's): a page ends after every match that
 * shares its last seq, even past `limit`, or the next page, asked for entries older than that
 * seq, skipped the ones the page had no room for, and an export lost them.
 *
 * Paging by cursor (an export, the API's `next`) would read the whole log once per page: every
 * page counted its total from the newest entry to the oldest, and skipped down to its cursor from
 * the newest entry too (100,000 entries: about 0.4 s a page, so 1,000 pages took minutes). So a
 * page read at offset 0 leaves its place behind (`Resume`): the reader stopped just past the page
 * and the number of matches it has not read yet. The page asked for with that page's cursor
 * continues from there and takes its total from that number, reading only its own entries.
 */
type AuditStore = Pick<Store, 'newestFirst'>;

/** A reader whose last entry read can be put back (the entry after a page's ties begins the next page). */
class Reader {
  private held?: AuditEntry;
  constructor(private readonly source: AsyncIterator<AuditEntry>) {}

  async next(): Promise<IteratorResult<AuditEntry>> {
    const held = this.held;
    if (held) {
      this.held = undefined;
      return { done: false, value: held };
    }
    return this.source.next();
  }

  putBack(e: AuditEntry): void {
    this.held = e;
  }

  return(): void {
    void this.source.return?.();
  }
}

interface Resume {
  /** Absent after a full read: the next page starts a reader, which skips the (few) newer entries first. */
  reader?: Reader;
  /** Matches the reader has not reached yet: the total of the page from this cursor. */
  left: number;
  expires: number;
}

/** A place is kept this long after its page (the next page of an export or a reader follows within it). */
const RESUME_MS = 30_000;
/**
 * At most this many places per store, and of them with a reader started: each reader may hold one
 * archive segment. A place without one is a number (a dashboard's chart reads several first pages
 * a view), so those do not push out an export's readers.
 */
const RESUME_MAX = 16;
const READERS_MAX = 4;
const resumes = new WeakMap<AuditStore, Map<string, Resume>>();

function placesOf(store: AuditStore, now: number): Map<string, Resume> {
  let places = resumes.get(store);
  if (!places) resumes.set(store, (places = new Map()));
  for (const [key, r] of places) {
    if (r.expires <= now) {
      places.delete(key);
      r.reader?.return();
    }
  }
  return places;
}

function keep(places: Map<string, Resume>, key: string, r: Resume): void {
  const old = places.get(key);
  if (old) old.reader?.return();
  places.delete(key);
  places.set(key, r);
  const drop = (k: string, o: Resume) => {
    places.delete(k);
    o.reader?.return();
  };
  let readers = 0;
  for (const o of places.values()) if (o.reader) readers++;
  // Oldest first (a Map keeps insertion order).
  for (const [k, o] of [...places]) {
    if (readers <= READERS_MAX) break;
    if (o.reader) (drop(k, o), readers--);
  }
  for (const [k, o] of [...places]) {
    if (places.size <= RESUME_MAX) break;
    if (!o.reader) drop(k, o);
  }
  for (const [k, o] of [...places]) {
    if (places.size <= RESUME_MAX) break;
    drop(k, o);
  }
}

export async function queryAudit(store: AuditStore, q: AuditQuery, now = Date.now()): Promise<Paged<AuditEntry>> {
  const email = q.email === undefined ? undefined : emailKey(q.email);
  const offset = q.offset ?? 0;
  const limit = q.limit ?? 100;
  // Compared as instants: `since` may carry an offset (+05:00) or no fraction, and as strings
  // those sort differently from the entries' UTC times.
  const since = q.since !== undefined ? Date.parse(q.since) : undefined;
  const outcomes = q.outcome === undefined ? undefined : new Set(q.outcome);
  const matches = (e: AuditEntry, before: number | undefined) =>
    !(email && (e.subject?.email === undefined || emailKey(e.subject.email) !== email)) &&
    !(q.action && e.action !== q.action) &&
    !(outcomes && !outcomes.has(e.outcome)) &&
    inAdminScope(q.hubs, e.hubId, e.trigger) &&
    !(since !== undefined && Date.parse(e.at) < since) &&
    !(before !== undefined && e.seq >= before);
  const read = () => new Reader(store.newestFirst('audit', q.hubId, (a, b) => b.seq - a.seq)[Symbol.asyncIterator]() as AsyncIterator<AuditEntry>);
  // Every filter is in the key: a place left by a page of other matches holds another count and
  // reader position, and the page continuing from it skipped or repeated entries.
  const filterKey = JSON.stringify([q.hubId ?? null, email ?? null, q.action ?? null, outcomes ? [...outcomes].sort() : null, since ?? null, q.hubs ?? null]);
  const places = placesOf(store, now);

  /** From `reader`, the next `limit` matches (older than `before`), counting what was passed over. */
  const take = async (reader: Reader, before: number | undefined, count = limit) => {
    const items: AuditEntry[] = [];
    let passed = 0;
    let done = false;
    for (;;) {
      const next = await reader.next();
      if (next.done) {
        done = true;
        break;
      }
      if (items.length >= count) {
        // Full: only a match sharing the last seq joins (see above); anything else begins the next page.
        // An entry of that seq the filter leaves out is passed over, not the page's end: a match
        // of that seq may still follow it (the next page, asked for older seqs, would skip it).
        if (next.value.seq === items[items.length - 1]!.seq) {
          if (matches(next.value, before)) items.push(next.value);
          continue;
        }
        reader.putBack(next.value);
        break;
      }
      if (matches(next.value, before)) items.push(next.value);
      // A match not older than the cursor past the first one that is: out of seq order (replicas' clocks).
      else if (items.length > 0 && matches(next.value, undefined)) passed++;
    }
    return { items, passed, done };
  };

  /** Keeps `reader`'s place for the page after `items`, when older matches remain. */
  const leave = (reader: Reader | undefined, items: AuditEntry[], left: number, done: boolean) => {
    if (done || left <= 0 || items.length === 0) {
      reader?.return();
      return;
    }
    keep(places, `${filterKey}:${Math.min(...items.map((e) => e.seq))}`, { reader, left, expires: now + RESUME_MS });
  };

  if (offset === 0 && q.before !== undefined) {
    const key = `${filterKey}:${q.before}`;
    const place = places.get(key);
    if (place) {
      places.delete(key); // one reader continues a place
      const reader = place.reader ?? read();
      const { items, passed, done } = await take(reader, q.before);
      leave(reader, items, place.left - items.length - passed, done);
      return { total: done ? items.length : Math.max(place.left, items.length), items };
    }
  }

  const items: AuditEntry[] = [];
  let total = 0;
  // A page keeps the matches that share its last seq, until another match is passed over (see
  // above): its cursor (the route's `next`) then skips none. A caller paging by offset may see a
  // tie twice, never miss one.
  let ties = true;
  for await (const e of store.newestFirst('audit', q.hubId, (a, b) => b.seq - a.seq)) {
    if (!matches(e, q.before)) continue;
    if (total >= offset && items.length < limit) items.push(e);
    else if (ties && items.length > 0 && e.seq === items[items.length - 1]!.seq) items.push(e);
    else if (items.length > 0) ties = false; // not before the page begins (offset): its ties are still to come
    total++;
  }
  // The place after this page, for the page its cursor asks for: how many matches remain (its
  // reader starts then, so a page nobody follows costs no second read).
  if (offset === 0) leave(undefined, items, total - items.length, false);
  return { total, items };
}
