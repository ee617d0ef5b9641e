/**
 * The read half of a check for updates: everything the app holds for one hub, read page by page
 * through the connector (the agent drives pagination), the independent listings side by side.
 * Nothing is written here. Members and invites are required: if either fails the read fails and
 * the caller keeps the previous snapshot, so a partial listing never passes for a complete one
 * (removals are planned only from complete member and invite listings). The other sections
 * (system users, assets, assignments, partners) are optional: one that fails is reported in
 * `unavailable` with its reason and the caller keeps what it knew of it. Meta restricts the
 * business-to-business endpoints to apps granted access ("As of June 8, 2021, access to these
 * endpoints is limited. Apps without access will receive an error",
 * https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business),
 * and such a hub must still import, match and write back its own people.
 */
import type { HubConnector } from '../../connectors/sdk/connector.ts';
import { isConnectorError } from '../../connectors/sdk/connector-error.ts';
import { inFlight } from './in-flight.ts';
import type {
  AppAsset, AppInvite, AppMember, AppPartner, AppSystemUser, AssetAssignment, AssetRef, AssetType, ListingGap, Page, PartnerUser,
} from '../../connectors/sdk/hub-model.ts';
import { errorText } from '../log/logger.ts';

/** Everything one hub's app lists, one array per listing method of the connector. */
export interface AppListings {
  members: AppMember[];
  invites: AppInvite[];
  systemUsers: AppSystemUser[];
  assets: AppAsset[];
  assignments: AssetAssignment[];
  partners: AppPartner[];
  partnerUsers: PartnerUser[];
}

export interface AppReading extends AppListings {
  /**
   * Partners whose people could not be read (their token): reported, not fatal. With `assetType`,
   * only that type's assignments were unreadable (e.g. Pages without pages_manage_metadata): the
   * partner's people on the other types were read.
   */
  partnerFailures: Array<{ partnerBusinessId: string; assetType?: AssetType; message: string }>;
  /** Asset types actually listed (a connector without `listAssets` lists none). */
  assetTypes: AssetType[];
  /** Asset types no team manages that the credential may not list (permission-denied): kept as known. */
  unreadableAssetTypes: Array<{ type: AssetType; message: string }>;
  /**
   * Asset types listed only in part (a page's `incomplete`): counted as read for the assets listed;
   * those of the refused part (`ownership`, or any when absent) that the listing lacks are kept as
   * known, with their assignments (snapshot.ts). A type a team manages is also reported in
   * `unavailable` (section assets: hub health says why).
   */
  incompleteAssetTypes?: Array<{ type: AssetType; message: string; ownership?: ListingGap['ownership'] }>;
  /**
   * Listed assets whose holders the credential may not read (a permission refusal on that asset):
   * their assignments are kept as last seen (snapshot.ts), never read as "nobody holds it".
   */
  unreadableAssignments?: Array<{ asset: AssetRef; message: string }>;
  /** Listing methods the connector lacks: the picture is complete only for what it can list. */
  unsupported: string[];
  /** Optional sections that failed, with the reason: the import completes without them. */
  unavailable: Array<{ section: OptionalSection; message: string }>;
  /**
   * People the asset assignments name as members whom the member listing lacks (membersHidden):
   * the credential does not see every member, so the member listing is no complete picture.
   */
  hiddenMembers?: string[];
}

/**
 * Member ids the assignments name that neither the member nor the system-user listing holds. An
 * app may filter its member listing by what the credential sees (Meta: a project whose token's
 * business_users listing showed only some of the people it saw in the UI discovered them through
 * the asset edges instead, connectors/meta-business/README.md), and such a person looks absent:
 * invited again, reported as left, removed as missing.
 */
export function membersHidden(reading: Pick<AppListings, 'members' | 'systemUsers' | 'assignments'>): string[] {
  const listed = new Set([...reading.members.map((m) => m.id), ...reading.systemUsers.map((s) => s.id)]);
  const hidden = new Set<string>();
  for (const a of reading.assignments) if (a.userType === 'member' && !listed.has(a.userId)) hidden.add(a.userId);
  return [...hidden];
}

