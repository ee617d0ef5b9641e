import { ConnectorError } from '../../sdk/connector-error.ts';
import type { ChangeResult } from '../../sdk/hub-model.ts';
import { PAGE_LIMIT, what, type MetaContext } from '../meta-context.ts';
import { PageTrail } from '../graph-cursor.ts';
import { INVITE_FIELDS, INVITE_STATUS_FIELDS, inviteSightingsFor } from '../read/people.ts';
import { inviteRole, inviteStatus, type RawRoleRequest } from '../mappers/invite.ts';
import { membersByEmail } from '../read/person.ts';
import { notAppliedUnlessSent } from './not-applied.ts';
import { idOf } from '../mappers/required.ts';

/**
 * Invites (BusinessRoleRequest, https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users, https://developers.facebook.com/docs/business-management-apis/business-manager/get-started). Never two invites for one email: unless
 * the caller vouches for a clean first attempt (`firstAttempt`: no earlier attempt may have reached
 * Meta and its complete snapshot shows no invite or seat for the email), a pending invite is looked
 * up first (pending_users?email=, one call) and returned as already-done.
 *
 * The id: https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users says not to assume the id POST returns is the request id, so a clean first attempt
 * returns a provisional id `pending:<email>` instead of re-reading pending_users after every POST
 * (one call less per invite; in a 5,000-person burst, 5,000 calls less). The real id is resolved
 * by email when it is first needed (changeInviteRole, cancelInvite, reinvite), and the next check
 * for updates replaces the provisional record by the listed invite (agent/check-for-updates/snapshot.ts).
 * A retried attempt keeps the full look-up, POST, re-read sequence: it must tell "already invited"
 * and "already a member" apart.
 */
export interface InviteInput {
  email: string;
  role: string;
  tasks?: string[];
  firstAttempt?: boolean;
  /**
   * An invite this call has just cancelled (reinvite): a listing that lags the DELETE may still
   * show it pending, and taken for the invite asked for, nothing would be re-sent (README [INF]).
   */
  cancelledId?: string;
}

const PROVISIONAL = 'pending:';

/** The provisional id of a fresh invite whose Meta id is resolved when first needed. */
export function provisionalInviteId(email: string): string {
  return `${PROVISIONAL}${email}`;
}

/** The real invite id: a provisional `pending:<email>` is looked up by email (undefined: no pending invite). */
async function resolveInviteId(ctx: MetaContext, inviteId: string): Promise<string | undefined> {
  if (!inviteId.startsWith(PROVISIONAL)) return inviteId;
  const email = inviteId.slice(PROVISIONAL.length);
  return (await inviteSightingsFor(ctx, email)).find((i) => i.status === 'pending')?.id;
}

/** Kinds of a Graph answer that refuse the call: nothing was written. */

