/**
 * The emulator's records, after a suggested data model (not documented by Meta; see the [INF] table in connectors/meta-business/README.md). Times are epoch
 * milliseconds here and rendered as Graph datetimes (`2014-01-07T23:26:09+0000`, https://developers.facebook.com/docs/graph-api/guides/versioning) on output.
 */
export type AssetType = 'ad_account' | 'page' | 'catalog' | 'pixel';
export type TokenKind = 'system_user' | 'user';
/** BusinessRoleRequest status, from SPEC `businessagreement_request_status` (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/pending_users). */
export type InviteStatus = 'PENDING' | 'EXPIRED' | 'DECLINE' | 'CANCELED';

export interface Business {
  id: string;
  name: string;
  two_factor_type: 'none' | 'admin_required' | 'all_required';
  vertical?: string;
  created_time: number;
}

export interface Token {
  value: string;
  kind: TokenKind;
  businessId: string;
  userId: string;
  scopes: string[];
  /** epoch ms, or null for a never-expiring system-user token */
  expiresAt: number | null;
  appId: string;
}

export interface BusinessUser {
  id: string;
  businessId: string;
  name: string;
  email: string;
  role: string;
  tasks: string[];
  first_name?: string;
  last_name?: string;
  title?: string;
  /** A new address waiting for the person to verify it (BusinessUser.pending_email). */
  pending_email?: string;
  finance_permission?: string;
  /** The invite this person accepted (BusinessUser.business_role_request). */
  requestId?: string;
  /** The email that invite was sent to, when the person accepted under another (BusinessRoleRequest.email). */
  requestEmail?: string;
  created_time: number;
  seq: number;
}

export interface Invite {
  id: string;
  businessId: string;
  email: string;
  role: string;
  tasks: string[];
  status: InviteStatus;
  created_time: number;
  updated_time: number;
  expiration_time: number;
  createdBy?: string;
  invited_user_type: string[];
  seq: number;
}

export interface SystemUser {
  id: string;
  businessId: string;
  name: string;
  role: string;
  created_time: number;
  seq: number;
}

export interface Asset {
  type: AssetType;
  /** `act_<n>` for ad accounts (https://developers.facebook.com/docs/graph-api/guides/versioning), a numeric string otherwise. */
  id: string;
  name: string;
  ownerBusinessId: string;
  created_time: number;
  seq: number;
}

export interface Assignment {
  assetId: string;
  userId: string;
  tasks: string[];
  seq: number;
}

export interface Share {
  assetId: string;
  partnerBusinessId: string;
  permittedTasks: string[];
  /** `CONFIRMED` or `CLIENT_RESPONSE_PENDING` (https://developers.facebook.com/docs/marketing-api/business-manager/system-user/permissions) */
  accessStatus: string;
  access_requested_time: number;
  access_updated_time: number;
  seq: number;
}

/** A deep copy of everything, for assertions (`control.state()`). */
export interface EmulatorState {
  businesses: Business[];
  tokens: Token[];
  users: BusinessUser[];
  invites: Invite[];
  systemUsers: SystemUser[];
  assets: Asset[];
  assignments: Assignment[];
  shares: Share[];
}

/** Graph datetime: ISO-8601 with a `+0000` offset and no milliseconds (https://developers.facebook.com/docs/graph-api/guides/versioning). */
export function graphTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+0000');
}
