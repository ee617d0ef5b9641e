import type { AppInvite, AppMember, AppSystemUser, InviteStatus, Page } from '../../sdk/hub-model.ts';
import { emailKey } from '../../sdk/email-key.ts';
import { inviteStatus, toInvite, type RawRoleRequest } from '../mappers/invite.ts';
import { toMember, toSystemUser, type RawBusinessUser, type RawSystemUser } from '../mappers/member.ts';
import { PAGE_LIMIT, what, type MetaContext } from '../meta-context.ts';
import type { GraphParams } from '../graph-client.ts';
import { PageTrail } from '../graph-cursor.ts';
import { idOf, textOf } from '../mappers/required.ts';

/** People in the portfolio: business_users (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users), pending_users (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/pending_users), system_users (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/system_users). One page per call. */

/**
 * `finance_permission` because a finance role may be reported there rather than in `tasks`
 * (mappers/member.ts memberRole); `marked_for_removal` because a seat Meta is removing is not one
 * to keep or to remove again (mappers/member.ts markedForRemoval).
 */
// `business_role_request{id,email}`: the invite a member came from, with the email it was sent to
// (BusinessRoleRequest `email`; nested selection, https://developers.facebook.com/docs/graph-api/results).
// A person may accept under another address than the one invited: the invite's email is what ties
// the seat to an invite hubwarden still knows only by that email (`pending:<email>`).
export const MEMBER_FIELDS = 'id,name,email,role,tasks,finance_permission,business_role_request{id,email},marked_for_removal';
/**
 * `tasks` and `finance_role` because an add-on role may show there rather than in `role`
 * (mappers/invite.ts inviteRole); `expiry_time` as well as `expiration_time` because the API spec
 * lists both (BusinessRoleRequest.json) and a Graph may fill only one: an expiry never asked for
 * is never seen, and an invite that lapsed would be held pending for ever.
 */
export const INVITE_FIELDS = 'id,email,role,tasks,finance_role,status,created_time,expiration_time,expiry_time';
/**
 * What the reads that never use an invite's role ask for: whether it is pending, and its id (the
 * write paths resolving an invite just sent, or looking for one before sending). No role is asked
 * for, so none is required: a Graph leaving it out refuses nothing there (mappers/invite.ts inviteRole).
 */
export const INVITE_STATUS_FIELDS = 'id,email,status,expiration_time,expiry_time';
export const SYSTEM_USER_FIELDS = 'id,name,role';

export async function listMembers(ctx: MetaContext, cursor?: string): Promise<Page<AppMember>> {
  const page = await ctx.graph.page<RawBusinessUser>(`${ctx.businessId}/business_users`, { fields: MEMBER_FIELDS, limit: PAGE_LIMIT.list }, cursor, {
    what: what(`list business users of business ${ctx.businessId}`), businessId: ctx.businessId,
  });
  return { items: page.data.map(toMember), ...(page.next ? { next: page.next } : {}) };
}

/** Every invite Meta still lists, expired ones included (status says which), so the agent can re-invite. */
export async function listInvites(ctx: MetaContext, cursor?: string): Promise<Page<AppInvite>> {
  const page = await ctx.graph.page<RawRoleRequest>(`${ctx.businessId}/pending_users`, { fields: INVITE_FIELDS, limit: PAGE_LIMIT.list }, cursor, {
    what: what(`list pending invites of business ${ctx.businessId}`), businessId: ctx.businessId,
  });
  return { items: page.data.map((r) => toInvite(r)), ...(page.next ? { next: page.next } : {}) };
}

export async function listSystemUsers(ctx: MetaContext, cursor?: string): Promise<Page<AppSystemUser>> {
  const page = await ctx.graph.page<RawSystemUser>(`${ctx.businessId}/system_users`, { fields: SYSTEM_USER_FIELDS, limit: PAGE_LIMIT.list }, cursor, {
    what: what(`list system users of business ${ctx.businessId}`), businessId: ctx.businessId,
  });
  return { items: page.data.map(toSystemUser), ...(page.next ? { next: page.next } : {}) };
}

/**
 * The ids of the business's system users, a page at a time (`GET /{business}/system_users?fields=id`,
 * https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/system_users):
 * for a caller asking whether someone is one. A ConnectorError from any page is the caller's to judge.
 */
