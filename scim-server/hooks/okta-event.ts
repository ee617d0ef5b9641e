import { z } from 'zod';
import type { Store } from '../../agent/store/store.ts';
import { HOOK_EVENT_TTL_MS, type HookEventRecord } from './hook-event-record.ts';
import { fitName, HOOK_ID_MAX, HOOK_NAME_MAX, hookId, hookLabel, plainHookText } from './hook-text.ts';

/**
 * An Okta event hook delivery (https://developer.okta.com/docs/concepts/event-hooks/): a CloudEvents-style envelope whose
 * `data.events[]` are System Log LogEvents. Only the fields hubwarden reads are checked; the rest
 * passes through, because Okta adds fields over time. The event's `uuid` (the record's key) and
 * `published` (quoted in audit entries) are refused when no Okta event could hold them (hook-text.ts);
 * the text kept of its actor, type and targets is bounded and cleaned in `eventOf`.
 */
const logTarget = z.object({
  id: z.string().optional(),
  type: z.string(),
  alternateId: z.string().nullish(),
  displayName: z.string().nullish(),
});

export const logEvent = z.object({
  uuid: hookId,
  // ISO 8601 from Okta (LogEvent `published`); Date.parse also reads free text in parentheses
  // ("… GMT (anything)"), which would be quoted in audit entries: bounded and plain too.
  published: z.string().max(64, 'expected a date-time').superRefine(plainHookText).refine((s) => !Number.isNaN(Date.parse(s)), 'expected a date-time'),
  eventType: z.string().min(1),
  actor: z.object({ id: z.string().optional(), alternateId: z.string().nullish(), displayName: z.string().nullish() }).nullish(),
  outcome: z.object({ result: z.string().nullish() }).nullish(),
  target: z.array(logTarget).nullish(),
});

export const eventHookDelivery = z.object({
  eventType: z.string().optional(),
  data: z.object({ events: z.array(logEvent).max(1000, 'expected at most 1000 events per delivery') }),
});

export type LogEvent = z.infer<typeof logEvent>;

/** What an event asks hubwarden to do. Events not listed are acknowledged and ignored. */
export type EventAction = 'offboard' | 'reevaluate' | 'suspend' | 'unsuspend';

/** Event types: https://developer.okta.com/docs/reference/api/event-types/ (read through `eventActionOf`). */
const EVENT_ACTIONS: Readonly<Record<string, EventAction>> = {
  // A deactivated user loses their seats (the agent applies the hub's policy: remove now, or put
  // the removal in a deprovisioning report for an owner to apply).
  'user.lifecycle.deactivate': 'offboard',
  // A suspension reaches hubwarden only by this event (SCIM sends nothing; the user stays active
  // there): the person is marked suspended and holds nothing until unsuspended, so no later plan
  // invites them again; unsuspended, they are planned again.
  'user.lifecycle.suspend': 'suspend',
  'user.lifecycle.unsuspend': 'unsuspend',
  // Active again (reactivated, then activated): planned again. Received, they also keep an older
  // deactivation delivered after them from offboarding a person who is active now (okta.ts).
  'user.lifecycle.reactivate': 'reevaluate',
  'user.lifecycle.activate': 'reevaluate',
  // A membership change may change the person's effective grant: look now instead of waiting
  // for the next SCIM push or check for updates.
  'group.user_membership.add': 'reevaluate',
  'group.user_membership.remove': 'reevaluate',
  'application.user_membership.add': 'reevaluate',
  'application.user_membership.remove': 'reevaluate',
};

/**
 * The action of an event type, or undefined for one hubwarden does not act on. Only the table's
 * own names: indexed directly, an event type named as an inherited object property
 * ("constructor", "toString") read a function from the prototype, which was taken as an action
 * (an unsuspend).
 */
export function eventActionOf(eventType: string): EventAction | undefined {
  return Object.hasOwn(EVENT_ACTIONS, eventType) ? EVENT_ACTIONS[eventType] : undefined;
}

export interface EventPerson {
  email?: string;
  userName?: string;
  externalId?: string;
}

/**
 * The user an event is about: the target of type User (for membership events the other targets
 * are the group or app instance). Okta's `alternateId` is the login, which hubwarden's SCIM
 * userName is, and usually the email; `id` is the Okta user id, which Okta sends as SCIM externalId.
 */
