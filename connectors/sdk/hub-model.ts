/**
 * What a connector reads from and writes to an app, in the product's words and independent of
 * any one provider. Meta's BusinessUser, BusinessRoleRequest, SystemUser, AdAccount… map onto
 * these in connectors/meta-business with pure mappers.
 */

/** An asset type name from the connector definition's `assetTypes` (`ad_account`, `catalog`…). */
export type AssetType = string;

/** One page of a listing; `next` is an opaque cursor, absent on the last page. */
export interface Page<T> {
  items: T[];
  next?: string;
  /**
   * Only for `listAssets`: the app refused part of the type (e.g. the assets other businesses
   * shared, while those the business owns were listed). The items listed are real; what the
   * refused part holds is unknown, never gone. The agent treats it on any other listing as a
   * failed listing.
   */
  incomplete?: ListingGap;
}

/** The part of an asset listing the app refused, and why (a page's `incomplete`). */
export interface ListingGap {
  /** Plain words naming the part and the app's answer, e.g. `client ad accounts: (#200) Permissions error`. */
  reason: string;
  /**
   * Which assets the refused part would have listed, when the connector can tell: only those of
   * this ownership may be missing. Absent: any asset of the type may be.
   */
  ownership?: 'owned' | 'client';
}

/** Grants and revokes are retried, so "already so" is success too. */
export type ChangeResult = 'done' | 'already-done';

/** A person who holds a seat in the app (Meta: a business user, with its business-scoped id). */
export interface AppMember {
  id: string;
  email?: string;
  name?: string;
  /** App role, e.g. ADMIN or EMPLOYEE. */
  role: string;
  /** Finer app permissions (Meta business `tasks`), when the app reports them. */
  tasks?: string[];
  /** The invite this member came from, when known. */
  inviteId?: string;
  /**
   * The email that invite was sent to, when the app reports it (Meta: BusinessRoleRequest `email`).
   * It may differ from `email`: a person can accept under another address than the one invited.
   */
  invitedEmail?: string;
  /**
   * The app has marked the seat for removal (Meta: BusinessUser `marked_for_removal`): it is on its
   * way out, so plans neither count it as a seat kept nor remove or add the person again meanwhile.
   */
  removalPending?: boolean;
}

export type InviteStatus = 'pending' | 'expired' | 'declined' | 'canceled' | 'accepted';

/** An invitation not yet accepted (Meta: a BusinessRoleRequest listed under pending_users). */
export interface AppInvite {
  id: string;
  /**
   * Ids an earlier release of this connector gave the same invitation (its id derivation
   * changed; the person did not). The agent carries what it keeps under a former id (an owner's
   * exemption or match, a drift hold) to `id` once, at a check for updates
   * (agent/check-for-updates/former-ids.ts). Absent: the id never changed.
   */
  formerIds?: string[];
  email: string;
  role: string;
  tasks?: string[];
  status: InviteStatus;
  createdAt?: string;
  expiresAt?: string;
  /**
   * For an app that gives its invitations no expiry and keeps a stale one listed as pending
   * (TikTok): how long hubwarden takes a pending one to last. One the agent did not send (made in
   * the app) is at least that old once that long has passed since the agent first listed it, and
   * counts as expired from then on (re-sent once, then lapsed), never pending for ever.
   */
  assumedLifetimeMs?: number;
}

/** A non-human account (Meta: a system user). Never touched by plans. */
export interface AppSystemUser {
  id: string;
  name?: string;
  role: string;
}

export interface AssetRef {
  type: AssetType;
  /** Provider id, e.g. `act_111` or `222`. */
  id: string;
}

export interface AppAsset extends AssetRef {
  name?: string;
  /** owned: our business owns it; client: another business shared it with us. */
  ownership: 'owned' | 'client';
  /** For client assets: the most we may grant on it. */
  permittedTasks?: string[];
}

/** Who holds which tasks on an asset. */
export interface AssetAssignment {
  asset: AssetRef;
  userId: string;
  userName?: string;
  userType: 'member' | 'system-user';
  /** The business the user belongs to (ours, or a partner's for a partner's people). */
  businessId?: string;
  tasks: string[];
}

/** A partner business: an agency we shared assets with, or a client that shared with us. */
export interface AppPartner {
  businessId: string;
  name?: string;
  relation: 'agency' | 'client';
  assets: Array<AssetRef & { permittedTasks: string[]; accessStatus?: string }>;
}

/** A partner's own people on assets we share, read with the partner's token (native partners). */
export interface PartnerUser {
  partnerBusinessId: string;
  userId: string;
  name?: string;
  email?: string;
  userType: 'member' | 'system-user';
  assignments: Array<{ asset: AssetRef; tasks: string[] }>;
}

/** The app credential's standing, reported as hub health rather than discovered by failing tasks. */
export interface CredentialHealth {
  valid: boolean;
  /** When the credential stops working; absent with `expiryUnknown` unset: it does not expire on a timer. */
  expiresAt?: string;
  /**
   * The app did not say when the credential expires (nor which scopes it holds): no `expiresAt`
   * then means "unknown", not "never", and the hub's health must not call it lasting.
   */
  expiryUnknown?: true;
  scopes: string[];
  missingScopes: string[];
  problem?: string;
}

/** Rate-limit bookkeeping a connector keeps from response headers. */
export interface RateLimitState {
  /** Highest usage percentage seen recently (0–100+), per scope (`app`, `act_111`, `invite:<business>`). */
  usagePercent: Record<string, number>;
  /** Scopes that are blocked, until when (epoch ms). */
  blockedUntil: Record<string, number>;
}
