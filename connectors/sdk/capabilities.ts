import type {
  AppAsset, AppInvite, AppMember, AppPartner, AppSystemUser, AssetAssignment, AssetRef, AssetType, ChangeResult,
  CredentialHealth, Page, PartnerUser, RateLimitState,
} from './hub-model.ts';

/**
 * What a connector can do, as small interfaces in the product's words (members, invites, asset
 * grants, partners), never one app's. A connector implements the ones its app supports; the agent
 * asks `hasCapability(connector, 'member-role-change')` instead of knowing which app it talks to.
 *
 * Shared rules: listing methods return one page per call and the agent drives pagination with the
 * opaque `cursor`. Change methods are idempotent: "already so" (already invited, already holds the
 * access, already gone) is `'already-done'`. Every failure throws a ConnectorError.
 */

/** Reads the people who hold a seat (bound members). */
export interface MemberListing {
  listMembers(cursor?: string): Promise<Page<AppMember>>;
}

/** Reads invitations not yet accepted. A connector without it shows invites as nothing pending. */
export interface PendingInviteListing {
  listInvites(cursor?: string): Promise<Page<AppInvite>>;
}

/** Reads non-human accounts (never touched by plans, shown so a listing is complete). */
export interface SystemUserListing {
  listSystemUsers(cursor?: string): Promise<Page<AppSystemUser>>;
}

/** Reads the hub's assets of one type (a type from the definition's `assetTypes`). */
export interface AssetListing {
  /**
   * One page of the type's assets. When the app refuses only part of the type (an app that lists
   * owned and shared assets through separate calls, one of which the credential may not make), a
   * page may say so in `incomplete` (the part, and the app's answer) instead of throwing: the agent
   * keeps the assets it listed as read and what it knew of the refused part as last seen, and
   * reports the hub degraded when a team manages the type. Any other failure throws, as for every listing.
   */
  listAssets(type: string, cursor?: string): Promise<Page<AppAsset>>;
  /**
   * Every holder of the given assets (at most `limits.assetsPerAssignmentRead` of them; the agent
   * chunks). Not paged by the caller: the connector follows any per-asset pages itself.
   * `userType` is the connector's reading of the app's answer; the check for updates types each
   * holder again by the member and system-user listings it read (holdersByListing in
   * agent/check-for-updates/read-app.ts), so a connector need not list its system users again here.
   */
  listAssignments(assets: AssetRef[], options?: AssignmentsOptions): Promise<AssetAssignment[]>;
}

export interface AssignmentsOptions {
  /**
   * Given, an asset whose holders the credential may not read (a permission refusal) is reported
   * here and none of its holders are returned (the other assets' are): the caller keeps what it
   * knew of it, never "nobody holds it". Not given, such a listing fails.
   */
  onUnreadableAsset?: (asset: AssetRef, message: string) => void;
}

/** An asset grant an invite may carry: the asset and the access on it (as in `assignAsset`). */
export interface InviteAsset {
  asset: AssetRef;
  tasks: string[];
}

/** Invites a person by email and takes a pending invite back. */
export interface Invites {
  /**
   * Invites a person. `already-done` when the email has a pending invite (its id) or is already a
   * member: then `inviteId` is '' and `memberId` may name the member.
   * `tasks`: hub-wide access beside the role, where the app has such a thing (else ignored).
   * `assets`: the person's asset grants. An app whose invite can give assets (TikTok's gives ad
   * accounts sharing one role) sends what it can; the rest, and every asset of an app whose
   * invite cannot, is assigned once the person has joined.
   * `firstAttempt`: the caller vouches that no earlier attempt of this invite may have reached the
   * app and its complete snapshot lists no invite or seat for the email, so the connector may skip
   * its look-up for an existing invite. Absent: look first (a retry must never invite twice).
   * A `done` invite's id may be provisional (`pending:<email>`), resolved by the connector by email
   * when first needed.
   */
  invite(input: { email: string; role: string; tasks?: string[]; assets?: readonly InviteAsset[]; firstAttempt?: boolean }): Promise<InviteOutcome>;
  /** Withdraws a pending invite; an invite already gone is `already-done`. */
  cancelInvite(inviteId: string): Promise<ChangeResult>;
}