export function personOf(event: LogEvent): EventPerson | undefined {
  // Okta's System Log names an app assignment's person as an `AppUser` target in the orgs we know
  // of, while the hooks documentation describes "the user" of application.user_membership.* without
  // its type (https://developer.okta.com/docs/reference/api/event-types/). Without a User target,
  // the AppUser's alternateId (the app username, which Okta sends as SCIM userName) names them;
  // its id is the assignment's, not the Okta user id, so it is not taken as externalId.
  const user = event.target?.find((t) => t.type === 'User');
  // Only for app assignments, whose action is a re-check: a removal is never keyed on an app username.
  const appUser = user || !event.eventType.startsWith('application.user_membership.') ? undefined : event.target?.find((t) => t.type === 'AppUser');
  const target = user ?? appUser;
  if (!target) return undefined;
  // A login or id no Okta user has (too long, control characters: hook-text.ts fitName) is left out as `unknown` is.
  const alternateId = fitName(target.alternateId, HOOK_NAME_MAX);
  const login = alternateId && alternateId !== 'unknown' ? alternateId : undefined;
  const id = fitName(user?.id, HOOK_ID_MAX);
  if (!login && !id) return undefined;
  return { ...(login ? { userName: login } : {}), ...(login?.includes('@') ? { email: login } : {}), ...(id ? { externalId: id } : {}) };
}

export function personKey(p: EventPerson): string {
  return (p.userName ?? p.email ?? p.externalId ?? '').toLowerCase();
}

/** What hubwarden keeps of an event to act on it (also after a restart). */
/** The group of a `group.user_membership.*` event: its UserGroup target (id `00g…`, displayName the group's name). */
export interface EventGroup {
  id?: string;
  name?: string;
}

function groupOf(event: LogEvent): EventGroup | undefined {
  if (!event.eventType.startsWith('group.user_membership.')) return undefined;
  const g = event.target?.find((t) => t.type === 'UserGroup');
  if (!g) return undefined;
  const id = fitName(g.id, HOOK_ID_MAX);
  const name = fitName(g.displayName, HOOK_NAME_MAX);
  const group = { ...(id ? { id } : {}), ...(name ? { name } : {}) };
  return group.id || group.name ? group : undefined;
}

/**
 * What is kept of an event: also the text of the audit trigger and entries of acting on it. The
 * actor and the event type are labels (escaped and cut: hook-text.ts hookLabel; an event type so
 * cleaned is no type hubwarden acts on); the person and group only as values a real one can have.
 */
export function eventOf(event: LogEvent): { eventType: string; person?: EventPerson; group?: EventGroup; actor?: string; failed?: boolean } {
  const person = personOf(event);
  const group = groupOf(event);
  const who = event.actor?.alternateId ?? event.actor?.id;
  const actor = who ? hookLabel(who) : undefined;
  // A System Log event also records attempts that failed (outcome.result FAILURE, DENY…): a
  // deactivation that did not happen must not cost anyone their seats.
  const result = event.outcome?.result;
  const failed = Boolean(result && result !== 'SUCCESS');
  return { eventType: hookLabel(event.eventType, HOOK_ID_MAX), ...(person ? { person } : {}), ...(group ? { group } : {}), ...(actor ? { actor } : {}), ...(failed ? { failed } : {}) };
}

/** How far an event's `published` may run ahead of its receipt on this server's clock (clock skew). */
export const PUBLISHED_SKEW_MS = 5 * 60_000;

/**
 * Why an event is not acted on for its `published` time, or undefined when it is within the window.
 * Judged against its receipt (`receivedAt`), not now: one taken up again after a restart is judged
 * as when it came.
 *
 * Too old: an event published longer before its receipt than event uuids are remembered
 * (HOOK_EVENT_TTL_MS, the same constant, so the two cannot drift apart) may be a replay of one
 * already acted on and forgotten (Okta retries once, within seconds:
 * https://developer.okta.com/docs/concepts/event-hooks/; a week-old one is a replay by someone
 * holding the secret, or a relay gone wrong), and the later events that would supersede it (an
 * activation after a deactivation) may be forgotten too: acting on it could offboard a person who
 * is active again.
 *
 * In the future (beyond PUBLISHED_SKEW_MS): skipped, not taken as received now. `published` is the
 * only order of events across deliveries (Okta delivers possibly out of order), and a later event
 * supersedes an earlier one (okta.ts laterActivation, laterSuspensionChange): one dated next month
 * would override every real change of the person for the week its record is kept, and one clamped
 * to its receipt would be ordered by arrival, which is not the order of events. Okta stamps
 * `published` when the event happens, so a genuine one is never ahead of its receipt by more than
 * clock skew; when this server's clock is behind, the skip is audited and logged with both times.
 */
