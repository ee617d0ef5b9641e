import { ConnectorError } from '../../sdk/connector-error.ts';
import type { ChangeResult } from '../../sdk/hub-model.ts';
import { what, type MetaContext } from '../meta-context.ts';
import { refuseIfLastAdmin } from './last-admin.ts';
import { memberRole, roleOf } from '../mappers/member.ts';
import { memberListed } from '../read/person.ts';
import { systemUserIds } from '../read/people.ts';

/** Change a member's role (POST /{bsuid}, https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business-user) and remove a member (DELETE /{bsuid}, https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business-user). */

/**
 * Graph's answer for a member that is not there: 100/33 (not-found), or a bare (#100) from a Graph
 * that omits the subcode and Graph's words for it (README [INF]). Either counts only once the
 * business_users listing confirms the member is gone: 100/33 also says the object "cannot be
 * loaded due to missing permissions" (https://developers.facebook.com/docs/graph-api/guides/error-handling;
 * another business user's details answered so, facebook/facebook-java-business-sdk#311), and a
 * removal taken as done on that answer would leave the person their seat. Still listed, the
 * error stands, saying so.
 *
 * Not listed is not enough either: business_users may be filtered by the token's visibility (one
 * project's token listed 2 of the 7 people the UI showed; connector README, "filtered listing"),
 * so a person it leaves out may still hold a seat. When the answer came from a write (`DELETE`),
 * the member is read directly by id (`GET /{business-user-id}`,
 * https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business-user):
 * loaded, they are still there and the error stands; answered as missing (100/33, or the bare
 * (#100) a Graph may give, README [INF]) like the write, both reads agree they are gone. When the answer came from that direct read itself, it is the evidence.
 */
async function gone(ctx: MetaContext, err: unknown, memberId: string, whatFor: string, from: 'read' | 'write'): Promise<boolean> {
  if (!(err instanceof ConnectorError)) return false;
  if (err.kind !== 'not-found' && !(err.kind === 'invalid-argument' && err.providerCode === '100')) return false;
  if (await memberListed(ctx, memberId, `${whatFor}: is the member still listed`)) {
    throw err.with({ message: `${err.message} (member ${memberId} is still listed in business_users: Graph will not load it, nothing was changed)`, notApplied: true });
  }
  if (from === 'read') return true;
  try {
    await ctx.graph.call('GET', memberId, { fields: 'id,business' }, { what: `${whatFor}: read the member by id`, businessId: ctx.businessId });
  } catch (again) {
    if (again instanceof ConnectorError && (again.kind === 'not-found' || (again.kind === 'invalid-argument' && again.providerCode === '100'))) return true;
    // Neither loaded nor answered missing: whether the seat is gone is not known.
    throw err.with({ message: `${err.message} (member ${memberId} is not listed in business_users, which may be filtered by the token's visibility, and reading them by id failed: removal not confirmed)`, notApplied: true });
  }
  throw err.with({ message: `${err.message} (member ${memberId} still reads by id though business_users leaves them out: the listing is filtered by the token's visibility; the seat stays, nothing was changed)`, notApplied: true });
}

/** The member's role read as listMembers reads it (role plus add-ons in tasks or finance_permission, mappers/member.ts), so a change once made is already-done. */
async function currentRole(ctx: MetaContext, memberId: string, whatFor: string, beforeWrite = true): Promise<string | undefined> {
  let body: { id?: string; role?: string; tasks?: string[]; finance_permission?: string };
  try {
    body = (await ctx.graph.call('GET', memberId, { fields: 'id,role,tasks,finance_permission' }, { what: whatFor, businessId: ctx.businessId })) as typeof body;
  } catch (err) {
    if (await gone(ctx, err, memberId, whatFor, 'read')) return undefined;
    throw err;
  }
  // No role answered: unknown, never EMPLOYEE (an admin would read as already demoted, or be
  // removed without the last-admin check): the change is not made (mappers/member.ts roleOf).
  return memberRole({ ...body, role: roleOf({ ...body, id: body?.id ?? memberId }, 'business user', beforeWrite ? { notApplied: true } : {}) });
}

