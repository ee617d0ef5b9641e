import { ConnectorError } from '../../sdk/connector-error.ts';

/** The largest id the gateway takes: it converts ids to int64 (`x-open-convert: int64(%s)`). */
const INT64_MAX = 2n ** 63n - 1n;

/**
 * A member or asset id of a write, checked before any call. TikTok ids are digit strings that the
 * gateway converts to int64 (TikTok API for Business v1.3, https://business-api.tiktok.com/portal/docs/api-reference/v1.3;
 * TikTok's gateway specs, github.com/tiktok/tiktok-business-api-sdk `yml_files/bc_*.yml`), and a
 * pending invitation has no `user_id` at all. Anything else is refused by TikTok as a parameter
 * error (40002), which the writes cannot tell from a member who left meanwhile: a removal of
 * `bob@acme.test` or of a 20-digit id was answered already-done while nothing was removed. So a
 * malformed id is refused here, invalid-argument, naming the field.
 */
export function assertId(value: string, field: string, what: string): void {
  if (typeof value !== 'string' || !/^\d{1,19}$/.test(value) || BigInt(value) > INT64_MAX) {
    throw new ConnectorError('invalid-argument', `${what}: invalid-argument (${field}): ${JSON.stringify(String(value).slice(0, 60))} is not a TikTok id (a digit string of at most 2^63 - 1)`, { field, notApplied: true });
  }
}
