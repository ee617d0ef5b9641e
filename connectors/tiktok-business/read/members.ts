import type { AppInvite, AppMember, AppSystemUser, ListingGap, Page } from '../../sdk/hub-model.ts';
import type { TikTokContext } from '../tiktok-context.ts';
import { keywordFindsAddresses } from './keyword-probe.ts';
import { inviteIdOf, ofStatus, ofUnknownStatus, splitByRole, toInvite, toMember, type MemberRow } from '../mappers/rows.ts';
import { cursorPage } from './cursor-page.ts';
import { isRefusal } from '../tiktok-errors.ts';
import { firstNames, hasKey, memberRowKey, unkeyedRows } from '../mappers/row-keys.ts';

/**
 * Members and invitations from `GET /bc/member/get/` (TikTok API for Business v1.3), at its
 * largest page size, 20. BOUND rows are members; PENDING rows are invitations, REJECTED rows
 * declined ones; both are keyed by the address as emailKey folds it (inviteIdOf; they carry no user_id). Each listing
 * filters by `relation_status`, so a full read costs about ceil(rows / 20) calls.
 */
export const MEMBER_PAGE_SIZE = 20;
const ENDPOINT = 'bc/member/get';

export async function listMembers(ctx: TikTokContext, cursor?: string): Promise<Page<AppMember>> {
  const what = `tiktok-business: list members of Business Center ${ctx.bcId}`;
  const page = await cursorPage<MemberRow>(ctx.client, ENDPOINT, { bc_id: ctx.bcId, filtering: { relation_status: 'BOUND' } }, MEMBER_PAGE_SIZE, cursor, what, ctx.ahead, memberRowKey);
  const [rows, keyless] = byKey(page.list.flatMap((r) => ofStatus(r, 'BOUND') ?? []), (r) => r.user_id, (r) => `member ${r.user_email ?? r.user_name ?? '?'} (no user_id)`);
  const { known, gap } = splitByRole(rows, (r) => `member ${r.user_id}`);
  const incomplete = joinGaps(joinGaps(keyless, gap), unknownStatusGap(page.list, (r) => `row ${r.user_id ?? r.user_email ?? '?'}`));
  return { items: known.map(toMember), ...(page.next ? { next: page.next } : {}), ...(incomplete ? { incomplete } : {}) };
}

/**
 * Rows with their key, and a gap naming those without: a member row is keyed by `user_id`, an
 * invitation by its address (what `/bc/member/delete/` takes for each, github.com/bububa/tiktok-business
 * `model/bc/member_delete.go`). A row without its key cannot be told from the
 * others, and leaving it out silently made the listing look complete with a seat missing; the
 * page says it is incomplete instead, so the agent plans nothing from it [INF #53].
 */
function byKey(rows: MemberRow[], key: (r: MemberRow) => unknown, name: (r: MemberRow) => string): [MemberRow[], ListingGap | undefined] {
  const keyed = (r: MemberRow) => hasKey(key(r));
  const keyless = rows.filter((r) => !keyed(r)).map(name);
  const gap = keyless.length ? { reason: `${keyless.length} row(s) without their key: ${firstNames(keyless)}` } : undefined;
  return [rows.filter(keyed), gap];
}

/**
 * Rows of a listing filtered by `relation_status` that name a state TikTok does not document
 * (ofUnknownStatus): not of this listing for sure, nor of another, so the page says it is
 * incomplete, naming them [INF #66].
 */
function unknownStatusGap(rows: MemberRow[], name: (r: MemberRow) => string): ListingGap | undefined {
  const odd = rows.filter(ofUnknownStatus).map((r) => `${name(r)} (relation_status ${JSON.stringify(String(r.relation_status).slice(0, 40))})`);
  return odd.length ? { reason: `${odd.length} row(s) in a relation_status TikTok does not document, so of no known state: ${firstNames(odd)}` } : undefined;
}

function joinGaps(a: ListingGap | undefined, b: ListingGap | undefined): ListingGap | undefined {
  return a && b ? { reason: `${a.reason}; ${b.reason}` } : a ?? b;
}

