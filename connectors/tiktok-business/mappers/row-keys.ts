import { ConnectorError } from '../../sdk/connector-error.ts';
import type { AssetRow, MemberRow } from './rows.ts';

/**
 * A row's key, present: a member row is keyed by `user_id` (the key TikTok's update, delete and asset
 * calls take), an asset row by `asset_id` (github.com/bububa/tiktok-business `model/bc/member_get.go`,
 * `model/bc/asset_get.go`). TikTok never says either may be missing; a row without its key names nobody and no asset [INF #53, #54, #55].
 */
export const hasKey = (value: unknown): boolean => value !== undefined && value !== null && String(value).trim() !== '';
export const hasUserId = (r: MemberRow): boolean => hasKey(r.user_id);
export const hasAssetId = (r: AssetRow): boolean => hasKey(r.asset_id);

/** De-duplication keys of a listing: rows without their key keep apart (and are counted), by what else they show. */
export const memberRowKey = (r: MemberRow): string => (hasUserId(r) ? String(r.user_id) : `no user_id:${r.user_email ?? ''}:${r.user_name ?? ''}`);
export const assetRowKey = (r: AssetRow): string => (hasAssetId(r) ? String(r.asset_id) : `no asset_id:${String(r.asset_name ?? '')}`);

/** The first five names of the rows without their key, for a message: `a, b, c, d, e, …`. */
export const firstNames = (names: readonly string[]): string => `${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}`;

/** A read that met rows without their key cannot say who holds what in full: it fails, naming them. */
export const unkeyedRows = (message: string): ConnectorError => new ConnectorError('unavailable', message, { providerCode: 'unkeyed-rows' });
