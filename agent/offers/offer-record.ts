import { createHash } from 'node:crypto';
import { isClaimTeam, type HubConfigFile, type TeamConfig } from '../../config/schema.ts';
import type { AssetType } from '../../connectors/sdk/hub-model.ts';
import type { ReadView } from '../store/store.ts';

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

/** Stable, URL-safe, and not the person's id or group name in clear. */
export function offerIdOf(hubId: string, directoryUserId: string, group: string): string {
  return `offer-${createHash('sha256').update(`${hubId}\u0000${directoryUserId}\u0000${group.toLowerCase()}`).digest('hex').slice(0, 20)}`;
}

/** The hub's claim teams (usually none: then offers cost nothing). */
export function claimTeamsOf(hub: HubConfigFile): TeamConfig[] {
  return hub.teams.filter(isClaimTeam);
}

/** A person's offer records on a hub, one per claim team at most. */
export function offersOfUser(view: ReadView, hub: HubConfigFile, directoryUserId: string): OfferRecord[] {
  const out: OfferRecord[] = [];
  for (const t of claimTeamsOf(hub)) {
    const o = view.get('offers', hub.id, offerIdOf(hub.id, directoryUserId, t.group));
    if (o) out.push(o);
  }
  return out;
}

/** Lower-cased groups of the person's claimed offers: those teams' grants count in their effective grant. */
export function claimedGroupsOf(view: ReadView, hub: HubConfigFile, directoryUserId: string): Set<string> {
  const out = new Set<string>();
  for (const o of offersOfUser(view, hub, directoryUserId)) if (o.status === 'claimed') out.add(o.group.toLowerCase());
  return out;
}

/** The status as of `now`: an offer past its expiry is expired even before a reconcile records it. */
export function offerStatusAt(offer: Pick<OfferRecord, 'status' | 'expiresAt'>, now: Date | number | string): OfferRecord['status'] {
  if (offer.status === 'offered' && offer.expiresAt !== undefined && Date.parse(offer.expiresAt) <= new Date(now).getTime()) return 'expired';
  return offer.status;
}