export async function invite(ctx: MetaContext, input: InviteInput): Promise<{ result: ChangeResult; inviteId: string; memberId?: string }> {
  const email = input.email.trim().toLowerCase();
  const role = input.role.toUpperCase();
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
    throw new ConnectorError('invalid-argument', what(`invite "${input.email}" to business ${ctx.businessId}: not an email address`), { field: 'email', notApplied: true });
  }
  const whatFor = what(`invite ${email} to business ${ctx.businessId} as ${role}`);
  const live = (i: { id: string; status: string }) => i.status === 'pending' && i.id !== input.cancelledId;
  let sent = false;
  let answer: unknown;
  // Until the POST is answered nothing was sent, and a refused POST wrote nothing: such errors are
  // marked notApplied, so the task's next attempt may still skip the look-up (a burst that runs
  // into the invite limit must not cost a look-up per invite afterwards). An error after the POST
  // was accepted (the re-read) or a POST without an answer (5xx, timeout) leaves the outcome unknown.
  try {
    ctx.graph.assertNotBlocked(`invite:${ctx.businessId}`, whatFor);
    if (!input.firstAttempt) {
      const existing = (await inviteSightingsFor(ctx, email)).find(live);
      if (existing) return { result: 'already-done', inviteId: existing.id };
    }
    sent = true;
    answer = await ctx.writes.post(`${ctx.businessId}/business_users`, {
      email, role, ...(input.tasks && input.tasks.length > 0 ? { tasks: input.tasks } : {}),
    }, { what: whatFor, businessId: ctx.businessId, isInvite: true });
  } catch (err) {
    // Meta refuses an email that is "already" invited or a member (code 100; its wording is not
    // documented, connectors/meta-business/README.md [INF], so any refusal as a bad argument or a
    // conflict is checked). A pending invite is the change asked for: already-done. A seat is a
    // state the caller's plan did not see: a conflict it must resolve by reading the person again
    // (agent/tasks/operations/stale-view.ts), not a success that would record an invite that does
    // not exist. Neither: the refusal stands as Meta gave it.
    if (sent && err instanceof ConnectorError && (err.kind === 'invalid-argument' || err.kind === 'conflict')) {
      const again = (await inviteSightingsFor(ctx, email, { anyCase: true })).find(live);
      if (again) return { result: 'already-done', inviteId: again.id };
      const said = err.message.startsWith(whatFor) ? err.message.slice(whatFor.length) : err.message;
      const seat = (await membersByEmail(ctx, email, `${whatFor}: is the email a member`)).length > 0;
      // Refused as "already" holding a *pending* invitation and no member holds the email: the
      // invite exists (an earlier attempt whose answer was lost, or one made by hand) and the
      // listing has not caught up with it (Meta says nothing of how soon pending_users shows a
      // write, README [INF]). That is the invite asked for: already-done, its id resolved by email
      // when first needed. Taken for a seat, the task failed as a conflict and the person was
      // reported holding a hidden seat while their invite was pending.
      if (!seat && /already/i.test(said) && /pending/i.test(said)) return { result: 'already-done', inviteId: provisionalInviteId(email) };
      if (seat || /already/i.test(said)) {
        throw new ConnectorError('conflict', `${whatFor}: refused: the email already holds a seat in the business (${err.providerCode ?? '100'})`, {
          providerCode: err.providerCode, notApplied: true, cause: err,
        });
      }
    }
    throw notAppliedUnlessSent(err, sent);
  }
  if (input.firstAttempt) return { result: 'done', inviteId: provisionalInviteId(email) };
  const resolved = (await inviteSightingsFor(ctx, email)).find(live);
  if (resolved) return { result: 'done', inviteId: resolved.id };
  // No pending invite: the person accepted between our POST and the re-read. Accepting creates a
  // BusinessUser with a new id (https://developers.facebook.com/docs/business-management-apis/business-manager/get-started), so the id POST returned (the request's, if
  // anything: Meta does not say) is never the member's. The member is found by email.
  const member = (await membersByEmail(ctx, email, `${whatFor}: find the member who accepted`))[0];
  if (member) return { result: 'already-done', inviteId: '', memberId: member.id };
  // A Graph may answer an invite of an email that already holds a seat or an invite with success
  // and the existing request's id (README [INF]: Meta documents no answer). That request read by
  // id and found not pending (or not found), this POST made no invite: the email holds a seat
  // the business_users listing does not show (it may be filtered by the token's visibility).
  // Taken as `done`, an invite was audited that does not exist, and sent again at every check.
  if (await answeredWithoutInvite(ctx, answer, `${whatFor}: read the request Graph answered with`)) {
    throw new ConnectorError('conflict', `${whatFor}: Graph answered with an existing request that is not a pending invite, and no listed member holds the email: the email already holds a seat that business_users does not list (the listing may be filtered by the token's visibility); no invite was made`, {
      providerCode: 'seat-not-listed', notApplied: true,
    });
  }
  // Neither listed yet: Meta answered the POST with success, so the invite was made; its listing
  // may lag the write (Meta promises read-after-write only for `fields` on the POST itself,
  // https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users;
  // its lag is undocumented, README [INF]). It is `done`, with the
  // provisional id resolved by email when first needed, as after a first attempt: failing here
  // made the task's retry look up, still miss it, and send the invite a second time.
  return { result: 'done', inviteId: provisionalInviteId(email) };
}

/**
 * Whether the request id a POST answered with reads as something other than a pending invite:
 * not found (100/33) or not pending. Any other answer (a node that is no invite, a refused read)
 * says nothing, and the invite stands as made (its listing may lag the write, README [INF]).
 */
