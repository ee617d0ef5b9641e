import type { HubConfigFile } from '../../config/schema.ts';
import type { Trigger } from '../desired-state/delta.ts';
import type { DirectoryUserRecord } from '../desired-state/directory-records.ts';
import { memberRowOf } from '../plan/operation.ts';
import type { ReadView } from '../store/store.ts';
import { TASK_KEY_INDEX, taskKeyOf, type TaskRecord } from '../tasks/task-record.ts';
import { offboardMayReport, offboardOperations } from './offboard.ts';

/**
 * The finished offboarding a leaver action repeats, or undefined when it is new work.
 *
 * A leaver workflow sends its call again when the answer was lost or its step is retried (Okta
 * Workflows' HTTP cards, an Entra Lifecycle Workflows callout run again, `hubwarden offboard`
 * typed twice). While the first offboarding is unfinished its idempotency key answers the repeat
 * (agent-api.ts); once it finished the key is free, and a repeat queued a second offboarding that
 * found nothing to do and wrote audit entries of its own, read as a second leaver action in the
 * person's trail. A repeated request has the effect of the first (RFC 9110 §9.2.2): it is
 * answered with the finished task.
 *
 * It is the same request when the newest offboarding under the same key (same person, same hubs:
 * the key holds the token's hub scope) completed, and nothing changed since:
 * - every directory user it names is still held (offboard-hold.ts) as this request would hold
 *   them: a SCIM reactivation (active false → true, RFC 7643 §4.1.1) or a rehire's new account
 *   ends or lacks the hold, and a new offboarding must hold them again;
 * - no seat or pending invite of theirs is left to remove on any hub (one invited again, by hand
 *   or by a plan, is new work);
 * - the seats a rule kept (exempted, system users, the last admin) are the ones it reported.
 * A failed or cancelled offboarding (a removal that did not happen, an approval rejected) is never
 * answered so: asked again, it acts. An Okta event hook's deactivation (`offboardMayReport`) has
 * its replays refused by event id (scim-server/hooks) and is left as it was.
 */
export async function finishedOffboardRepeated(
  view: ReadView, key: string, found: ReadonlyArray<{ hub: HubConfigFile; user?: DirectoryUserRecord; emails: string[] }>, trigger: Trigger, now: Date,
): Promise<Readonly<TaskRecord> | undefined> {
  if (offboardMayReport(trigger)) return undefined;
  const tasks = (await view.lookup('tasks', TASK_KEY_INDEX, taskKeyOf('', key))).filter((t) => t.kind === 'offboard');
  const last = tasks.reduce<Readonly<TaskRecord> | undefined>((a, t) => (!a || t.createdAt > a.createdAt || (t.createdAt === a.createdAt && t.id > a.id) ? t : a), undefined);
  if (!last || last.status !== 'completed') return undefined;
  for (const f of found) if (f.user && !heldFor(f.user, trigger)) return undefined;
  const keptBefore = new Set(((last.result as { held?: Array<{ hubId: string; memberId: string }> } | undefined)?.held ?? []).map((h) => `${h.hubId}\u0000${h.memberId}`));
  const keptNow = new Set<string>();
  for (const f of found) {
    const { operations, held } = await offboardOperations(view, f.hub, f.emails, f.user?.id, now);
    if (operations.length > 0) return undefined;
    for (const h of held) keptNow.add(`${f.hub.id}\u0000${memberRowOf(h.operation)}`);
  }
  if (keptNow.size !== keptBefore.size || [...keptNow].some((k) => !keptBefore.has(k))) return undefined;
  return last;
}

/** Whether this request's hold (offboard-hold.ts `holdOffboarded`) would change nothing on the user. */
function heldFor(user: Pick<DirectoryUserRecord, 'offboarded'>, trigger: Trigger): boolean {
  return user.offboarded !== undefined && (user.offboarded.hubs === undefined || trigger.hubs !== undefined);
}
