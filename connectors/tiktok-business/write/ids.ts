import { ConnectorError } from '../../sdk/connector-error.ts';

/** The largest id the gateway takes: it converts ids to int64 (`x-open-convert: int64(%s)`). */
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Whether `value` is a TikTok id: a digit string the gateway can convert to int64 (TikTok API for
 * Business v1.3, https://business-api.tiktok.com/portal/docs/api-reference/v1.3; TikTok's gateway
 * specs, github.com/tiktok/tiktok-business-api-sdk `yml_files/bc_*.yml`: `x-open-convert:
 * int64(%s)`). The writes check their ids with it (assertId) and the config its ids (definition.ts).
 */
export function isTikTokId(value: unknown): value is string {
  return typeof value === 'string' && /^\d{1,19}$/.test(value) && BigInt(value) <= INT64_MAX;
}

/** What a TikTok id is, for messages. */
export const TIKTOK_ID_TEXT = 'a digit string of at most 2^63 - 1';

/**
 * A member or asset id of a write, checked before any call. A pending invitation has no `user_id`
 * at all, and anything but a digit string within int64 is refused by TikTok as a parameter error
 * (40002), which the writes cannot tell from a member who left meanwhile: a removal of
 * `bob@acme.test` or of a 20-digit id was answered already-done while nothing was removed. So a
 * malformed id is refused here, invalid-argument, naming the field.
 */
export function assertId(value: string, field: string, what: string): void {
  if (!isTikTokId(value)) {
    throw new ConnectorError('invalid-argument', `${what}: invalid-argument (${field}): ${JSON.stringify(String(value).slice(0, 60))} is not a TikTok id (${TIKTOK_ID_TEXT})`, { field, notApplied: true });
  }
}

/** assertId for each id of a list parameter (an invite's `asset_ids`). */
export function assertIds(values: readonly string[], field: string, what: string): void {
  for (const value of values) assertId(value, field, what);
}