/**
 * Each holder typed by the listings that name them: a system user when the system-user listing
 * holds the id, a member when only the member listing does, and as the connector said when neither
 * does. A connector may type a holder from a field whose values the app does not document (its
 * README says where): typed a system user, a listed
 * member's grant left the plan's view (never unassigned when their team dropped the asset, no
 * drift reported); typed a member, a listed system user's grant was stored and shown as a person's.
 * An id neither listing holds keeps the connector's type: a member there is a person the member
 * listing lacks (membersHidden), so nothing is removed and nobody invited until it lists them.
 */
export function holdersByListing(reading: Pick<AppListings, 'members' | 'systemUsers' | 'assignments'>): AssetAssignment[] {
  const systemIds = new Set(reading.systemUsers.map((s) => s.id));
  const memberIds = new Set(reading.members.map((m) => m.id));
  return reading.assignments.map((a) => {
    const userType = systemIds.has(a.userId) ? 'system-user' : memberIds.has(a.userId) ? 'member' : a.userType;
    return userType === a.userType ? a : { ...a, userType };
  });
}

/** Sections a check for updates may complete without (members and invites it may not). */
export const OPTIONAL_SECTIONS = ['system users', 'assets', 'assignments', 'partners'] as const;
export type OptionalSection = (typeof OPTIONAL_SECTIONS)[number];

export interface ReadOptions {
  /** Every asset type the hub's connector knows (its definition's `assetTypes`), each read in turn. */
  assetTypes: readonly AssetType[];
  /** Partners whose people the connector can read (`partnersWithPeople()`). */
  partnersWithToken: readonly string[];
  /** Asset types the hub's teams grant: these must be read; others may be unreadable. */
  managedAssetTypes?: readonly AssetType[];
  /** Progress for the task view: steps done of steps known so far, and the current phase. */
  progress?: (done: number, total: number, phase: string) => void;
  /** Stops between pages (task cancelled, agent shutting down). */
  signal?: AbortSignal;
  /** A runaway cursor guard: more pages than this in one listing is a connector bug. */
  maxPagesPerListing?: number;
}

/** A hub's listing failed or looped: says which listing and keeps the cause. */
export class ReadError extends Error {
  constructor(readonly listing: string, message: string, cause?: unknown) {
    super(`check for updates: read ${listing}: ${message}`, cause === undefined ? undefined : { cause });
    this.name = 'ReadError';
  }
}

/**
 * Reads every page of one listing; a cursor seen twice would loop forever, so it stops with an
 * error. A page that says part of the listing was refused (`incomplete`) goes to `onGap`; a listing
 * that takes none (every one but assets) fails instead, so a partial listing never passes for whole.
 */
export async function readAllPages<T>(listing: string, readPage: (cursor?: string) => Promise<Page<T>>, options: ReadOptions, onPage?: (count: number) => void, onGap?: (gap: ListingGap) => void): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  const maxPages = options.maxPagesPerListing ?? 100_000;
  let cursor: string | undefined;
  for (let pages = 0; ; pages++) {
    options.signal?.throwIfAborted();
    if (pages >= maxPages) throw new ReadError(listing, `more than ${maxPages} pages; stopping`);
    const page = await readPage(cursor);
    for (const item of page.items) items.push(item);
    if (page.incomplete) {
      if (!onGap) throw new ReadError(listing, `the app listed only part of it: ${page.incomplete.reason}`);
      onGap(page.incomplete);
    }
    onPage?.(items.length);
    if (!page.next) return items;
    if (seen.has(page.next)) throw new ReadError(listing, 'the app returned a cursor already read (paging loops); stopping');
    seen.add(page.next);
    cursor = page.next;
  }
}

