import type { AuditEntry, AuditQuery, Paged } from '../api.ts';
import type { Store } from '../store/store.ts';
import './audit-log.ts';

/**
 * The audit log per hub and per person, newest first (AgentApi.audit). The durable store keeps
 * the log on disk (agent/store/archive.ts), so it is read page by page: memory holds one segment
 * and the page asked for, however long the log is. `total` counts every match (a full read).
 *
 * Entries are ordered by `seq` (the store yields them in commit order, which is seq order within
 * one process; across replicas it follows their clocks, audit-log.ts). A `before` cursor pages by
 * seq, so a page never repeats an entry of the page before it.
 *
 * Paging by cursor (an export, the API's `next`) would read the whole log once per page: every
 * page counted its total from the newest entry to the oldest, and skipped down to its cursor from
 * the newest entry too (100,000 entries: about 0.4 s a page, so 1,000 pages took minutes). So a
 * page read at offset 0 leaves its place behind (`Resume`): the reader stopped just past the page
 * and the number of matches it has not read yet. The page asked for with that page's cursor
 * continues from there and takes its total from that number, reading only its own entries.
 */
type AuditStore = Pick<Store, 'newestFirst'>;

interface Resume {
  /** Absent after a full read: the next page starts a reader, which skips the (few) newer entries first. */
  reader?: AsyncIterator<AuditEntry>;
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
      void r.reader?.return?.();
    }
  }
  return places;
}

function keep(places: Map<string, Resume>, key: string, r: Resume): void {
  const old = places.get(key);
  if (old) void old.reader?.return?.();
  places.delete(key);
  places.set(key, r);
  const drop = (k: string, o: Resume) => {
    places.delete(k);
    void o.reader?.return?.();
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
  const email = q.email?.toLowerCase();
  const offset = q.offset ?? 0;
  const limit = q.limit ?? 100;
  // Compared as instants: `since` may carry an offset (+05:00) or no fraction, and as strings
  // those sort differently from the entries' UTC times.
  const since = q.since !== undefined ? Date.parse(q.since) : undefined;
  const matches = (e: AuditEntry, before: number | undefined) =>
    !(email && e.subject?.email?.toLowerCase() !== email) &&
    !(q.action && e.action !== q.action) &&
    !(since !== undefined && Date.parse(e.at) < since) &&
    !(before !== undefined && e.seq >= before);
  const read = () => store.newestFirst('audit', q.hubId, (a, b) => b.seq - a.seq)[Symbol.asyncIterator]() as AsyncIterator<AuditEntry>;
  const filterKey = JSON.stringify([q.hubId ?? null, email ?? null, q.action ?? null, since ?? null]);
  const places = placesOf(store, now);

  /** From `reader`, the next `limit` matches (older than `before`), counting what was passed over. */
  const take = async (reader: AsyncIterator<AuditEntry>, before: number | undefined, count = limit) => {
    const items: AuditEntry[] = [];
    let passed = 0;
    let done = false;
    while (items.length < count) {
      const next = await reader.next();
      if (next.done) {
        done = true;
        break;
      }
      if (matches(next.value, before)) items.push(next.value);
      // A match not older than the cursor past the first one that is: out of seq order (replicas' clocks).
      else if (items.length > 0 && matches(next.value, undefined)) passed++;
    }
    return { items, passed, done };
  };

  /** Keeps `reader`'s place for the page after `items`, when older matches remain. */
  const leave = (reader: AsyncIterator<AuditEntry> | undefined, items: AuditEntry[], left: number, done: boolean) => {
    if (done || left <= 0 || items.length === 0) {
      void reader?.return?.();
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
  for await (const e of store.newestFirst('audit', q.hubId, (a, b) => b.seq - a.seq)) {
    if (!matches(e, q.before)) continue;
    if (total >= offset && items.length < limit) items.push(e);
    total++;
  }
  // The place after this page, for the page its cursor asks for: how many matches remain (its
  // reader starts then, so a page nobody follows costs no second read).
  if (offset === 0) leave(undefined, items, total - items.length, false);
  return { total, items };
}
