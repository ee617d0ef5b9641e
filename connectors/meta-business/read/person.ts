import { ConnectorError } from '../../sdk/connector-error.ts';
import type { PersonReading } from '../../sdk/connector.ts';
import type { AppMember, AssetRef } from '../../sdk/hub-model.ts';
import { emailKey } from '../../sdk/email-key.ts';
import { toMember, type RawBusinessUser } from '../mappers/member.ts';
import { PAGE_LIMIT, what, type MetaContext } from '../meta-context.ts';
import { PageTrail } from '../graph-cursor.ts';
import { idOf } from '../mappers/required.ts';
import { confirmGone, readAssignments } from './assignments.ts';
import { invitesFor, MEMBER_FIELDS } from './people.ts';

/**
 * One person as Meta holds them now, for stale-view recovery (agent/tasks/operations/stale-view.ts):
 * - the member by id: `GET /{business-user-id}` (100/33 = gone,
 *   https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business-user);
 * - their invites: `pending_users?email=`
 *   (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/pending_users);
 * - a seat found by email when the id is unknown or gone (an invite accepted meanwhile gets a new
 *   id): business_users has no email filter
 *   (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users),
 *   so its pages are read until the email shows up; at most one listing of members, nothing else;
 * - their tasks on `assets`: `/{asset}/assigned_users?business=`, batched; an asset Graph answers
 *   100/33 for is in `missingAssets` only once the business no longer lists it (confirmGone):
 *   the agent drops those from its snapshot as gone.
 */
export async function readPerson(ctx: MetaContext, input: { email?: string; memberId?: string; assets?: AssetRef[] }): Promise<PersonReading> {
  const email = input.email?.trim().toLowerCase();
  const whatFor = what(`re-read ${email ?? `member ${input.memberId}`} in business ${ctx.businessId}`);
  const members: AppMember[] = [];
  if (input.memberId && !input.memberId.startsWith('invite:')) {
    const byId = await memberById(ctx, input.memberId, whatFor);
    if (byId) members.push(byId);
  }
  const invites = email ? await invitesFor(ctx, email, { anyCase: true }) : [];
  if (email && !members.some((m) => m.email !== undefined && emailKey(m.email) === emailKey(email))) members.push(...(await membersByEmail(ctx, email, whatFor)));
  const missingAssets: AssetRef[] = [];
  const ids = new Set(members.map((m) => m.id));
  // Only the rows of the business users just read are kept, and each is a member's whatever its
  // `user_type` says: Meta documents the field, not its values (AssignedUser,
  // https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/ad-account/assigned_users),
  // and the id is the one `business_users` (or the BusinessUser node) answered. Kept as a system
  // user's on a `SYSTEM_USER` (or another Graph's value), the person's grant left the plan's view:
  // never unassigned when their team dropped the asset (README [INF] "AssignedUser user_type").
  const assignments = input.assets && input.assets.length > 0
    ? (await readAssignments(ctx.graph, input.assets, ctx.businessId, `${whatFor}: assignments`, (a) => missingAssets.push(a)))
      .filter((a) => ids.has(a.userId))
      .map((a) => (a.userType === 'member' ? a : { ...a, userType: 'member' as const }))
    : [];
  // 100/33 also says "cannot be loaded due to missing permissions"
  // (https://developers.facebook.com/docs/graph-api/guides/error-handling): an asset the business
  // still lists is not gone, and the person's tasks there are not known, so the re-read fails
  // (unavailable) rather than report it gone.
  await confirmGone(ctx, missingAssets, `${whatFor}: assignments`);
  return { members, invites, assignments, missingAssets };
}

/**
 * The member by id. Answered as a missing object (100/33), they are gone only once business_users
 * no longer lists them: 100/33 also says the object "cannot be loaded due to missing permissions"
 * (https://developers.facebook.com/docs/graph-api/guides/error-handling; another business user's
 * details answered so, facebook/facebook-java-business-sdk#311). Read as gone, the agent dropped
 * the seat (its assignments and match with it) from its snapshot while the person kept it.
 */
async function memberById(ctx: MetaContext, memberId: string, whatFor: string): Promise<AppMember | undefined> {
  try {
    const raw = (await ctx.graph.call('GET', memberId, { fields: MEMBER_FIELDS }, { what: whatFor, businessId: ctx.businessId })) as RawBusinessUser;
    return toMember(raw);
  } catch (err) {
    if (err instanceof ConnectorError && err.kind === 'not-found') return listedMember(ctx, memberId, `${whatFor}: is the member still listed`);
    throw err;
  }
}

/** The member `memberId` as business_users lists them (every page; on an error path only), or undefined. */
async function listedMember(ctx: MetaContext, memberId: string, whatFor: string): Promise<AppMember | undefined> {
  const trail = new PageTrail();
  let cursor: string | undefined;
  do {
    const page = await ctx.graph.page<RawBusinessUser>(`${ctx.businessId}/business_users`, { fields: MEMBER_FIELDS, limit: PAGE_LIMIT.list }, cursor, { what: whatFor, businessId: ctx.businessId });
    const raw = page.data.find((u) => idOf(u, 'business user') === memberId);
    if (raw) return toMember(raw);
    cursor = page.next && trail.follow('business_users', page.next, whatFor);
  } while (cursor);
  return undefined;
}

/** The members holding `email`, from the business_users pages (no email filter there). */
export async function membersByEmail(ctx: MetaContext, email: string, whatFor: string): Promise<AppMember[]> {
  const trail = new PageTrail();
  let cursor: string | undefined;
  do {
    const page = await ctx.graph.page<RawBusinessUser>(`${ctx.businessId}/business_users`, { fields: MEMBER_FIELDS, limit: PAGE_LIMIT.list }, cursor, { what: whatFor, businessId: ctx.businessId });
    // Compared as the agent compares emails (emailKey: NFC, lower-cased): a member Graph lists
    // precomposed is the person whose address the agent holds decomposed.
    const found = page.data.map(toMember).filter((m) => m.email !== undefined && emailKey(m.email) === emailKey(email));
    if (found.length > 0) return found;
    cursor = page.next && trail.follow('business_users', page.next, whatFor);
  } while (cursor);
  return [];
}

/**
 * Whether `memberId` is among the business_users: how a bare (#100) on `GET|DELETE /{member}` is
 * told apart. Graph answers a missing object 100/33 (not-found); a Graph that answers it with
 * (#100) alone (README [INF]) says nothing about whether the person is still there, and only the
 * listing does. One listing of members, on that error path only.
 */
export async function memberListed(ctx: MetaContext, memberId: string, whatFor: string): Promise<boolean> {
  const trail = new PageTrail();
  let cursor: string | undefined;
  do {
    const page = await ctx.graph.page<{ id: string }>(`${ctx.businessId}/business_users`, { fields: 'id', limit: PAGE_LIMIT.list }, cursor, { what: whatFor, businessId: ctx.businessId });
    if (page.data.some((u) => idOf(u, 'business user') === memberId)) return true;
    cursor = page.next && trail.follow('business_users', page.next, whatFor);
  } while (cursor);
  return false;
}