export function outOfWindow(record: { published?: string; receivedAt: string }): string | undefined {
  const published = Date.parse(record.published ?? '');
  const received = Date.parse(record.receivedAt);
  if (!Number.isFinite(published) || !Number.isFinite(received)) return undefined;
  if (received - published > HOOK_EVENT_TTL_MS) {
    return `published ${record.published}, more than ${HOOK_EVENT_TTL_MS / 86_400_000} days before its receipt at ${record.receivedAt}: older than the event ids kept against replays`;
  }
  if (published - received > PUBLISHED_SKEW_MS) {
    return `published ${record.published}, more than ${PUBLISHED_SKEW_MS / 60_000} minutes after its receipt at ${record.receivedAt}: it cannot be ordered against the events to come (check this server's clock)`;
  }
  return undefined;
}

/** Oldest first (Okta delivers at least once and possibly out of order: https://developer.okta.com/docs/concepts/event-hooks/). */
export function byPublished(a: { id: string; published?: string }, b: { id: string; published?: string }): number {
  return Date.parse(a.published ?? '') - Date.parse(b.published ?? '') || a.id.localeCompare(b.id);
}

/**
 * The suspend and unsuspend events received, by org and person (the Okta user id, else the login):
 * one arriving after a later-published one of the same person is not applied over it (Okta
 * delivers possibly out of order, also across deliveries: https://developer.okta.com/docs/concepts/event-hooks/).
 * The key function names no helper (agent/store/postgres/indexes.ts hashes its source):
 * `suspensionKey` computes the same key for a lookup.
 */
export const SUSPENSION_INDEX = 'hookEvents.oktaSuspension';

export function suspensionKey(idp: string, person: EventPerson): string {
  return `${idp}\u0000${(person.externalId ?? person.userName ?? person.email ?? '').toLowerCase()}`;
}

const suspensionIndexed = new WeakSet<Store>();
export function defineSuspensionIndex(store: Store): void {
  if (suspensionIndexed.has(store)) return;
  suspensionIndexed.add(store);
  store.defineIndex('hookEvents', SUSPENSION_INDEX, (r: HookEventRecord, source) => {
    const e = r.event;
    if (source !== 'okta' || !e?.person || e.failed || (e.eventType !== 'user.lifecycle.suspend' && e.eventType !== 'user.lifecycle.unsuspend')) return [];
    return [`${r.idp}\u0000${(e.person.externalId ?? e.person.userName ?? e.person.email ?? '').toLowerCase()}`];
  });
}

/**
 * The activations and reactivations received, by org and person (keyed as
 * `suspensionKey`): a deactivation is not acted on when the same person's activation or
 * reactivation published after it has been received, in this delivery or another (Okta delivers
 * at least once and possibly out of order: https://developer.okta.com/docs/concepts/event-hooks/),
 * since the person is active again. The key function names no helper (as SUSPENSION_INDEX's).
 */
export const ACTIVATION_INDEX = 'hookEvents.oktaActivation';
export const REACTIVATIONS = new Set(['user.lifecycle.activate', 'user.lifecycle.reactivate']);

const activationIndexed = new WeakSet<Store>();
export function defineActivationIndex(store: Store): void {
  if (activationIndexed.has(store)) return;
  activationIndexed.add(store);
  store.defineIndex('hookEvents', ACTIVATION_INDEX, (r: HookEventRecord, source) => {
    const e = r.event;
    if (source !== 'okta' || !e?.person || e.failed || (e.eventType !== 'user.lifecycle.activate' && e.eventType !== 'user.lifecycle.reactivate')) return [];
    return [`${r.idp}\u0000${(e.person.externalId ?? e.person.userName ?? e.person.email ?? '').toLowerCase()}`];
  });
}
