import type { AuditInput } from '../../agent/audit/audit-log.ts';
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
  event?: { eventType: string; person?: { email?: string; userName?: string; externalId?: string }; group?: { id?: string; name?: string }; actor?: string; failed?: boolean };
  /** For an LCW callout: what is needed to resume it after a restart. */
  callout?: { workflowId: string; taskId: string; taskProcessingResultId: string; action: string; person: { email?: string; userName?: string; externalId?: string }; appId?: string };
  outcome?: string;
  /**
   * For an LCW callout: the resume about to be sent, written before it goes out. A resume Graph
   * accepted whose outcome was not saved (a crash, the store refusing) is sent again after the
   * restart with this status, and Graph refusing it then is read as "already resumed".
   */
  resumeSent?: { operationStatus: 'completed' | 'failed'; at: string; why?: string };
  /**
   * The process acting on an open record (processing or waiting), until when; renewed while it
   * works (`keep`). With replicas sharing the store, another replica takes the record only once
   * the lease has lapsed (its holder died), as agent tasks' leases (agent/tasks/lease.ts).
   */
  lease?: { owner: string; until: string };
}

declare module '../../agent/store/collections.ts' {
  interface Collections {
    hookEvents: HookEventRecord;
  }
}

/** Who an audit entry of a hook decision is about: the person the event or callout names. */
export function auditSubject(person: { email?: string; userName?: string; externalId?: string } | undefined): AuditInput['subject'] {
  if (!person) return undefined;
  if (person.email) return { email: person.email };
  const label = person.userName ?? person.externalId;
  return label ? { label } : undefined;
}

/**
 * Okta retries once within seconds; LCW waits at most PT3H. A week covers both with room. Also the
 * age past which an Okta event is not acted on (okta-event.ts outOfWindow): an older one could be
 * a replay of an event whose id is forgotten.
 */
export const HOOK_EVENT_TTL_MS = 7 * 24 * 3600_000;

/**
 * How long past `published` + HOOK_EVENT_TTL_MS an Okta event's id (and its ordering marks,
 * event-order.ts) is kept: a replay is refused by the week rule only when received more than the
 * week after `published` (outOfWindow), and `published` may be up to 5 minutes after the first
 * receipt; a receipt time read just before a sweep and written after it, or read on a replica
 * whose clock is behind the sweeping one, is judged by that earlier time. An hour covers these.
 */
export const HOOK_EVENT_GRACE_MS = 3600_000;

/**
 * When a hook event record may be swept: at its `expiresAt` (a week after its receipt), and for an
 * Okta event not before HOOK_EVENT_GRACE_MS past the week after its `published`, so that any
 * replay still inside the window finds its id (https://developer.okta.com/docs/concepts/event-hooks/:
 * delivered at least once).
 */
export function sweepableAfter(r: Readonly<Pick<HookEventRecord, 'expiresAt' | 'published'>>): number {
  const expires = Date.parse(r.expiresAt);
  const published = Date.parse(r.published ?? '');
  return Number.isFinite(published) ? Math.max(expires, published + HOOK_EVENT_TTL_MS + HOOK_EVENT_GRACE_MS) : expires;
}

/**
 * The open records (processing, waiting) by source: what replicas look at every lease period, where
 * reading every record (kept a week) would not do. The key function names no helper
 * (agent/store/postgres/indexes.ts: its source is the definition's hash).
 */
export const OPEN_INDEX = 'hookEvents.open';
const indexed = new WeakSet<Store>();
export function defineOpenIndex(store: Store): void {
  if (indexed.has(store)) return;
  indexed.add(store);
  store.defineIndex('hookEvents', OPEN_INDEX, (r, source) => (r.state === 'processing' || r.state === 'waiting' ? [source] : []));
}
