import type { PersonChangeOptions } from '../../agent/api.ts';
import type { Transaction } from '../../agent/store/store.ts';
import type { HookEventRecord } from './hook-event-record.ts';
import { byPublished, suspensionKey } from './okta-event.ts';

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
 * (okta-event.ts outOfWindow), so a mark older than that decides nothing.
 */
export interface HookOrderMark {
  idp: string;
  family: OrderFamily;
  eventId: string;
  eventType: string;
  published: string;
}

export type OrderFamily = 'suspension' | 'activation';

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
  const id = `${family}\u0000${suspensionKey(record.idp, event.person!)}`;
  const self = { id: record.id, published: record.published };
  return {
    within: async (tx: Transaction) => {
      const mark = await tx.get('hookOrderMarks', 'okta', id);
      if (mark && byPublished({ id: mark.eventId, published: mark.published }, self) > 0) {
        if (refuse) throw new SupersededEvent(mark);
        return;
      }
      if (!record.published) return;
      tx.put('hookOrderMarks', 'okta', id, { idp: record.idp, family, eventId: record.id, eventType: event.eventType, published: record.published });
    },
  };
}