/**
 * Changes the role of a pending invite. `assets`: the person's asset grants, as for `invite`, for
 * an app that can only revoke and invite again (TikTok): the new invite carries what it can.
 */
export interface InviteRoleChange {
  changeInviteRole(inviteId: string, role: string, assets?: readonly InviteAsset[]): Promise<ChangeResult>;
}

/**
 * What an invite or re-send did. `assumedLifetimeMs`: for an app that publishes no expiry for its
 * invitations and keeps an expired one listed as pending (TikTok), how long hubwarden takes it to
 * be usable; past it, the invite counts as expired (re-sent once, then reported), as one whose
 * app gives an expiry does.
 */
export interface InviteOutcome { result: ChangeResult; inviteId: string; memberId?: string; assumedLifetimeMs?: number }

/**
 * Sends a pending invite again (cancel + invite where the app has no resend).
 * `earlierAttemptUnknown`: the caller's durable record of this re-send (its task's attempts, seen
 * by every replica and kept across restarts) says an earlier attempt may have reached the app and
 * its outcome is unknown (a timeout, a dropped connection, a process stopped mid-call). Where the
 * app has no resend, that attempt may have sent the new invite already: the connector must not
 * cancel an invite it may have sent, and sends none before it has looked. Absent: no earlier
 * attempt may have reached the app (nothing is looked up; the pending invite is the old one).
 */
export interface Reinvite {
  reinvite(input: { inviteId: string; email: string; role: string; tasks?: string[]; assets?: readonly InviteAsset[]; earlierAttemptUnknown?: boolean }): Promise<InviteOutcome>;
}

/** Changes a member's hub role without re-inviting them. Refuses to demote the last admin (conflict). */
export interface MemberRoleChange {
  changeMemberRole(memberId: string, role: string): Promise<ChangeResult>;
}

/** Removes a member's seat. Refuses to remove the last admin (conflict); unknown member: already-done. */
export interface MemberRemoval {
  removeMember(memberId: string): Promise<ChangeResult>;
}

/**
 * Gives and takes a member's access on one asset. `tasks` is the access in the app's permission
 * names as a set (the definition's `assetTypes[type].accessOf` of a team's grant); assigning
 * replaces whatever the member held on the asset (upsert). An assign the app refuses because the
 * asset is gone or no longer shared, or the member no longer holds a seat, is `not-found`: the
 * app moved under the plan, and the agent re-reads the person (a stale view) rather than failing.
 */
export interface AssetGrants {
  assignAsset(input: { asset: AssetRef; userId: string; tasks: string[] }): Promise<ChangeResult>;
  unassignAsset(input: { asset: AssetRef; userId: string }): Promise<ChangeResult>;
}

/** What `readPerson` found: complete for that person (no member or invite listed = none). */
export interface PersonReading {
  members: AppMember[];
  invites: AppInvite[];
  assignments: AssetAssignment[];
  missingAssets: AssetRef[];
}

/**
 * Re-reads one person with targeted reads, when a change failed because the app moved under the
 * plan (a stale view): their seat (by `memberId`, else found by `email`), their invites (by email),
 * their holdings on `assets`; assets that are gone or no longer visible are in `missingAssets`.
 */
export interface PersonReread {
  readPerson(input: { email?: string; memberId?: string; assets?: AssetRef[] }): Promise<PersonReading>;
}

/** Reads partner businesses and what is shared with or by them. */
export interface PartnerListing {
  listPartners(cursor?: string): Promise<Page<AppPartner>>;
}

