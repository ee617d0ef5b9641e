import type { InviteAsset } from '../../connectors/sdk/capabilities.ts';
import type { AppInviteRecord } from '../app-state/records.ts';
import type { EffectiveGrant } from '../grants/effective-grant.ts';
import type { RoleRules } from '../grants/role-rules.ts';
import type { HeldOperation, Operation, OperationReason, PlanResult } from './operation.ts';
import type { PlanActual, PlanPolicy } from './plan.ts';
import { guardRemovals } from './removal.ts';
import { holdPartial } from './partial-hold.ts';

/** What the plan's operations do (grant, upgrade, downgrade), what they carry, and the checks every plan passes (plan.ts). */

/** The same access names, in any order. */
export const sameTasks = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((t) => b.includes(t));

/** The grant's assets, for an app whose invite can give some of them (TikTok); the rest are assigned once the person joins. An admin's invite carries them too. */
export function inviteAssetsOf(grant: EffectiveGrant): { assets?: InviteAsset[] } {
  return grant.assets.length > 0 ? { assets: grant.assets.map((a) => ({ asset: { type: a.type, id: a.id }, tasks: [...a.tasks] })) } : {};
}

/**
 * The re-send of a lapsed invite to `to` with the role and assets `grant` gives now: its key names
 * the invite, so a second lapse is seen as the same change, and the count it carries goes up.
 */
export function reinviteOperation(invite: AppInviteRecord, to: string, grant: EffectiveGrant, summary: string, directoryUserId: string | undefined = grant.directoryUserId): Operation {
  return { kind: 'reinvite', key: `reinvite:${invite.id}`, inviteId: invite.id, email: to, role: grant.appRole!, resendCount: invite.resendCount, ...inviteAssetsOf(grant),
    effect: 'grant', reason: 'expired-invite', directoryUserId, grantedBy: grant.grantedBy, summary };
}

/** A removal's why; of an inactive person, what made them so (an Okta suspension is no deactivation). */
export function describeReason(reason: OperationReason, grant?: Pick<EffectiveGrant, 'inactive'>): string {
  switch (reason) {
    case 'deactivated': return grant?.inactive === 'suspended' ? 'suspended in the directory' : grant?.inactive === 'offboarded' ? 'offboarded' : 'deactivated in the directory';
    case 'deleted': return 'deleted from the directory';
    case 'unassigned': return 'in no mapped group';
    default: return reason;
  }
}

const EFFECT_ORDER = { grant: 0, upgrade: 1, downgrade: 2, removal: 3 } as const;

/**
 * Safety rules that hold for every plan: nothing lowers access from a section the last check for
 * updates did not read in full (./partial-hold.ts); removals pass the removal checks (./removal.ts:
 * complete listing, exemptions, system users, the last admin); upgrades come before downgrades (a
 * move never loses access).
 */
export function protect(ops: Operation[], held: HeldOperation[], actual: PlanActual, policy: PlanPolicy): PlanResult {
  // Held first: a demotion held here is no admin leaving for the last-admin rule below.
  const partial = holdPartial(ops, actual);
  const checked = guardRemovals(partial.operations, {
    complete: actual.complete, membersHidden: actual.membersHidden, members: actual.members, systemUserIds: new Set(actual.systemUsers.map((s) => s.id)), exemptions: actual.exemptions, now: policy.now,
  }, policy.rules);
  const hiddenSeat: HeldOperation[] = [];
  const operations = actual.membersHidden
    ? checked.operations.filter((op) => {
      if (op.kind !== 'invite' && op.kind !== 'reinvite') return true;
      hiddenSeat.push({ operation: op, why: `the app credential does not see every member (last check for updates): ${op.email} may already hold a seat it does not list; not invited until it lists every member` });
      return false;
    })
    : checked.operations;
  const kept = [...operations].sort((a, b) => EFFECT_ORDER[a.effect] - EFFECT_ORDER[b.effect]);
  return { operations: kept, held: [...held, ...partial.held, ...checked.held, ...hiddenSeat] };
}

/**
 * Does `want` give at least the access `have` gives on an asset of `type`, by the connector's rule
 * for combining access (`RoleRules.combine`: what both together come to is `want` itself)? A
 * subset test of the names is right only where access is a set of tasks: an app whose asset
 * access is one ranked role (TikTok's `advertiser_role`: ADMIN > OPERATOR > ANALYST, API for
 * Business v1.3 `/bc/asset/assign/`) shares no name between a role and the one above it, so a
 * team's raise from ANALYST to OPERATOR was taken for a downgrade: it waited the settle window and
 * counted against the access brake as grants taken. Access the rule cannot combine (a task set
 * made by hand that no bundle covers) is not known to be covered: a downgrade, as before.
 */
export function givesAtLeast(rules: RoleRules, type: string, have: readonly string[], want: readonly string[]): boolean {
  try {
    return sameTasks(rules.combine(type, [[...have], [...want]]), want);
  } catch {
    return false;
  }
}

/**
 * A role change is an upgrade only when the current role is one the app's ranking knows and the
 * new one outranks or equals it. A role the app reports that its ranking does not list (an app's
 * role enum may hold more values than the roles a team gives) may be the stronger one: changing
 * it is treated as a downgrade, so it waits like one (safety/classify.ts) instead of running at
 * once as an upgrade.
 */
export function roleChangeEffect(rules: RoleRules, from: string, to: string): 'upgrade' | 'downgrade' {
  if (!rules.ranks(from)) return 'downgrade';
  return rules.compareRoles(to, from) >= 0 ? 'upgrade' : 'downgrade';
}
