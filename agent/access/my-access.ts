import type { CollectionConfig, HubConfigFile, HubRole } from '../../config/schema.ts';
import type { AppInviteRecord } from '../app-state/records.ts';
import { computeGrant, groupNamesOf } from '../grants/effective-grant.ts';
import { roleRulesOfHub } from '../grants/role-rules.ts';
import { claimedGroupsIn, offerDaysOf, offerLapsesAt, offersOfUser, offerStatusAt, type OfferRecord } from '../offers/offer-record.ts';
import { PERSON_INDEX } from '../plan/person-input.ts';
import { inviteIdOf, inviteRowId, rowKindOf } from '../standing/row-ids.ts';
import { claimantOfEmail, standingOfUser, type Standing } from '../standing/standing.ts';
import type { ReadView } from '../store/store.ts';
import { signInOnHub } from './hub-access.ts';
import { emailKey } from '../matching/email-key.ts';

/**
 * "My access": what one person holds on each hub where a directory user has their email, read
 * from the store by index and key (their directory users, groups, matched rows, invites,
 * assignments and offers), never a hub's whole partition. Needs the directory, person and
 * standing indexes (`defineDirectoryIndexes`, `definePersonIndexes`, `defineStandingIndexes`),
 * which the agent and the SCIM server define.
 */
export interface HeldAsset { type: string; id: string; name?: string; tasks: string[] }

export interface HeldSeat {
  /** The app member's id. */
  memberId: string;
  appRole: string;
  email?: string;
  assets: HeldAsset[];
  /** The app's admin role, where admins reach every asset (TikTok BC ADMIN): more than `assets` lists. */
  reachesAllAssets?: true;
}

export interface HeldInvite {
  id: string;
  email: string;
  appRole: string;
  createdAt?: string;
  expiresAt?: string;
  sentByHubwarden: boolean;
}

export interface HeldOffer {
  id: string;
  hubId: string;
  group: string;
  collection?: { id: string; label: string; description?: string };
  appRole: string;
  assets: Array<{ type: string; id: string; tasks: string[] }>;
  status: OfferRecord['status'];
  offeredAt: string;
  expiresAt?: string;
  claimedAt?: string;
}

export interface HubHoldings {
  hubId: string;
  label: string;
  connector: string;
  /** The person's hub role (from their mapped groups), if any: the one the dashboard gives (hub-access.ts `signInOnHub`). */
  hubRole?: HubRole;
  /** Their standing (agent/standing): onboarded, invited, offered, none… */
  standing: Standing;
  /** The app role their groups grant (a claim team's only once claimed); absent: no seat is granted. */
  grantedAppRole?: string;
  /** The mapped groups the granted seat comes from. */
  grantedBy: string[];
  /** In a team that gives the hub role without a seat (`seat: false`) and granted no seat by another. */
  seatless: boolean;
  seats: HeldSeat[];
  /** Pending invites matched to them, or to an email of theirs and matched to no one while they alone hold it; soonest expiry first. */
  invites: HeldInvite[];
  /** Offers made to the directory users the sign-in names (offers/claimant.ts): theirs to claim. */
  offers: HeldOffer[];
  /**
   * Several active directory users here have the person's email and the sign-in tells none of
   * them apart: no seat, invite, grant or offer is shown (some would be another person's), the
   * standing is `none`, and no offer can be claimed.
   */
  withheld?: true;
}

/** Pending invites first by expiry (soonest first; without one last), then by id. */
const byExpiry = (a: HeldInvite, b: HeldInvite) => (a.expiresAt ?? '\uffff').localeCompare(b.expiresAt ?? '\uffff') || a.id.localeCompare(b.id);

/**
 * What the person with `email` holds on each hub (hubs where no directory user has the email are
 * left out: a person who resolves to nothing holds nothing). `collections` labels offers.
 * `idpUserIds`: the sign-in's ids of the person, which tell apart directory users sharing the
 * email (hub-access.ts `signInOnHub`): then only the one it names is the person here, and a seat or
 * invite found by the shared email but matched to the other, or matched to no one yet (the email
 * is not theirs alone: standing.ts `claimantOfEmail`), is not listed; when it names none, the
 * hub's holdings are withheld (`withheld`).
 */