export async function* systemUserIds(ctx: MetaContext, whatFor: string, question: string): AsyncGenerator<string[]> {
  const trail = new PageTrail();
  let cursor: string | undefined;
  do {
    const page = await ctx.graph.page<{ id: string }>(`${ctx.businessId}/system_users`, { fields: 'id', limit: PAGE_LIMIT.list }, cursor, {
      what: `${whatFor}: ${question}`, businessId: ctx.businessId,
    });
    yield page.data.map((u) => idOf(u, 'system user'));
    cursor = page.next && trail.follow('system_users', page.next, whatFor);
  } while (cursor);
}

/** An invite seen by a read that does not use its role: its id, email and status. */
export interface InviteSighting { id: string; email: string; status: InviteStatus }

/**
 * The invites for one email (pending_users?email=, https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/pending_users),
 * in full (a person's re-read keeps their role: read/person.ts), so an invite answered without
 * `role` fails the read (mappers/invite.ts inviteRole). See inviteSightingsFor for `anyCase`.
 */
export function invitesFor(ctx: MetaContext, email: string, options: { anyCase?: boolean } = {}): Promise<AppInvite[]> {
  return byEmail(ctx, email, options, INVITE_FIELDS, (r) => toInvite(r));
}

/**
 * The invites for one email by id and status only: how an invite's id is resolved after POST (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users),
 * and how a pending invite is found before sending one. The role is not used there, so not asked for.
 * hubwarden sends emails lowercased; Meta does not say whether the filter ignores case or Unicode
 * normalization form, and an invite made by hand may hold the address in other case. A non-ASCII
 * address is also asked for in its NFC and NFD forms (byEmail). `anyCase`: when the filter finds none,
 * the whole listing is read and compared without case (README [INF]: a case-sensitive filter);
 * for the paths that must not miss an invite (a refused invite, a person's re-read), not for the
 * look-up before every retried invite.
 */
export function inviteSightingsFor(ctx: MetaContext, email: string, options: { anyCase?: boolean } = {}): Promise<InviteSighting[]> {
  return byEmail(ctx, email, options, INVITE_STATUS_FIELDS, (r) => ({ id: idOf(r, 'invite'), email: textOf(r as unknown as Record<string, unknown>, 'email', 'invite').toLowerCase(), status: inviteStatus(r) }));
}

async function byEmail<T extends { email: string }>(ctx: MetaContext, email: string, options: { anyCase?: boolean }, fields: string, map: (raw: RawRoleRequest) => T): Promise<T[]> {
  const wanted = emailKey(email);
  const whatFor = what(`find the invite of ${email} in business ${ctx.businessId}`);
  const read = async (filter: GraphParams): Promise<T[]> => {
    const out: T[] = [];
    const trail = new PageTrail();
    let cursor: string | undefined;
    do {
      const page = await ctx.graph.page<RawRoleRequest>(`${ctx.businessId}/pending_users`, { ...filter, fields, limit: PAGE_LIMIT.list }, cursor, {
        what: whatFor, businessId: ctx.businessId,
      });
      // Only this email's rows are mapped: another person's invite is none of this read's business.
      // A row without its email (a default field) may be this person's: the look-up fails rather than miss it.
      out.push(...page.data.filter((r) => emailKey(textOf(r as unknown as Record<string, unknown>, 'email', 'invite')) === wanted).map(map));
      cursor = page.next && trail.follow('pending_users', page.next, whatFor);
    } while (cursor);
    return out;
  };
  // The filter as given, then (an address with non-ASCII characters only) in its NFC and NFD forms:
  // Meta does not say the filter compares Unicode normalization forms alike (README [INF]), and an
  // invite listed precomposed ("josé", U+00E9) was missed by a look-up decomposed ("e" + U+0301),
  // so a retried invite sent a second one. An ASCII address costs no extra call.
  for (const form of filterForms(email)) {
    const found = await read({ email: form });
    if (found.length > 0) return found;
  }
  return options.anyCase ? read({}) : [];
}

/** An address as given, then its NFC and NFD forms where they differ from it. */
function filterForms(email: string): string[] {
  return [...new Set([email, email.normalize('NFC'), email.normalize('NFD')])];
}
