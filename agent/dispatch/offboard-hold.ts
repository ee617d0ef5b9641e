import type { HubConfigFile } from '../../config/schema.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Trigger } from '../desired-state/delta.ts';
import type { Transaction } from '../store/store.ts';

/**
 * An explicit leaver action (a Lifecycle Workflows task, Okta Workflows or another caller of the
 * admin API, `hubwarden offboard`) marks the person's directory user `offboarded`: they then hold
 * nothing, as a deactivated user does (isActiveUser), so no later plan invites them again.
 *
 * Why: a leaver workflow often runs before the IdP disables the account (Entra's "pre-offboarding"
 * and "last day" templates run tasks at or before `employeeLeaveDateTime`, and disabling the
 * account is a task of its own: https://learn.microsoft.com/entra/id-governance/lifecycle-workflow-templates),
 * and an Okta Workflows flow may offboard before deactivating. Until this, the person's SCIM
 * record still said active and in their groups, so the next check for updates re-invited the
 * leaver the offboarding had just removed.
 *
 * The hold ends when the IdP deactivates and then reactivates the person over SCIM (active
 * false → true, RFC 7643 §4.1.1): a rehire, or an administrator unassigning and re-assigning the
 * app after an offboarding made by mistake (scim-server/scim/resources/user.ts keeps the mark
 * across every other SCIM write). An Okta event hook's deactivation is not marked: Okta has
 * deactivated the person already, and SCIM says so.
 *
 * Staged in the transaction that queues the offboarding's removals; audited `user-offboarded`.
 * Returns whether the mark was written (false: the user is gone, or marked already).
 */
export async function holdOffboarded(tx: Transaction, hub: HubConfigFile, directoryUserId: string, trigger: Trigger, at: Date): Promise<boolean> {
  const user = await tx.get('directoryUsers', hub.id, directoryUserId);
  // Held already; but a hold a hub-scoped caller set is widened by an every-hub one (offboarded.hubs).
  if (!user || (user.offboarded && (user.offboarded.hubs === undefined || trigger.hubs))) return false;
  const by = trigger.actor ?? trigger.type;
  tx.put('directoryUsers', hub.id, user.id, { ...user, offboarded: { at: at.toISOString(), by, ...(trigger.hubs ? { hubs: [...trigger.hubs] } : {}) } });
  appendAudit(tx, {
    hubId: hub.id, trigger, action: 'user-offboarded', subject: { ...(user.email ? { email: user.email } : {}), directoryUserId: user.id },
    why: `${user.userName} offboarded (${by}): holds no seat and is not invited again until the IdP deactivates and reactivates them`,
    outcome: 'ok',
  });
  return true;
}