export async function holdingsOf(view: ReadView, hubs: readonly HubConfigFile[], collections: readonly CollectionConfig[], email: string, now: Date, idpUserIds: readonly string[] = []): Promise<HubHoldings[]> {
  const out: HubHoldings[] = [];
  if (!email.trim()) return out;
  const collectionById = new Map(collections.map((c) => [c.id, c]));
  for (const hub of hubs) {
    const person = await signInOnHub(view, hub, email, idpUserIds);
    if (!person) continue;
    const h = hub.id;
    const rules = roleRulesOfHub(hub);
    const grantedBy = new Set<string>();
    const emails = new Set<string>(person.own ? [emailKey(email)] : []);
    const rowIds = new Set<string>();
    const offers: HeldOffer[] = [];
    let grantedAppRole: string | undefined;
    let standing: Standing = 'none';
    let seatless = false;
    // The directory users that are the person: their offers are the ones Claim accepts
    // (offer-api.ts claimOwnOffer); none when the sign-in does not say which user it is.
    for (const u of person.own ?? []) {
      for (const e of [...u.emails, ...(u.email ? [u.email] : [])]) emails.add(emailKey(e));
      const records = await offersOfUser(view, hub, u.id);
      const grant = computeGrant(hub, u, await groupNamesOf(view, h, u.id), rules, claimedGroupsIn(records));
      if (grant.appRole && (!grantedAppRole || rules.compareRoles(grant.appRole, grantedAppRole) > 0)) grantedAppRole = grant.appRole;
      for (const g of grant.grantedBy) grantedBy.add(g);
      if (grant.seatNotGoverned && hub.teams.some((t) => t.seat === false && grant.mappedGroups.includes(t.group.toLowerCase()))) seatless = true;
      const s = await standingOfUser(view, h, u.id, now, u);
      if (standing === 'none' || standing === 'offered') standing = s.standing === 'none' ? standing : s.standing;
      for (const r of s.rows) rowIds.add(r);
      for (const o of records) {
        const c = o.collection ? collectionById.get(o.collection) : undefined;
        offers.push({
          id: o.id, hubId: h, group: o.group, appRole: o.appRole, assets: o.assets.map((a) => ({ type: a.type, id: a.id, tasks: [...a.tasks] })),
          status: offerStatusAt(o, now, offerDaysOf(hub, o.group)), offeredAt: o.offeredAt,
          ...(o.collection ? { collection: { id: o.collection, label: c?.label ?? o.collection, ...(c?.description ? { description: c.description } : {}) } } : {}),
          ...(o.expiresAt ? { expiresAt: offerLapsesAt(o, offerDaysOf(hub, o.group)) } : {}), ...(o.claimedAt ? { claimedAt: o.claimedAt } : {}),
        });
      }
    }
    // A row found by email is the person's as standing says (standing.ts `standingOfUser`): one
    // matched to them is; one an owner (by hand) or matching gave another directory user is not (a
    // namesake the sign-in says the person is not, an unrelated user with another email the seat
    // was matched to by hand, or a directory user the IdP deleted, RFC 7644 §3.6: a rehire's
    // leaver whose removal of it is in flight, match-members.ts `REMOVAL_IN_FLIGHT`). A row not
    // decided (no match, or one naming nobody: disputed between candidates, left unmatched) is
    // theirs only when they alone claim its email among the hub's directory users
    // (`claimantOfEmail`, the rule standing counts such a row by). Listed for one of several people
    // sharing the email, its role and assets may be another's; a disputed row's candidate reads
    // "a seat here may be yours" in their standing (`unmatched`), an owner decides.
    const ownIds = new Set((person.own ?? []).map((u) => u.id));
    const claimants = new Map<string, Promise<string | undefined>>();
    const claimant = (e: string) => {
      let c = claimants.get(e);
      if (!c) claimants.set(e, (c = claimantOfEmail(view, h, e)));
      return c;
    };
    const theirsByEmail = async (rowId: string, e: string) => {
      const id = (await view.get('memberMatches', h, rowId))?.directoryUserId;
      if (id !== undefined) return ownIds.has(id);
      const holder = await claimant(e);
      return holder !== undefined && ownIds.has(holder);
    };
    // Seats: the app members matched to them, and the members with one of their emails that are theirs.
    const memberIds = new Set([...rowIds].filter((r) => rowKindOf(r) === 'member'));
    for (const e of emails) for (const m of await view.lookup('appMembers', PERSON_INDEX.memberByEmail, `${h}\u0000${e}`)) if (!memberIds.has(m.id) && (await theirsByEmail(m.id, e))) memberIds.add(m.id);
    const seats: HeldSeat[] = [];
    for (const id of memberIds) {
      const m = await view.get('appMembers', h, id);
      if (!m) continue;
      const assets: HeldAsset[] = [];
      for (const a of await view.lookup('appAssignments', PERSON_INDEX.assignmentByUser, `${h}\u0000${m.id}`)) {
        if (a.userType !== 'member') continue;
        const asset = await view.get('appAssets', h, `${a.asset.type}:${a.asset.id}`);
        assets.push({ type: a.asset.type, id: a.asset.id, ...(asset?.name ? { name: asset.name } : {}), tasks: [...a.tasks] });
      }
      seats.push({ memberId: m.id, appRole: m.role, ...(m.email ? { email: m.email } : {}), assets, ...(rules.adminReachesAllAssets && rules.isAdmin(m.role) ? { reachesAllAssets: true as const } : {}) });
    }
    // Pending invites matched to them (an owner may match one sent to another address), and to any
    // of their emails that are theirs by the rule above.
    const invites = new Map<string, Readonly<AppInviteRecord>>();
    for (const r of rowIds) {
      const inviteId = inviteIdOf(r);
      const i = inviteId === undefined ? undefined : await view.get('appInvites', h, inviteId);
      if (i?.status === 'pending') invites.set(i.id, i);
    }
    for (const e of emails) {
      for (const i of await view.lookup('appInvites', PERSON_INDEX.inviteByEmail, `${h}\u0000${e}`)) if (i.status === 'pending' && (await theirsByEmail(inviteRowId(i.id), e))) invites.set(i.id, i);
    }
    const held = [...invites.values()].map((i): HeldInvite => ({
      id: i.id, email: i.email, appRole: i.role, sentByHubwarden: i.sentByHubwarden,
      ...(i.createdAt ? { createdAt: i.createdAt } : {}), ...(i.expiresAt ? { expiresAt: i.expiresAt } : {}),
    })).sort(byExpiry);
    out.push({
      hubId: h, label: hub.label ?? h, connector: hub.connector, ...(person.hubRole ? { hubRole: person.hubRole } : {}), standing,
      ...(grantedAppRole ? { grantedAppRole } : {}), grantedBy: [...grantedBy], seatless: seatless && !grantedAppRole,
      seats, invites: held, offers, ...(person.own ? {} : { withheld: true as const }),
    });
  }
  return out;
}
