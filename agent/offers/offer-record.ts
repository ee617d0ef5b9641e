import { createHash } from 'node:crypto';
import { isClaimTeam, type HubConfigFile, type TeamConfig } from '../../config/schema.ts';
import type { AssetType } from '../../connectors/sdk/hub-model.ts';
import type { ReadView } from '../store/store.ts';
import { groupKey } from '../desired-state/directory-records.ts';

/**
 * An offer: the seat a claim team (`claim: true`, or in a collection) would give, waiting for the
 * person to claim it. Nothing reaches the app until then; a claimed offer's grant joins the
 * person's effective grant, and the agent invites and assigns as for any grant.
 *
 * One record per hub, directory user and team (partition = hub id, id = `offerIdOf`), so claiming
 * twice finds the same record, and a re-offer after expiry replaces it. A withdrawn offer (the
 * person left the group before claiming) is deleted; the audit log keeps its history.
 */
export interface OfferRecord {
  id: string;
  hubId: string;
  directoryUserId: string;
  /** Lower-cased email the offer was made to (the API finds offers by email). */
  email?: string;
  /** The team's group, as configured. */
  group: string;
  collection?: string;
  appRole: string;
  assets: Array<{ type: AssetType; id: string; tasks: string[] }>;
  status: 'offered' | 'claimed' | 'expired';
  offeredAt: string;
  expiresAt?: string;
  claimedAt?: string;
  /** Who claimed (the trigger: `admin`, `admin-token:…`, `dashboard:<email>`). */
  claimedBy?: string;
  /** The person's mapped groups when the offer was made: an expired offer is made again when they change. */
  membership: string;
}

declare module '../store/collections.ts' {
  interface Collections {
    offers: OfferRecord;
  }
}

/**
 * Stable, URL-safe, and not the person's id or group name in clear. Built from the configured
 * team's name lower-cased, as ever, and not folded like groupKey: an id is persisted, and hashing
 * another key would orphan every offer of a team named with a decomposed character.
 */
export function offerIdOf(hubId: string, directoryUserId: string, group: string): string {
  return `offer-${createHash('sha256').update(`${hubId}\u0000${directoryUserId}\u0000${group.toLowerCase()}`).digest('hex').slice(0, 20)}`;
}

/**
 * The ids a person's offer of a team may be filed under: offerIdOf of the group as configured
 * now, and of its composed (NFC) and decomposed (NFD) forms, under which an offer made before the
 * config re-spelled the name was filed (an editor that saves "Café" composed where it was typed
 * decomposed, Unicode Standard Annex #15). Found under none, a claimed seat counted as unclaimed,
 * and the next plan removed it.
 */
export function offerIdsOf(hubId: string, directoryUserId: string, group: string): string[] {
  return [...new Set([group, group.normalize('NFC'), group.normalize('NFD')].map((g) => offerIdOf(hubId, directoryUserId, g)))];
}

/** The hub's claim teams (usually none: then offers cost nothing). */
export function claimTeamsOf(hub: HubConfigFile): TeamConfig[] {
  return hub.teams.filter(isClaimTeam);
}

/** A person's offer records on a hub, one per claim team at most (one read for all claim teams). */
export async function offersOfUser(view: ReadView, hub: HubConfigFile, directoryUserId: string): Promise<OfferRecord[]> {
  const teams = claimTeamsOf(hub);
  if (teams.length === 0) return [];
  const found = await view.getMany('offers', hub.id, [...new Set(teams.flatMap((t) => offerIdsOf(hub.id, directoryUserId, t.group)))]);
  return found.filter((o): o is Readonly<OfferRecord> => o !== undefined) as OfferRecord[];
}

/** Groups (folded: groupKey) of the claimed offers among `offers`: those teams' grants count in the effective grant. */
export function claimedGroupsIn(offers: Iterable<Readonly<OfferRecord>>): Set<string> {
  const out = new Set<string>();
  for (const o of offers) if (o.status === 'claimed') out.add(groupKey(o.group));
  return out;
}

/** Groups (folded: groupKey) of the person's claimed offers: those teams' grants count in their effective grant. */
export async function claimedGroupsOf(view: ReadView, hub: HubConfigFile, directoryUserId: string): Promise<Set<string>> {
  return claimedGroupsIn(await offersOfUser(view, hub, directoryUserId));
}

/**
 * Every person's claimed groups on a hub, from one listing of its offers (for the whole hub's
 * grants: one read instead of one per person and claim team). The same records `offersOfUser`
 * finds: only those whose id is a current claim team's offer for their person.
 */
export async function claimedGroupsOfHub(view: ReadView, hub: HubConfigFile): Promise<(directoryUserId: string) => Set<string>> {
  const teams = claimTeamsOf(hub);
  const byUser = new Map<string, OfferRecord[]>();
  for await (const o of view.list('offers', hub.id)) {
    const list = byUser.get(o.directoryUserId);
    if (list) list.push(o);
    else byUser.set(o.directoryUserId, [o]);
  }
  return (directoryUserId) => {
    const mine = byUser.get(directoryUserId) ?? [];
    const out: OfferRecord[] = [];
    for (const t of teams) {
      const ids = offerIdsOf(hub.id, directoryUserId, t.group);
      for (const o of mine) if (ids.includes(o.id) && !out.includes(o)) out.push(o);
    }
    return claimedGroupsIn(out);
  };
}

/**
 * When an unclaimed offer lapses: its recorded expiry, or sooner when its team's `offerDays` (its
 * collection's) is now shorter than when the offer was made. The expiry is written when the offer
 * is made and the config is read at start: shortening a collection's `offerDays` left every open
 * offer claimable for the old number of days.
 */
export function offerLapsesAt(offer: Pick<OfferRecord, 'offeredAt' | 'expiresAt'>, offerDays?: number): string | undefined {
  const byDays = offerDays === undefined ? Number.NaN : Date.parse(offer.offeredAt) + offerDays * 86_400_000;
  if (Number.isNaN(byDays)) return offer.expiresAt;
  return offer.expiresAt === undefined || byDays < Date.parse(offer.expiresAt) ? new Date(byDays).toISOString() : offer.expiresAt;
}

/**
 * The status as of `now`: an offer past its expiry is expired even before a reconcile records it.
 * `offerDays`: its team's now, which may make it lapse sooner (`offerLapsesAt`).
 */
export function offerStatusAt(offer: Pick<OfferRecord, 'status' | 'expiresAt'> & { offeredAt?: string }, now: Date | number | string, offerDays?: number): OfferRecord['status'] {
  const lapses = offer.offeredAt === undefined ? offer.expiresAt : offerLapsesAt({ offeredAt: offer.offeredAt, expiresAt: offer.expiresAt }, offerDays);
  if (offer.status === 'offered' && lapses !== undefined && Date.parse(lapses) <= new Date(now).getTime()) return 'expired';
  return offer.status;
}

/** The `offerDays` of the hub's claim team that made this offer, as configured now (undefined: no longer a claim team). */
export function offerDaysOf(hub: HubConfigFile, group: string): number | undefined {
  return claimTeamsOf(hub).find((t) => groupKey(t.group) === groupKey(group))?.offerDays;
}
