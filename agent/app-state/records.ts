/**
 * The last known state of each hub's app (partition = hub id). Check for updates replaces it with
 * a full import; the agent updates it after each change it makes, so the next plan starts from
 * what it just did. Removals are planned only when `AppImportRecord.complete` says the last import
 * read every page.
 */
import type { AppAsset, AppInvite, AppMember, AppPartner, AppSystemUser, AssetAssignment, AssetType, PartnerUser } from '../../connectors/sdk/hub-model.ts';

/**
 * The records are the connector's hub model (connectors/sdk/hub-model.ts) plus where and since when
 * hubwarden saw them, so a field added to the model reaches the snapshot in one place.
 */
export interface AppMemberRecord extends AppMember {
  hubId: string;
  firstSeenAt: string;
  /**
   * When a check last found the row new or changed, or the agent last wrote it: an unchanged row
   * is not rewritten. The members view shows the later of this and the last complete import.
   */
  lastSeenAt: string;
}

export interface AppInviteRecord extends AppInvite {
  hubId: string;
  /** True when hubwarden sent it (as opposed to someone in the app's own UI). */
  sentByHubwarden: boolean;
  /** How many times hubwarden re-sent it after it expired or was declined. */
  resendCount: number;
  /** As AppMemberRecord.lastSeenAt. */
  lastSeenAt: string;
}

export interface AppSystemUserRecord extends AppSystemUser {
  hubId: string;
}

export interface AppAssetRecord extends AppAsset {
  hubId: string;
}

/** An AppAssignmentRecord's key: `${asset.type}:${asset.id}:${userId}`. */
export const assignmentKey = (a: { asset: { type: string; id: string }; userId: string }): string => `${a.asset.type}:${a.asset.id}:${a.userId}`;

/** Key: assignmentKey. */
export interface AppAssignmentRecord extends Omit<AssetAssignment, 'userName'> {
  hubId: string;
  key: string;
  /**
   * When the agent assigned these tasks (an assign-asset it completed); a check for updates whose
   * reading started before then keeps this record over what it listed (check-for-updates/snapshot.ts).
   */
  changedAt?: string;
  /**
   * Who made the grant: 'hubwarden' when its assign-asset completed it, or when it came with a
   * seat hubwarden invited (an invite can carry assets: TikTok's asset_ids); 'other' when a
   * check for updates first listed it otherwise (it was there at the first import, or someone
   * made it by hand). A listed grant keeps what its record said. The plan unassigns an 'other'
   * grant only under `safety.drift: correct` (plan/plan.ts). Records of releases before this
   * field have none and count as hubwarden's: an upgrade changes nothing for existing grants.
   */
  madeBy?: 'hubwarden' | 'other';
}

/**
 * Key: `${businessId}:${relation}`. One business may be both our agency (we share with it) and our
 * client (it shares with us); keyed by its id alone, one relation overwrote the other and what we
 * share with it went unreported. Records of earlier releases have no `key` and are stored under
 * the business id (check-for-updates/snapshot-store.ts replaces them).
 */
export interface AppPartnerRecord extends AppPartner {
  hubId: string;
  key?: string;
}

/** A partner's own person on our shared assets. Key: `${partnerBusinessId}:${userId}`. */
export interface PartnerUserRecord extends PartnerUser {
  hubId: string;
  key: string;
}

/** One per hub (id = hub id): is the snapshot a complete picture of the app? */
export interface AppImportRecord {
  hubId: string;
  id: string;
  complete: boolean;
  /**
   * Not complete, yet every member and invite the app had is in the snapshot, as read or kept as
   * last seen: the member listing was filtered (members it lacks are kept) after an import that
   * was complete or such a baseline itself. The next check reports what changed against it.
   * Absent: a baseline exactly when `complete`.
   */
  baseline?: true;
  /** When the last complete import finished. */
  completedAt?: string;
  startedAt?: string;
  taskId?: string;
  counts?: Partial<Record<'members' | 'invites' | 'systemUsers' | 'assets' | 'assignments' | 'partners' | 'partnerUsers', number>>;
  assetTypes?: AssetType[];
  /**
   * Optional sections the last import could not read (system users, assets, assignments,
   * partners, or one partner's people), with the reason: their records are the previous ones.
   */
  unavailable?: Array<{ section: string; message: string; partnerBusinessId?: string }>;
  /**
   * The asset types whose partner shares the snapshot holds as read: read by this import, or kept
   * from one that read them (check-for-updates/share-baseline.ts). Absent: written by a release
   * that did not record it.
   */
  partnerShareTypes?: string[];
}

/**
 * How an app member relates to the directory (matching). Key: member
 * row id: the app member id, or `invite:<inviteId>` for a pending invite, or
 * `partner:<businessId>:<userId>` for a partner's person.
 */
export interface MemberMatchRecord {
  hubId: string;
  memberId: string;
  outcome: 'onboarded' | 'guest' | 'unmatched' | 'exempted';
  directoryUserId?: string;
  /** Unmatched because more than one directory user has the email ("disputed"). */
  candidates?: string[];
  /** Set by an owner (manual match) rather than by email. */
  manual: boolean;
  /** Why an automatic match names a user whose emails do not include the row's (match-members.ts). */
  reason?: string;
  hubRole?: string;
  at: string;
}

/** An owner's decision to leave a member alone: never managed, never removed. Key: member row id. */
export interface ExemptionRecord {
  hubId: string;
  memberId: string;
  email?: string;
  reason: string;
  /** ISO date-time; the exemption lapses then and the member returns to matching. */
  until?: string;
  by: string;
  at: string;
}

/** A known non-directory identity an owner registered as guest. Key: lower-cased email. */
export interface GuestRecord {
  hubId: string;
  email: string;
  note?: string;
  by: string;
  at: string;
}

/**
 * A seat or invite the agent removed (a remove-member or cancel-invite it completed). A check for
 * updates whose reading started before the removal may still list the row; it must not come back
 * from that reading as a member added by hand (check-for-updates/snapshot.ts). Kept until a check
 * whose reading started after it. Key: the row id (standing/row-ids.ts), or `assignment:<key>`
 * for asset tasks the agent removed (an unassign-asset), which a reading must not bring back either.
 */
export interface AppRemovalRecord {
  hubId: string;
  rowId: string;
  removedAt: string;
}

declare module '../store/collections.ts' {
  interface Collections {
    appMembers: AppMemberRecord;
    appRemovals: AppRemovalRecord;
    appInvites: AppInviteRecord;
    appSystemUsers: AppSystemUserRecord;
    appAssets: AppAssetRecord;
    appAssignments: AppAssignmentRecord;
    appPartners: AppPartnerRecord;
    partnerUsers: PartnerUserRecord;
    appImports: AppImportRecord;
    memberMatches: MemberMatchRecord;
    exemptions: ExemptionRecord;
    guests: GuestRecord;
  }
}
