/**
 * The emulator's world, in TikTok's own words (TikTok API for Business v1.3, Business Center
 * endpoints: https://business-api.tiktok.com/portal/docs/api-reference/v1.3). Ids are digit
 * strings throughout: TikTok's ids exceed 2^53 and v1.3 returns them as strings.
 */

export type UserRole = 'ADMIN' | 'STANDARD';
export type FinanceRole = 'MANAGER' | 'ANALYST';
export type RelationStatus = 'BOUND' | 'PENDING' | 'REJECTED' | 'UNBOUND';
export type AdvertiserRole = 'ADMIN' | 'OPERATOR' | 'ANALYST';
export type CatalogRole = 'ADMIN' | 'AD_PROMOTE';
export type TtAccountRole = 'POST' | 'LIVE' | 'DIRECT_MESSAGE';

/** Every `asset_type` value TikTok's gateway enum knows; each endpoint accepts only some. */
export const ASSET_TYPES = ['ADVERTISER', 'CATALOG', 'TIKTOK_SHOP', 'PIXEL', 'LEAD', 'TT_ACCOUNT', 'STOREFRONT', 'DOMAIN', 'MANAGED_BUSINESS_ACCOUNT'] as const;
export type AssetType = (typeof ASSET_TYPES)[number];

export interface BusinessCenter {
  bc_id: string;
  name: string;
  company: string;
  currency: string;
  registered_area: string;
  timezone: string;
  type: 'NORMAL' | 'DIRECT' | 'AGENCY' | 'SELF_SERVICE' | 'SELF_SERVICE_AGENCY';
  status: 'REVIEWING' | 'DENY' | 'ENABLE' | 'PUNISH';
  verification_status: 'NOT_SUBMITTED' | 'REVIEWING' | 'VERIFIED' | 'FAILED' | 'EXPIRED';
}

/** One row of `/bc/member/get/`: a BOUND member, or an invitation (PENDING, REJECTED). */
export interface MemberRow {
  bc_id: string;
  /** Absent on PENDING and REJECTED rows: the person has not joined yet. */
  user_id?: string;
  user_name?: string;
  user_email: string;
  user_role: UserRole;
  relation_status: RelationStatus;
  finance_role?: FinanceRole;
  /** epoch ms; emulator bookkeeping for invitations */
  invited_at?: number;
  expires_at?: number;
  /** Ad accounts the invitation gives on acceptance, with the invitation's advertiser_role. */
  invite_assets?: Array<{ asset_id: string; advertiser_role: AdvertiserRole }>;
}

export interface Asset {
  asset_type: AssetType;
  asset_id: string;
  asset_name: string;
  owner_bc_id: string;
  advertiser_status?: string;
  advertiser_account_type?: 'AUCTION' | 'RESERVATION';
  /**
   * The owning BC's claim on the asset (github.com/bububa/tiktok-business `model/bc/asset_get.go`: ad accounts, pixels and shops carry
   * `relation_status` BOUND, UNBOUND, PENDING or REJECTED); absent means BOUND. A claim that is not
   * BOUND is listed with its status but is not the BC's to assign or share [INF #46].
   */
  relation_status?: 'BOUND' | 'UNBOUND' | 'PENDING' | 'REJECTED';
  /**
   * Listed in its BC with `relation_type` OWNER_INDIVIDUAL (github.com/bububa/tiktok-business `model/bc/asset_get.go`): a person owns it, not
   * the BC, so it is neither owned by nor shared into the BC and cannot be assigned [INF #46].
   */
  owned_by_individual?: boolean;
}

/** An asset shared by its owner BC with a partner BC, with a role ceiling. */
export interface Share {
  asset_type: AssetType;
  asset_id: string;
  owner_bc_id: string;
  partner_bc_id: string;
  advertiser_role?: AdvertiserRole;
  catalog_role?: CatalogRole;
}

export interface Partnership {
  bc_id: string;
  partner_id: string;
}

/** A member's access to an asset inside one BC; `role` is a list for TT_ACCOUNT only. */
export interface Assignment {
  bc_id: string;
  asset_type: AssetType;
  asset_id: string;
  user_id: string;
  role: string | string[];
}

export interface Token {
  value: string;
  user_id: string;
  /** The developer app the token was issued to: rate limits apply per app. */
  app_id: string;
  revoked?: boolean;
  /** Permission scopes granted (names as on the API Reference page); absent: all four BC scopes. */
  scopes?: string[];
}

export interface EmulatorState {
  businessCenters: BusinessCenter[];
  members: MemberRow[];
  assets: Asset[];
  shares: Share[];
  partnerships: Partnership[];
  assignments: Assignment[];
  tokens: Token[];
}

/** The role field of `/bc/asset/assign/` per asset type. */
export const ROLE_FIELD: Partial<Record<AssetType, string>> = {
  ADVERTISER: 'advertiser_role',
  CATALOG: 'catalog_role',
  TT_ACCOUNT: 'tt_account_roles',
  TIKTOK_SHOP: 'store_role',
  LEAD: 'form_library_role',
};

/** Valid values of each role field. */
export const ROLE_VALUES: Record<string, readonly string[]> = {
  advertiser_role: ['ADMIN', 'OPERATOR', 'ANALYST'],
  catalog_role: ['ADMIN', 'AD_PROMOTE'],
  tt_account_roles: ['POST', 'LIVE', 'DIRECT_MESSAGE'],
  store_role: ['AD_PROMOTION', 'MANAGER'],
  form_library_role: ['ADMIN'],
};