/** An invitation row's key: its address as emailKey folds it (rows without one keep apart by name). */
const invitationRowKey = (r: MemberRow): string => (hasKey(r.user_email) ? inviteIdOf(String(r.user_email)) : `no user_email:${r.user_name ?? ''}`);

/** PENDING pages first, then REJECTED; the cursor names which (`PENDING/p2:t41`). */
const INVITE_STATUSES = ['PENDING', 'REJECTED'] as const;

export async function listInvites(ctx: TikTokContext, cursor?: string): Promise<Page<AppInvite>> {
  const what = `tiktok-business: list invitations of Business Center ${ctx.bcId}`;
  const [statusPart, inner] = cursor ? cursor.split('/', 2) : ['PENDING', undefined];
  const index = Math.max(0, INVITE_STATUSES.indexOf(statusPart as (typeof INVITE_STATUSES)[number]));
  const status = INVITE_STATUSES[index];
  const page = await cursorPage<MemberRow>(ctx.client, ENDPOINT, { bc_id: ctx.bcId, filtering: { relation_status: status } }, MEMBER_PAGE_SIZE, inner || undefined, what, ctx.ahead, invitationRowKey);
  const [rows, keyless] = byKey(page.list.flatMap((r) => ofStatus(r, status) ?? []), (r) => r.user_email, (r) => `${status} invitation${r.user_name ? ` of ${r.user_name}` : ''} (no user_email)`);
  const { known, gap } = splitByRole(rows, (r) => `invitation of ${inviteIdOf(r.user_email ?? '')}`);
  const items = known.map(toInvite);
  const joined = joinGaps(joinGaps(keyless, gap), unknownStatusGap(page.list, (r) => `row ${r.user_email ?? r.user_id ?? '?'}`));
  const incomplete = joined ? { incomplete: joined } : {};
  if (page.next) return { items, next: `${status}/${page.next}`, ...incomplete };
  const following = INVITE_STATUSES[index + 1];
  return { items, ...(following ? { next: `${following}/` } : {}), ...incomplete };
}

/** Which row of an address counts when TikTok lists several (a former member's UNBOUND row beside a new invitation, say). */
// A row without `relation_status` comes before a former member's UNBOUND one: it may be a live
// invitation, and its state is then read with the filters (findRow).
const ROW_PRECEDENCE = ['BOUND', 'PENDING', 'REJECTED', ''];
const precedence = (r: MemberRow) => {
  const i = ROW_PRECEDENCE.indexOf(r.relation_status ?? '');
  return i < 0 ? ROW_PRECEDENCE.length : i;
};

/**
 * The spellings of an address to look it up by with `filtering.keyword`: as given (the spelling
 * hubwarden invites with, so the one TikTok most likely lists), then its NFC and NFD forms where
 * they differ (only for an address with non-ASCII characters). TikTok does not say that `keyword`
 * compares Unicode normalization forms alike, so it is taken to match the string as sent
 * [INF #58]: an address listed precomposed ("josé", U+00E9) and looked up decomposed ("e" +
 * U+0301) was a miss, and the person got a second invitation. Rows found are compared by
 * `emailKey` (inviteIdOf), so any form finds the one row.
 */
function keywordForms(email: string): string[] {
  const given = email.trim();
  return [...new Set([given, given.normalize('NFC'), given.normalize('NFD')])];
}

/**
 * The row of one address, matched by `emailKey` (inviteIdOf: whatever the case or Unicode
 * normalization form TikTok lists it in); `keyword` narrows the read (keywordForms).
 * TikTok does not say that an address has one row, nor what becomes of a removed member's
 * (`UNBOUND` is a valid `relation_status`, `UserRelationStatusToBC` in github.com/tiktok/tiktok-business-api-sdk; [INF]), so of several rows the BOUND
 * one counts, then PENDING, then REJECTED.
 */
