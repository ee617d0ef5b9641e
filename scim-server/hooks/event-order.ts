import type { PersonChangeOptions } from '../../agent/api.ts';
import type { Store, Transaction } from '../../agent/store/store.ts';
import { defineOpenIndex, HOOK_EVENT_GRACE_MS, HOOK_EVENT_TTL_MS, OPEN_INDEX, type HookEventRecord } from './hook-event-record.ts';
import { byPublished, suspensionKey, type EventPerson } from './okta-event.ts';
import { writeInBatches } from '../../agent/store/write-in-batches.ts';
import { SWEEP_BATCH } from './sweep-batches.ts';

/**
 * The latest Okta event applied to a person's suspension (suspend, unsuspend) or activation
 * (deactivate, activate, reactivate), by org and person (keyed as `suspensionKey`). Okta delivers
 * at least once, concurrently and possibly out of order (https://developer.okta.com/docs/concepts/event-hooks/):
 * two deliveries about one person may be acted on at the same moment. Looking for a later event
 * among those received (okta.ts laterSuspensionChange, laterActivation) before the change left a
 * gap: a suspension checked before the later unsuspension was received, and written after it was
 * applied, stood last and left the person suspended (a deactivation likewise offboarded a person
 * reactivated meanwhile). The mark is read and moved in the transaction that applies the change
 * (PersonChangeOptions.within), so whichever of the two commits first, the state ends as the
 * later-published event says: the store runs transactions as if one after another (agent/store/store.ts).
 * One mark per person, org and kind of change; an event older than a week is not acted on
 * (okta-event.ts outOfWindow), so a mark older than that decides nothing and is deleted
 * (pruneOrderMarks): without that the marks grew with every person an event ever named.
 */
export interface HookOrderMark {
  /** Its key in the collection (`markId`): the sweep reads marks by listing, which gives no keys. */
  id: string;
  idp: string;
  family: OrderFamily;
  eventId: string;
  eventType: string;
  published: string;
}

export type OrderFamily = 'suspension' | 'activation';
const FAMILIES: readonly OrderFamily[] = ['suspension', 'activation'];
const markId = (family: OrderFamily, idp: string, person: EventPerson) => `${family}\u0000${suspensionKey(idp, person)}`;

declare module '../../agent/store/collections.ts' {
  interface Collections {
    hookOrderMarks: HookOrderMark;
  }
}

/** A change refused because a later-published event of the same person and kind was applied first. */
export class SupersededEvent extends Error {
  constructor(readonly by: Readonly<HookOrderMark>) {
    super(`superseded by ${by.eventType} ${by.eventId} (published ${by.published}), already applied`);
    this.name = 'SupersededEvent';
  }
}

/**
 * The ordering check of an event's change, run in the agent's transaction that applies it.
 * `refuse`: the change is refused (SupersededEvent) when a later event of its kind was applied
 * (suspend, unsuspend, deactivate); otherwise (an activation: a re-evaluation reads the state as
 * of now, so running it is never wrong) only the mark moves. The same event run again (a retry
 * after its record's write failed) is not refused by its own mark.
 */
export function inOrder(record: Readonly<HookEventRecord>, family: OrderFamily, refuse: boolean): PersonChangeOptions {
  const event = record.event!;
  const id = markId(family, record.idp, event.person!);
  const self = { id: record.id, published: record.published };
  return {
    within: async (tx: Transaction) => {
      const mark = await tx.get('hookOrderMarks', 'okta', id);
      if (mark && byPublished({ id: mark.eventId, published: mark.published }, self) > 0) {
        if (refuse) throw new SupersededEvent(mark);
        return;
      }
      if (!record.published) return;
      tx.put('hookOrderMarks', 'okta', id, { id, idp: record.idp, family, eventId: record.id, eventType: event.eventType, published: record.published });
    },
  };
}

/**
 * How long past the week a mark is kept: a delivery whose receipt time was read just before a
 * prune, and written after it, or read on a replica whose clock is behind, is judged by that
 * receipt time (okta-event.ts outOfWindow), so the prune's cutoff must lie that much before any
 * receipt still to come. An hour covers both with room (the window itself allows 5 minutes of
 * skew); the event ids are kept as long (hook-event-record.ts sweepableAfter).
 */
export const MARK_GRACE_MS = HOOK_EVENT_GRACE_MS;
/**
 * Deletes the marks that can decide nothing any more; returns how many. A mark refuses only an
 * event published before its own; such an event is acted on only if received within
 * HOOK_EVENT_TTL_MS of its `published` (outOfWindow). So a mark published more than that (plus
 * MARK_GRACE_MS) before `now` decides nothing for an event received from now on: the week rule
 * refuses it. An event already received is another matter: its record, still open (processing:
 * the agent said "not now" and it is tried again), may be acted on days after its receipt; the
 * marks of a person with an open record are kept, checked in the transaction that deletes them
 * (the store runs transactions as if one after another), and go at a later sweep once it is done
 * or given up (records are swept a week after receipt). Marks are read page by page outside the
 * write, and deleted in transactions of `batch` (agent/store/write-in-batches.ts), each reading them again through `tx`.
 */
export async function pruneOrderMarks(store: Store, now: number, batch = SWEEP_BATCH): Promise<number> {
  defineOpenIndex(store);
  const cutoff = now - HOOK_EVENT_TTL_MS - MARK_GRACE_MS;
  const stale = (m: Readonly<HookOrderMark> | undefined): m is Readonly<HookOrderMark> => m !== undefined && Date.parse(m.published) < cutoff;
  async function* listed(): AsyncIterable<string> {
    for await (const m of store.list('hookOrderMarks', 'okta')) {
      if (stale(m) && m.id) yield m.id; // (a mark written before marks held their key cannot be addressed)
    }
  }
  return writeInBatches(store, listed(), async (tx, ids) => {
    const open = await tx.lookup('hookEvents', OPEN_INDEX, 'okta');
    const kept = new Set(open.flatMap((r) => (r.event?.person ? FAMILIES.map((f) => markId(f, r.idp, r.event!.person!)) : [])));
    const marks = await tx.getMany('hookOrderMarks', 'okta', ids);
    let n = 0;
    for (const m of marks) {
      if (!stale(m) || kept.has(m.id)) continue; // moved since listed, or its person has an event still to act on
      tx.delete('hookOrderMarks', 'okta', m.id);
      n++;
    }
    return n;
  }, batch);
}
