/**
 * The read half of a check for updates: everything the app holds for one hub, read page by page
 * through the connector (the agent drives pagination; design brief idea 5). Nothing is written
 * here: the caller stores the result in one transaction only when every page was read, so a
 * partial read can never pass for a complete picture (idea 4).
 */
import type { HubConnector } from '../../connectors/sdk/connector.ts';
import { isConnectorError } from '../../connectors/sdk/connector-error.ts';
import type {
  AppAsset, AppInvite, AppMember, AppPartner, AppSystemUser, AssetAssignment, AssetType, Page, PartnerUser,
} from '../../connectors/sdk/hub-model.ts';

export const ALL_ASSET_TYPES: readonly AssetType[] = ['ad_account', 'page', 'catalog', 'pixel'];

export interface AppReading {
  members: AppMember[];
  invites: AppInvite[];
  systemUsers: AppSystemUser[];
  assets: AppAsset[];
  assignments: AssetAssignment[];
  partners: AppPartner[];
  partnerUsers: PartnerUser[];
  /** Partners whose people could not be read (their token): reported, not fatal. */
  partnerFailures: Array<{ partnerBusinessId: string; message: string }>;
  /** Asset types actually listed (a connector without `listAssets` lists none). */
  assetTypes: AssetType[];
  /** Asset types no team manages that the credential may not list (permission-denied): kept as known. */
  unreadableAssetTypes: Array<{ type: AssetType; message: string }>;
  /** Listing methods the connector lacks: the picture is complete only for what it can list. */
  unsupported: string[];
}

export interface ReadOptions {
  /** Partners whose own token is configured: only for those can their people be read (reference §8.4). */
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

/** Reads every page of one listing; a cursor seen twice would loop forever, so it stops with an error. */
export async function readAllPages<T>(listing: string, readPage: (cursor?: string) => Promise<Page<T>>, options: ReadOptions, onPage?: (count: number) => void): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  const maxPages = options.maxPagesPerListing ?? 100_000;
  let cursor: string | undefined;
  for (let pages = 0; ; pages++) {
    options.signal?.throwIfAborted();
    if (pages >= maxPages) throw new ReadError(listing, `more than ${maxPages} pages; stopping`);
    const page = await readPage(cursor);
    for (const item of page.items) items.push(item);
    onPage?.(items.length);
    if (!page.next) return items;
    if (seen.has(page.next)) throw new ReadError(listing, 'the app returned a cursor already read (paging loops); stopping');
    seen.add(page.next);
    cursor = page.next;
  }
}

export async function readApp(connector: HubConnector, options: ReadOptions): Promise<AppReading> {
  const unsupported: string[] = [];
  // Steps: members, invites, system users, partners, one per asset type, then assignment chunks
  // and partner reads once the assets and partners are known.
  let total = 4 + ALL_ASSET_TYPES.length;
  let done = 0;
  const step = (phase: string) => options.progress?.(done, total, phase);
  const finish = (phase: string) => {
    done++;
    step(phase);
  };

  const list = async <T>(listing: string, method: ((cursor?: string) => Promise<Page<T>>) | undefined): Promise<T[]> => {
    if (!method) {
      unsupported.push(listing);
      finish(listing);
      return [];
    }
    step(listing);
    const items = await readAllPages(listing, method.bind(connector), options, (n) => step(`${listing} (${n} read)`));
    finish(listing);
    return items;
  };

  const members = await list('members', connector.listMembers);
  const invites = await list('invites', connector.listInvites);
  const systemUsers = await list('system users', connector.listSystemUsers);
  const assets: AppAsset[] = [];
  const assetTypes: AssetType[] = [];
  const unreadableAssetTypes: AppReading['unreadableAssetTypes'] = [];
  for (const type of ALL_ASSET_TYPES) {
    const listAssets = connector.listAssets;
    const read = listAssets ? (cursor?: string) => listAssets.call(connector, type, cursor) : undefined;
    let items: AppAsset[];
    try {
      items = await list(`assets: ${type}`, read);
    } catch (err) {
      // A token without, say, catalog_management cannot list catalogs. For a type no team of
      // the hub manages, that leaves nothing we act on unseen: note it and read on. For a
      // managed type the picture would be incomplete, so the read fails.
      if (!isConnectorError(err) || err.kind !== 'permission-denied' || options.managedAssetTypes?.includes(type)) throw err;
      unreadableAssetTypes.push({ type, message: err.message });
      finish(`assets: ${type}`);
      continue;
    }
    if (listAssets) assetTypes.push(type);
    for (const a of items) assets.push(a);
  }
  const partners = await list('partners', connector.listPartners);

  const assignments: AssetAssignment[] = [];
  const chunkSize = Math.max(1, connector.limits.assetsPerAssignmentRead);
  const chunks = Math.ceil(assets.length / chunkSize);
  const partnerReads = connector.listPartnerUsers ? partners.filter((p) => options.partnersWithToken.includes(p.businessId)) : [];
  total += chunks + partnerReads.length;
  if (connector.listAssignments) {
    for (let i = 0; i < assets.length; i += chunkSize) {
      options.signal?.throwIfAborted();
      const chunk = assets.slice(i, i + chunkSize).map(({ type, id }) => ({ type, id }));
      step(`assignments (${i} of ${assets.length} assets)`);
      for (const a of await connector.listAssignments(chunk)) assignments.push(a);
      finish(`assignments (${Math.min(i + chunkSize, assets.length)} of ${assets.length} assets)`);
    }
  } else if (assets.length > 0) {
    unsupported.push('assignments');
  }

  const partnerUsers: PartnerUser[] = [];
  const partnerFailures: AppReading['partnerFailures'] = [];
  for (const partner of partnerReads) {
    options.signal?.throwIfAborted();
    step(`partner ${partner.businessId} people`);
    try {
      for (const u of await connector.listPartnerUsers!(partner.businessId)) partnerUsers.push(u);
    } catch (err) {
      // The partner's token is theirs to keep valid; our own snapshot stays complete without it.
      // The writer keeps that partner's previously known people and the run reports the failure.
      partnerFailures.push({ partnerBusinessId: partner.businessId, message: err instanceof Error ? err.message : String(err) });
    }
    finish(`partner ${partner.businessId} people`);
  }
  return { members, invites, systemUsers, assets, assignments, partners, partnerUsers, partnerFailures, assetTypes, unreadableAssetTypes, unsupported };
}