/** Reads a partner's own people on the assets we share (guests), where the app lets us. */
export interface PartnerPeopleListing {
  /** The partners whose people this instance can read (e.g. those configured with a credential). */
  partnersWithPeople(): string[];
  listPartnerUsers(partnerId: string, options?: PartnerUsersOptions): Promise<PartnerUser[]>;
}

export interface PartnerUsersOptions {
  /**
   * Given, an asset type whose assignments the partner's credential may not read is reported here
   * and none of its assignments are returned (the rest are); not given, such a listing fails.
   */
  onUnreadableAssetType?: (type: AssetType, message: string) => void;
}

/** Shares assets with a partner business and stops sharing. */
export interface PartnerSharing {
  shareAsset(input: { asset: AssetRef; partnerBusinessId: string; tasks: string[] }): Promise<ChangeResult>;
  unshareAsset(input: { asset: AssetRef; partnerBusinessId: string }): Promise<ChangeResult>;
}

/** Reports the credential's standing (hub health), rather than letting tasks discover it by failing. */
export interface CredentialCheck {
  checkCredential(): Promise<CredentialHealth>;
}

/** Reports rate-limit usage and blocks, per scope (the definition's `rateLimitScope` words), and honours blocks seen elsewhere. */
export interface RateLimitReport {
  rateLimits(): RateLimitState;
  /**
   * A throttle recorded elsewhere (another replica's instance was told, or this process before a
   * restart): refuse calls into `scope` until `untilMs` (epoch ms), as after a throttle this
   * instance saw itself, without calling. A provider's limits belong to the business and the app,
   * not to one process, and calls into a throttle can extend it (Meta: "continued calls extend
   * the block", https://developers.facebook.com/docs/graph-api/overview/rate-limiting).
   */
  honourBlock(scope: string, untilMs: number): void;
}

/**
 * Capability name → the methods that make it. A connector has a capability when it implements
 * every one of its methods; `capabilitiesOf` derives the list, nobody declares it by hand.
 */
export const CAPABILITIES = {
  'members': ['listMembers'],
  'pending-invites': ['listInvites'],
  'system-users': ['listSystemUsers'],
  'assets': ['listAssets', 'listAssignments'],
  'invites': ['invite', 'cancelInvite'],
  'invite-role-change': ['changeInviteRole'],
  'reinvite': ['reinvite'],
  'member-role-change': ['changeMemberRole'],
  'member-removal': ['removeMember'],
  'asset-grants': ['assignAsset', 'unassignAsset'],
  'partners': ['listPartners'],
  'partner-people': ['partnersWithPeople', 'listPartnerUsers'],
  'partner-sharing': ['shareAsset', 'unshareAsset'],
  'credential-check': ['checkCredential'],
  'rate-limits': ['rateLimits', 'honourBlock'],
  'person-reread': ['readPerson'],
} as const satisfies Record<string, readonly string[]>;

export type Capability = keyof typeof CAPABILITIES;

/** Every capability method, all optional: what a connector instance may implement. */
export type CapabilityMethods = Partial<
  MemberListing & PendingInviteListing & SystemUserListing & AssetListing & Invites & InviteRoleChange & Reinvite
  & MemberRoleChange & MemberRemoval & AssetGrants & PartnerListing & PartnerPeopleListing & PartnerSharing
  & CredentialCheck & RateLimitReport & PersonReread
>;

/** The capabilities an instance implements (generated from its methods). */
export function capabilitiesOf(connector: CapabilityMethods): Capability[] {
  return (Object.keys(CAPABILITIES) as Capability[]).filter((c) => hasCapability(connector, c));
}

type MethodsOf<C extends Capability> = (typeof CAPABILITIES)[C][number];

/** Does the instance implement every method of capability `c`? Narrows the type when it does. */
export function hasCapability<T extends CapabilityMethods, C extends Capability>(connector: T, c: C): connector is T & Required<Pick<CapabilityMethods, MethodsOf<C> & keyof CapabilityMethods>> {
  return CAPABILITIES[c].every((m) => typeof (connector as Record<string, unknown>)[m] === 'function');
}