async function answeredWithoutInvite(ctx: MetaContext, answer: unknown, whatFor: string): Promise<boolean> {
  const id = answer && typeof answer === 'object' && 'id' in answer ? String((answer as { id: unknown }).id) : undefined;
  if (!id || !/^\d+$/.test(id)) return false;
  try {
    const raw = (await ctx.graph.call('GET', id, { fields: INVITE_STATUS_FIELDS }, { what: whatFor, businessId: ctx.businessId })) as RawRoleRequest;
    return raw.status !== undefined && inviteStatus(raw) !== 'pending';
  } catch (err) {
    if (err instanceof ConnectorError && err.kind === 'not-found') return true;
    return false;
  }
}

export async function changeInviteRole(ctx: MetaContext, given: string, role: string): Promise<ChangeResult> {
  const wanted = role.toUpperCase();
  const inviteId = await resolveInviteId(ctx, given);
  if (!inviteId) throw new ConnectorError('not-found', what(`change role of invite ${given} in business ${ctx.businessId} to ${wanted}: no pending invite for that email`));
  const whatFor = what(`change role of invite ${inviteId} in business ${ctx.businessId} to ${wanted}`);
  // Read as the listing reads it (mappers/invite.ts inviteRole: role plus a finance role in tasks
  // or finance_role), before: a role held is already-done; and after: POST /{request-id} takes
  // role and tasks only (https://developers.facebook.com/docs/business-management-apis/business-manager/get-started),
  // so a Graph may keep a pre-assigned finance_role and the invite read as before. Reported
  // "done", every check would plan and audit the same change again. An answer without `role`
  // fails either read (mappers/invite.ts inviteRole): before, nothing is sent (an ADMIN invite read
  // as EMPLOYEE would be "already" changed to EMPLOYEE); after, the POST's outcome is unknown.
  const before = await inviteRoleOf(ctx, inviteId, `${whatFor}: read`, true, noLongerPending(whatFor));
  if (before === wanted) return 'already-done';
  try {
    await ctx.graph.call('POST', inviteId, { role: wanted }, { what: whatFor, businessId: ctx.businessId });
  } catch (err) {
    // Refused (#100, the one error the request's update lists) because the invite stopped being
    // pending since the read (expired or declined meanwhile; Meta gives no words for it, README
    // [INF]): the invite asked about is gone, as the read would have said.
    if (err instanceof ConnectorError && err.kind === 'invalid-argument' && !(await stillPending(ctx, inviteId))) throw noLongerPending(whatFor)(err);
    throw err;
  }
  const after = await inviteRoleOf(ctx, inviteId, `${whatFor}: read back`, false);
  if (before !== undefined && after === before) {
    throw new ConnectorError('unavailable', `${whatFor}: Graph accepted the role but the invite still reads as ${before} (a finance role held in finance_role or tasks is not changed by role); if this persists, cancel the invite and send it again`, { providerCode: 'role-unchanged' });
  }
  return 'done';
}

/**
 * An invite that is no longer pending (expired, declined: it reads so, or Graph refused the change
 * and a re-read says so) cannot change role: `not-found`, not applied, the contract's word for
 * "no longer pending" (InviteRoleChange), so the agent re-reads the person and re-plans (a re-send
 * of an expired invite) instead of failing the task for good on Graph's (#100).
 */
function noLongerPending(whatFor: string): (cause: unknown) => ConnectorError {
  return (cause) => new ConnectorError('not-found', `${whatFor}: the invite is no longer pending (${typeof cause === 'string' ? cause : 'Graph refused the change and a re-read finds it not pending'}); nothing was changed`, {
    providerCode: 'invite-not-pending', notApplied: true, ...(cause instanceof Error ? { cause } : {}),
  });
}

/**
 * The invite's role as listInvites reads it, or undefined when Graph will not read it (gone or no
 * longer loadable: the POST then says what it says). Answered without `role`: unavailable
 * (role-missing), not applied when read before the write.
 */
async function inviteRoleOf(ctx: MetaContext, inviteId: string, whatFor: string, beforeWrite = true, notPending?: (status: string) => ConnectorError): Promise<string | undefined> {
  let raw: RawRoleRequest;
  try {
    raw = (await ctx.graph.call('GET', inviteId, { fields: INVITE_FIELDS }, { what: whatFor, businessId: ctx.businessId })) as RawRoleRequest;
  } catch (err) {
    if (err instanceof ConnectorError && err.kind === 'not-found') return undefined;
    throw err;
  }
  const status = inviteStatus(raw);
  if (notPending && status !== 'pending') throw notPending(status);
  return inviteRole({ ...raw, id: raw?.id ?? inviteId }, beforeWrite ? { notApplied: true } : {});
}

