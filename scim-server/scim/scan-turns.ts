import type { Store } from '../../agent/store/store.ts';
import { ScimError } from './errors.ts';

/**
 * List filters no index answers (`userName co "x"`, `not (…)`, `title pr`) read every user or
 * group of the hub and evaluate the filter on each. On the memory and lowdb stores that read never
 * waited for I/O, so one such request held the event loop for its whole scan: 250–300 ms at 100,000
 * users, and 200 of them sent at once by one hub's token kept every other hub's IdP without an
 * answer for minutes. Two bounds, per process:
 * - a scan yields to the event loop every SCAN_SLICE records (setImmediate runs after pending I/O:
 *   https://nodejs.org/en/learn/asynchronous-work/event-loop-timers-and-nexttick), so other requests
 *   are served between slices;
 * - a hub runs at most SCANS_PER_HUB scans at once; the next MAX_WAITING_SCANS wait their turn in
 *   arrival order, and past that a scan is refused with 429 and Retry-After (RFC 6585 §4), so one
 *   hub's token cannot take the process's time from the other hubs. IdP lookups (`userName eq`,
 *   `externalId eq`, `id eq`, an email) read an index, not the hub, and never wait here.
 */
export const SCAN_SLICE = 500;
export const SCANS_PER_HUB = 2;
export const MAX_WAITING_SCANS = 32;
const RETRY_AFTER_SECONDS = 5;

interface Lane { running: number; waiting: Array<() => void> }

/** Per store (one per process in service; tests open several), the scans of each hub. */
const lanes = new WeakMap<Store, Map<string, Lane>>();

export function tooManyScans(hubId: string): ScimError {
  return new ScimError(429, undefined, `hub ${hubId}: ${SCANS_PER_HUB + MAX_WAITING_SCANS} list filters that read every resource are already running or waiting; retry later, or filter by an indexed attribute (userName, externalId, id, displayName, emails eq)`, { 'Retry-After': String(RETRY_AFTER_SECONDS) });
}

/** Runs `scan` in the hub's turn (see above); its result or error is the caller's. */
export async function inScanTurn<T>(store: Store, hubId: string, scan: () => Promise<T>): Promise<T> {
  let byHub = lanes.get(store);
  if (!byHub) lanes.set(store, (byHub = new Map()));
  let lane = byHub.get(hubId);
  if (!lane) byHub.set(hubId, (lane = { running: 0, waiting: [] }));
  if (lane.running >= SCANS_PER_HUB) {
    if (lane.waiting.length >= MAX_WAITING_SCANS) throw tooManyScans(hubId);
    await new Promise<void>((resolve) => lane!.waiting.push(resolve));
  } else lane.running++;
  try {
    return await scan();
  } finally {
    // The turn passes to the next waiting scan (running stays counted), else it is given back.
    const next = lane.waiting.shift();
    if (next) next();
    else if (--lane.running === 0) byHub.delete(hubId);
  }
}

const pause = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Each record of `source`, in order, with a yield to the event loop every SCAN_SLICE records. */
export async function scanRecords<R>(source: AsyncIterable<R> | Iterable<R>, visit: (record: R) => void): Promise<void> {
  let n = 0;
  for await (const record of source) {
    visit(record);
    if (++n % SCAN_SLICE === 0) await pause();
  }
}

/**
 * Visits each record of a list request's `source`: a list of a few (a get, an index lookup) at
 * once; anything else reads the whole hub, so it runs in the hub's scan turn (above).
 */
export function visitListed<R>(store: Store, hubId: string, source: AsyncIterable<R> | Iterable<R>, visit: (record: R) => void): Promise<void> {
  const scan = () => scanRecords(source, visit);
  return Array.isArray(source) ? scan() : inScanTurn(store, hubId, scan);
}