export async function findRow(ctx: TikTokContext, email: string, what: string, options: { thorough?: boolean; strict?: boolean } = {}): Promise<MemberRow | undefined> {
  const key = inviteIdOf(email);
  // Rows read that could be this address's without showing it (no `user_email`, or a
  // `relation_status` TikTok does not document): with `strict`, "no row" is then not known [INF #66].
  const unclear: MemberRow[] = [];
  // Rows are told apart by status, user_id and address together: an invitation may carry a
  // placeholder user_id shared by every invitation (TikTok does not say; [INF] #10).
  // `keyword` narrows the read only where it is known to find addresses, else (unknown) a miss
  // is read again whole, or (known not to) the listing is read whole at once [INF #47].
  const narrows = await keywordFindsAddresses(ctx, what);
  const read = async (status?: string): Promise<MemberRow | undefined> => {
    if (narrows === false) return readSome(status, false);
    return await readSome(status, true) ?? (narrows === undefined ? readSome(status, false) : undefined);
  };
  const readSome = async (status: string | undefined, narrow: boolean): Promise<MemberRow | undefined> => {
    for (const keyword of narrow ? keywordForms(email) : [undefined]) {
      const filtering = { ...(keyword ? { keyword } : {}), ...(status ? { relation_status: status } : {}) };
      const rows = await ctx.client.all<MemberRow>(ENDPOINT, { bc_id: ctx.bcId, filtering }, MEMBER_PAGE_SIZE, what, (r) => `${r.relation_status}:${r.user_id ?? ''}:${inviteIdOf(r.user_email ?? '')}`);
      unclear.push(...rows.filter((r) => !hasKey(r.user_email) || ofUnknownStatus(r)));
      const mine = rows.filter((r) => inviteIdOf(r.user_email ?? '') === key && !ofUnknownStatus(r));
      const row = (status ? mine.flatMap((r) => ofStatus(r, status) ?? []) : mine).sort((x, y) => precedence(x) - precedence(y))[0];
      if (row) return row;
    }
    return undefined;
  };
  const row = await read();
  // A row without `relation_status` [INF #43] is of no known state (a user_id does not make it
  // BOUND: a former member's UNBOUND row keeps one, [INF] #10): the filtered reads say which.
  if (row && !row.relation_status) return unstated(row);
  if (row || !options.thorough) return settled(row);
  // `thorough`: where a row missed would leave a change undone for good (a pending invitation's
  // role), the invitations are also asked for by status: TikTok does not say that a read without
  // a `relation_status` filter lists them [INF #8].
  return settled(await read('PENDING') ?? await read('REJECTED'));

  async function unstated(seen: MemberRow): Promise<MemberRow | undefined> {
    const stated = await read('BOUND') ?? await read('PENDING') ?? await read('REJECTED');
    if (stated || !options.strict) return settled(stated);
    // `strict`: the address is listed, but under none of the filters of a live row. Only the
    // same row listed `UNBOUND` (a documented state, `UserRelationStatusToBC` in
    // github.com/tiktok/tiktok-business-api-sdk) says it is no member or invitation; else its
    // state is not known, and "not listed" is not either [INF #66].
    const former = await read('UNBOUND');
    if (former && String(former.user_id ?? '') === String(seen.user_id ?? '')) return settled(former);
    throw unkeyedRows(`${what}: ${email} is listed without relation_status, and under none of the relation_status filters BOUND, PENDING, REJECTED, UNBOUND, so whether it is still listed is not known`);
  }

  function settled(found: MemberRow | undefined): MemberRow | undefined {
    // `strict`: no row, or only a former member's (UNBOUND), ends a change as done (a revoke
    // answered 40007 taken as already gone); a row that may be this address's leaves that
    // unknown, so the read fails naming it.
    if (options.strict && unclear.length > 0 && (!found || found.relation_status === 'UNBOUND')) {
      throw unkeyedRows(`${what}: ${unclear.length} member row(s) read without user_email or in an undocumented relation_status (${firstNames(unclear.map((r) => String(r.user_id ?? r.user_email ?? r.user_name ?? '?')))}), so whether ${email} is still listed is not known`);
    }
    return found;
  }
}