export async function cancelInvite(ctx: MetaContext, given: string): Promise<ChangeResult> {
  return (await cancelResolved(ctx, given)).result;
}

/** cancelInvite, also naming the invite it cancelled (undefined: none was pending). */
async function cancelResolved(ctx: MetaContext, given: string): Promise<{ result: ChangeResult; inviteId?: string }> {
  const inviteId = await resolveInviteId(ctx, given);
  if (!inviteId) return { result: 'already-done' }; // nothing pending for the email: the state asked for holds
  try {
    // Subject to the invite limit (isInvite): a 17 here is that limit's 24 h, not Graph's
    // user-level 5 min on the whole app, which the cancel would run into again and again.
    await ctx.graph.call('DELETE', inviteId, {}, { what: what(`cancel invite ${inviteId} of business ${ctx.businessId}`), businessId: ctx.businessId, isInvite: true });
    return { result: 'done', inviteId };
  } catch (err) {
    // 100/33 says the request "does not exist, cannot be loaded due to missing permissions, or does
    // not support this operation" (https://developers.facebook.com/docs/graph-api/guides/error-handling):
    // gone only once pending_users no longer lists it. Still listed, the invite stands (the person
    // can still accept it): the error stands, not applied, never a cancellation audited as made.
    if (err instanceof ConnectorError && err.kind === 'not-found') {
      if (await inviteListed(ctx, inviteId)) {
        throw err.with({ message: `${err.message} (invite ${inviteId} is still listed in pending_users: Graph will not load it, nothing was cancelled)`, notApplied: true });
      }
      return { result: 'already-done', inviteId };
    }
    // Meta documents no answer for cancelling an invite that is no longer pending (expired,
    // declined); a Graph may refuse it (#100) as it refuses changing one (README [INF]). No
    // pending invite is the state asked for, so a re-read that shows it so is already-done, and
    // a re-send of an expired invite goes on; still pending, the refusal stands.
    if (err instanceof ConnectorError && err.kind === 'invalid-argument' && !(await stillPending(ctx, inviteId))) return { result: 'already-done', inviteId };
    throw err;
  }
}

/** Whether pending_users lists the invite `inviteId` as pending (every page; on an error path only). */
async function inviteListed(ctx: MetaContext, inviteId: string): Promise<boolean> {
  const whatFor = what(`is invite ${inviteId} still listed in business ${ctx.businessId}`);
  const trail = new PageTrail();
  let cursor: string | undefined;
  do {
    const page = await ctx.graph.page<RawRoleRequest>(`${ctx.businessId}/pending_users`, { fields: INVITE_STATUS_FIELDS, limit: PAGE_LIMIT.list }, cursor, {
      what: whatFor, businessId: ctx.businessId,
    });
    if (page.data.some((r) => idOf(r, 'invite') === inviteId && inviteStatus(r) === 'pending')) return true;
    cursor = page.next && trail.follow('pending_users', page.next, whatFor);
  } while (cursor);
  return false;
}

/** Whether the invite `GET /{request-id}` reads is pending (not-found: it is not). */
async function stillPending(ctx: MetaContext, inviteId: string): Promise<boolean> {
  try {
    const raw = (await ctx.graph.call('GET', inviteId, { fields: INVITE_STATUS_FIELDS }, {
      what: what(`re-read invite ${inviteId} of business ${ctx.businessId}`), businessId: ctx.businessId,
    })) as RawRoleRequest;
    return inviteStatus(raw) === 'pending';
  } catch (err) {
    if (err instanceof ConnectorError && err.kind === 'not-found') return false;
    throw err;
  }
}

/** Meta has no resend (https://developers.facebook.com/docs/business-management-apis/business-manager/get-started): cancel, then invite again. Both count against the invite limit. */
export async function reinvite(ctx: MetaContext, input: InviteInput & { inviteId: string }): Promise<{ result: ChangeResult; inviteId: string; memberId?: string }> {
  const cancelled = await cancelResolved(ctx, input.inviteId);
  // A re-send always looks first, past the invite it has just cancelled (gone, or no longer pending).
  const again = await invite(ctx, { ...input, firstAttempt: false, ...(cancelled.inviteId ? { cancelledId: cancelled.inviteId } : {}) });
  // A member by now (accepted meanwhile): nothing to resend.
  return again.memberId ? again : { result: 'done', inviteId: again.inviteId };
}