/**
 * Graph calls the read keeps in flight. The listings are independent and every call counts the
 * same toward Meta's rate limits however it is timed (https://developers.facebook.com/docs/graph-api/batch-requests, https://developers.facebook.com/docs/graph-api/overview/rate-limiting), so reading them one
 * after another only adds latency: at 100 ms per call a 10,000-member business took ~8 s of
 * round trips sequentially. The connector paces itself on `X-App-Usage`
 * (connectors/meta-business/graph-client.ts) and expects the agent to add this parallelism.
 */
export const READS_IN_FLIGHT = 8;

export async function readApp(connector: HubConnector, options: ReadOptions): Promise<AppReading> {
  // One check's listings may share the app's answers (HubConnector.withinCheck): a list two of
  // them need is asked once per check, not once per listing.
  return connector.withinCheck ? connector.withinCheck(() => readListings(connector, options)) : readListings(connector, options);
}

async function readListings(connector: HubConnector, options: ReadOptions): Promise<AppReading> {
  // A required listing (members, invites) that fails stops the others between pages: the read
  // has failed as a whole (nothing is written), so further calls would only spend rate limit.
  const failed = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, failed.signal]) : failed.signal;
  const readOptions: ReadOptions = { ...options, signal };
  const guard = <T>(work: Promise<T>): Promise<T> => work.catch((err: unknown) => {
    failed.abort(err);
    throw err;
  });
  /**
   * Promise.all, except that it settles only when every listing has: one that failed has stopped
   * the others between pages (guard), and the read throws the first failure only once no call of
   * it is in flight. Promise.all rejected at once and left the other listings' calls running
   * unwatched: at shutdown they met the closed port of a built-in sandbox, and a failed read kept
   * spending the app's rate limit on answers nobody read.
   */
  const allSettled = async <T extends readonly unknown[]>(work: { [K in keyof T]: Promise<T[K]> }): Promise<T> => {
    let first: { err: unknown } | undefined;
    const results = await Promise.all(work.map((p) => (p as Promise<unknown>).catch((err: unknown) => void (first ??= { err }))));
    if (first) throw first.err;
    return results as unknown as T;
  };
  const missing = new Set<string>();
  // Steps: members, invites, system users, partners, one per asset type, then assignment chunks
  // and partner reads, counted once the assets and partners are known.
  let total = 4 + options.assetTypes.length;
  let done = 0;
  const step = (phase: string) => options.progress?.(done, total, phase);
  const finish = (phase: string) => {
    done++;
    step(phase);
  };

  const list = async <T>(listing: string, method: ((cursor?: string) => Promise<Page<T>>) | undefined, onGap?: (gap: ListingGap) => void): Promise<T[]> => {
    if (!method) {
      missing.add(listing);
      finish(listing);
      return [];
    }
    step(listing);
    const items = await readAllPages(listing, method.bind(connector), readOptions, (n) => step(`${listing} (${n} read)`), onGap);
    finish(listing);
    return items;
  };

  const unavailable: AppReading['unavailable'] = [];
  /** An optional section that fails is noted (unless the whole read was stopped) and read on without. */
  const optional = async <T>(section: OptionalSection, work: () => Promise<T>, without: T, note = true): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      if (signal.aborted || !isConnectorError(err)) throw err;
      if (note) unavailable.push({ section, message: errorText(err) });
      return without;
    }
  };

  const listAssets = connector.listAssets;
  const readType = async (type: AssetType): Promise<{ items: AppAsset[]; unreadable?: string; gaps: ListingGap[] }> => {
    const read = listAssets ? (cursor?: string) => listAssets.call(connector, type, cursor) : undefined;
    let failure: string | undefined;
    // Part of the type refused (say assets other businesses shared): what was listed counts.
    const gaps: ListingGap[] = [];
    // A token without, say, catalog_management cannot list catalogs: for a type no team of the
    // hub manages that is expected, noted only. Any other failure makes the assets section
    // unavailable; the type keeps what was known of it either way.
    const expected = (err: unknown) => isConnectorError(err) && err.kind === 'permission-denied' && !options.managedAssetTypes?.includes(type);
    const items = await optional('assets', async () => {
      try {
        return await list(`assets: ${type}`, read, (gap) => gaps.push(gap));
      } catch (err) {
        failure = errorText(err);
        if (expected(err)) return [];
        throw err;
      }
    }, [] as AppAsset[]);
    if (failure === undefined) return { items, gaps };
    finish(`assets: ${type}`);
    return { items: [], unreadable: failure, gaps: [] };
  };

  const listAssignments = connector.listAssignments;
  /** Every asset type, then their assignments: these need only the assets, not the members. */
  const readAssetsAndAssignments = async () => {
    // Settled as a whole: a type that stopped (the read failed elsewhere) rejected Promise.all while
    // another type's page was still being read, and the read failed with that call in flight.
    const byType = await allSettled(options.assetTypes.map((type) => readType(type)));
    const assets: AppAsset[] = [];
    const assetTypes: AssetType[] = [];
    const unreadableAssetTypes: AppReading['unreadableAssetTypes'] = [];
    const incompleteAssetTypes: NonNullable<AppReading['incompleteAssetTypes']> = [];
    options.assetTypes.forEach((type, i) => {
      const { items, unreadable, gaps } = byType[i];
      if (unreadable !== undefined) unreadableAssetTypes.push({ type, message: unreadable });
      else if (listAssets) assetTypes.push(type);
      if (gaps.length > 0) {
        // One part refused: only its assets may be missing; parts of several kinds, or a part of no
        // stated kind: any asset of the type the listing lacks may still exist.
        const ownership = gaps.every((g) => g.ownership !== undefined && g.ownership === gaps[0].ownership) ? gaps[0].ownership : undefined;
        const message = [...new Set(gaps.map((g) => g.reason))].join('; ');
        incompleteAssetTypes.push({ type, message, ...(ownership ? { ownership } : {}) });
        // As for a type the credential may not list at all: noted only when no team manages it.
        if (options.managedAssetTypes?.includes(type)) unavailable.push({ section: 'assets', message: `${type}: listed only in part (${message}); the ${ownership ? `${ownership} ` : ''}assets it could not list are kept as last seen` });
      }
      for (const a of items) assets.push(a);
    });
    const chunkSize = Math.max(1, connector.limits.assetsPerAssignmentRead);
    const chunks: AssetRef[][] = [];
    for (let i = 0; i < assets.length; i += chunkSize) chunks.push(assets.slice(i, i + chunkSize).map(({ type, id }) => ({ type, id })));
    let assetsRead = 0;
    const unreadableAssignments: NonNullable<AppReading['unreadableAssignments']> = [];
    const onUnreadableAsset = (asset: AssetRef, message: string) => void unreadableAssignments.push({ asset: { type: asset.type, id: asset.id }, message });
    const jobs = listAssignments
      ? chunks.map((chunk) => async () => {
        signal.throwIfAborted();
        step(`assignments (${assetsRead} of ${assets.length} assets)`);
        const found = await listAssignments.call(connector, chunk, { onUnreadableAsset });
        assetsRead += chunk.length;
        finish(`assignments (${assetsRead} of ${assets.length} assets)`);
        return found;
      })
      : [];
    total += jobs.length;
    const assignments: AssetAssignment[] = [];
    const found = await optional('assignments', () => inFlight(jobs, READS_IN_FLIGHT), undefined);
    for (const list of found ?? []) for (const a of list) assignments.push(a);
    // The whole section failed: its holders are all kept as known, these with them.
    return { assets, assetTypes, unreadableAssetTypes, incompleteAssetTypes, assignments, unreadableAssignments: found ? unreadableAssignments : [] };
  };

  const partnerFailures: AppReading['partnerFailures'] = [];
  /** The partners, then the people of those whose token we hold. */
  const readPartners = async () => {
    const partners = await optional('partners', () => list('partners', connector.listPartners), undefined);
    if (!partners) return { partners: [], partnerUsers: [] };
    // Each business once: one that is both our agency and our client is listed twice.
    const partnerReads = connector.listPartnerUsers ? [...new Map(partners.filter((p) => options.partnersWithToken.includes(p.businessId)).map((p) => [p.businessId, p])).values()] : [];
    total += partnerReads.length;
    const jobs = partnerReads.map((partner) => async (): Promise<PartnerUser[]> => {
      signal.throwIfAborted();
      step(`partner ${partner.businessId} people`);
      try {
        // A type the partner's token cannot read is reported and keeps what was known of it;
        // the partner's people on the other types still count (snapshot.ts).
        return await connector.listPartnerUsers!(partner.businessId, {
          onUnreadableAssetType: (assetType, message) => partnerFailures.push({ partnerBusinessId: partner.businessId, assetType, message }),
        });
      } catch (err) {
        // The partner's token is theirs to keep valid; our own snapshot stays complete without it.
        // The writer keeps that partner's previously known people and the run reports the failure.
        partnerFailures.push({ partnerBusinessId: partner.businessId, message: errorText(err) });
        return [];
      } finally {
        finish(`partner ${partner.businessId} people`);
      }
    });
    const partnerUsers: PartnerUser[] = [];
    for (const found of await inFlight(jobs, READS_IN_FLIGHT)) for (const u of found) partnerUsers.push(u);
    const order = partnerReads.map((p) => p.businessId);
    partnerFailures.sort((a, b) => order.indexOf(a.partnerBusinessId) - order.indexOf(b.partnerBusinessId));
    return { partners, partnerUsers };
  };

  // Every listing at once, each following its own cursors in order; the assignments of the assets
  // are read while the (longer) member listing still pages. Results are kept in a fixed order.
  // Save one order: the invites are read in full BEFORE the members. Neither listing is atomic
  // with the other, and a person who accepts an invite leaves the pending invites and joins the
  // members. Members read first (or alongside), an acceptance between the person's two reads
  // showed them in neither listing: the invite was recorded as cancelled in the app, re-sent to a
  // person who already held the seat, and audited as such. Invites read first, an acceptance in
  // between shows the person in both (the member listing is the newer: the invite was accepted,
  // snapshot.ts), and one after both reads shows them pending, as they were: never in neither.
  const invitesRead = guard(list('invites', connector.listInvites));
  const [members, invites, systemUsers, { partners, partnerUsers }, { assets, assetTypes, unreadableAssetTypes, incompleteAssetTypes, assignments, unreadableAssignments }] = await allSettled([
    guard(invitesRead.then(() => list('members', connector.listMembers))),
    invitesRead,
    guard(optional('system users', () => list('system users', connector.listSystemUsers), [])),
    guard(readPartners()),
    guard(readAssetsAndAssignments()),
  ] as const);

  // Listing methods the connector lacks, in a fixed order.
  const unsupported = ['members', 'invites', 'system users', ...options.assetTypes.map((t) => `assets: ${t}`), 'partners'].filter((l) => missing.has(l));
  if (!listAssignments && assets.length > 0) unsupported.push('assignments');
  const order = (u: { section: string }) => OPTIONAL_SECTIONS.indexOf(u.section as OptionalSection);
  unavailable.sort((a, b) => order(a) - order(b));
  const typed = holdersByListing({ members, systemUsers, assignments });
  const hiddenMembers = membersHidden({ members, systemUsers, assignments: typed });
  return {
    members, invites, systemUsers, assets, assignments: typed, partners, partnerUsers, partnerFailures, assetTypes, unreadableAssetTypes, unsupported, unavailable,
    ...(incompleteAssetTypes.length > 0 ? { incompleteAssetTypes } : {}),
    ...(unreadableAssignments.length > 0 ? { unreadableAssignments } : {}),
    ...(hiddenMembers.length > 0 ? { hiddenMembers } : {}),
  };
}