/**
 * A system user is no business user: `GET /{id}` for one refuses the BusinessUser fields asked for
 * (`tasks` is no SystemUser field, code 100), and business_users does not list it, which is how
 * a member reads as gone. Taken so, removing a system user was "already-done" and changing its
 * role "no such member", while it kept every access it had. Meta documents no update or delete of
 * a system user through the API (system_users: create only; system users overview,
 * https://developers.facebook.com/docs/business-management-apis/system-users/overview), so the
 * change is refused, not applied, naming it. Asked only when the id does not read as a member.
 */
async function refuseIfSystemUser(ctx: MetaContext, memberId: string, whatFor: string): Promise<void> {
  let isSystemUser = false;
  try {
    for await (const page of systemUserIds(ctx, whatFor, 'is it a system user')) if ((isSystemUser = page.includes(memberId))) break;
  } catch (err) {
    // A token that may not list system users (the edge lists 200) answers as before this check:
    // the member reads as gone. Refused here, every removal of a departed member would pause the hub.
    if (err instanceof ConnectorError && err.kind === 'permission-denied') return;
    throw err;
  }
  if (isSystemUser) {
    throw new ConnectorError('invalid-argument', `${whatFor}: refused: ${memberId} is a system user of business ${ctx.businessId}, not a business user; Meta has no API to change or remove a system user (change it in Business Settings)`, {
      field: 'memberId', providerCode: 'system-user', notApplied: true,
    });
  }
}

export async function changeMemberRole(ctx: MetaContext, memberId: string, role: string): Promise<ChangeResult> {
  const wanted = role.toUpperCase();
  const whatFor = what(`change role of member ${memberId} in business ${ctx.businessId} to ${wanted}`);
  const current = await currentRole(ctx, memberId, whatFor);
  if (current === undefined) {
    await refuseIfSystemUser(ctx, memberId, whatFor);
    throw new ConnectorError('not-found', `${whatFor}: no such member`);
  }
  if (current === wanted) return 'already-done';
  if (current === 'ADMIN') await refuseIfLastAdmin(ctx, memberId, `demote to ${wanted}`);
  await ctx.graph.call('POST', memberId, { role: wanted }, { what: whatFor, businessId: ctx.businessId });
  // Read back as a check for updates will read it: Meta lists `finance_permission` apart from
  // `role` and documents no call that clears it (POST /{bsuid} takes role and tasks), so a Graph
  // may take the new role and leave the member reading as before. Reported "done", the next check
  // would plan the same change again, and again, each time audited as made.
  const after = await currentRole(ctx, memberId, `${whatFor}: read back`, false);
  if (after === current && after !== wanted) {
    throw new ConnectorError('unavailable', `${whatFor}: Graph accepted the role but the member still reads as ${current} (role ${wanted} sent; a finance role held in finance_permission or tasks is not changed by role); if this persists, change the person's finance role in Business Settings`, { providerCode: 'role-unchanged' });
  }
  return 'done';
}

export async function removeMember(ctx: MetaContext, memberId: string): Promise<ChangeResult> {
  const whatFor = what(`remove member ${memberId} from business ${ctx.businessId}`);
  const current = await currentRole(ctx, memberId, whatFor);
  if (current === undefined) {
    await refuseIfSystemUser(ctx, memberId, whatFor);
    return 'already-done';
  }
  if (current === 'ADMIN') await refuseIfLastAdmin(ctx, memberId, 'remove');
  try {
    await ctx.graph.call('DELETE', memberId, {}, { what: whatFor, businessId: ctx.businessId });
  } catch (err) {
    if (await gone(ctx, err, memberId, whatFor, 'write')) return 'already-done';
    throw err;
  }
  return 'done';
}
