/**
 * `GET /debug_token?input_token=…` (https://developers.facebook.com/docs/graph-api/reference/debug_token):
 * lets the connector report a system user token's expiry and missing scopes as hub health.
 * `expires_at` is unix seconds, 0 for a token that never expires. An unknown or expired input
 * token is `is_valid: false` with an `error` object, not an HTTP error.
 *
 * The endpoint is not among the business-management pages this emulator follows, so it answers
 * only the fields the connector README lists for it (`app_id`, `type`, `expires_at`, `is_valid`,
 * `scopes`, `user_id`, and `error` for a token that is not valid): no `application`,
 * `granular_scopes` or `data_access_expires_at`, which no client may come to rely on here.
 */
import { requiredParameter } from './graph-error.ts';
import { graphTime } from './model.ts';
import type { GraphContext } from './graph-context.ts';

export function debugToken(ctx: GraphContext): unknown {
  const input = ctx.param('input_token');
  if (!input) throw requiredParameter('input_token');
  const token = ctx.world.tokens.get(input);
  if (!token) {
    return { data: { is_valid: false, scopes: [], error: { code: 190, message: 'Invalid OAuth access token - Cannot parse access token' } } };
  }
  const now = ctx.runtime.now();
  const expired = token.expiresAt !== null && token.expiresAt <= now;
  const data: Record<string, unknown> = {
    app_id: token.appId,
    type: token.kind === 'system_user' ? 'SYSTEM_USER' : 'USER',
    expires_at: token.expiresAt === null ? 0 : Math.floor(token.expiresAt / 1000),
    is_valid: !expired,
    scopes: [...token.scopes],
    user_id: token.userId,
  };
  if (expired) {
    data.error = { code: 190, subcode: 463, message: `Error validating access token: Session has expired on ${graphTime(token.expiresAt!)}.` };
  }
  return { data };
}