/** The BOUND row of `userId`, or none (every BOUND page: only after a write TikTok refused for an unclear reason). */
export async function boundMemberRow(ctx: TikTokContext, userId: string, what: string): Promise<MemberRow | undefined> {
  const rows = await ctx.client.all<MemberRow>(ENDPOINT, { bc_id: ctx.bcId, filtering: { relation_status: 'BOUND' } }, MEMBER_PAGE_SIZE, what, memberRowKey);
  const row = rows.flatMap((r) => ofStatus(r, 'BOUND') ?? []).find((r) => String(r.user_id) === userId);
  if (row) return row;
  // "Not listed" answers "the member left" (a refused removal taken as already done, an unassign
  // as nothing to take): only when every row names its member and a documented state. A BOUND
  // row without `user_id` may be this member [INF #53], one in an undocumented state may be too
  // [INF #66]: not known, so the read fails instead of deciding from a gap.
  const unclear = rows.filter((r) => ofUnknownStatus(r) || ((ofStatus(r, 'BOUND') !== undefined) && !hasKey(r.user_id)));
  if (unclear.length > 0) {
    throw unkeyedRows(`${what}: the BOUND listing has ${unclear.length} row(s) without user_id or in an undocumented relation_status (${firstNames(unclear.map((r) => r.user_email ?? r.user_name ?? '?'))}), so whether ${userId} is still a member is not known`);
  }
  return undefined;
}

/**
 * Whether `err`, a refusal (40000, 40002) of a read filtered by `user_id`, is about a member who
 * left: `/bc/asset/get/` with `filtering.user_id` lists what "a BOUND member holds" and TikTok
 * gives no code for anyone else (TikTok API for Business v1.3 `/bc/asset/get/`,
 * https://business-api.tiktok.com/portal/docs/api-reference/v1.3; a parameter error is 40002, the
 * emulator answers 40007, README [INF] #23). Only when the BOUND listing no longer has them.
 */
export async function refusedAsNonMember(ctx: TikTokContext, err: unknown, userId: string, what: string): Promise<boolean> {
  if (!isRefusal(err) || err.providerCode === '40050') return false;
  return (await boundMemberRow(ctx, userId, what)) === undefined;
}

/** The BOUND admins of the BC (the last one must stay). */
export async function listAdmins(ctx: TikTokContext, what: string): Promise<MemberRow[]> {
  const rows = await ctx.client.all<MemberRow>(ENDPOINT, { bc_id: ctx.bcId, filtering: { user_role: 'ADMIN', relation_status: 'BOUND' } }, MEMBER_PAGE_SIZE, what, memberRowKey);
  // As for every filtered listing [INF #43, #52]: a row has the filter's state and role unless it
  // names another, and one that does is not of this listing. Counted as an admin, a STANDARD row
  // let the last admin be removed or demoted, and made a promotion look already done.
  return rows.flatMap((r) => ofStatus(r, 'BOUND') ?? []).filter((r) => !hasKey(r.user_role) || r.user_role === 'ADMIN');
}

/** The PENDING invitations to become an ADMIN (they count towards TikTok's 20 Admins [INF #14]). */
export async function listAdminInvitations(ctx: TikTokContext, what: string): Promise<MemberRow[]> {
  const rows = await ctx.client.all<MemberRow>(ENDPOINT, { bc_id: ctx.bcId, filtering: { user_role: 'ADMIN', relation_status: 'PENDING' } }, MEMBER_PAGE_SIZE, what, (r) => inviteIdOf(r.user_email ?? ''));
  return rows.flatMap((r) => ofStatus(r, 'PENDING') ?? []).filter((r) => !hasKey(r.user_role) || r.user_role === 'ADMIN');
}

/**
 * The token's own user as a system user (plans never remove or demote one). Its role is ADMIN:
 * the credential check holds the hub to a token whose `/bc/get/` `user_role` is ADMIN, and
 * checks that `tokenUserId` is a BOUND admin. No call: the member listing has the rest.
 */
export function tokenUserOf(ctx: TikTokContext): AppSystemUser[] {
  return ctx.tokenUserId ? [{ id: ctx.tokenUserId, name: 'the access token\'s user (tiktok.tokenUserId)', role: 'ADMIN' }] : [];
}
