import { ConnectorError } from '../sdk/connector-error.ts';

/**
 * Whether an HTTP 200 answer to a write (a POST: invite, update, delete, assign, unassign) says the
 * change was made, or what it leaves open. TikTok's success is `code` 0 ("Return codes",
 * https://business-api.tiktok.com/portal/docs?id=1737172488964097), sent as a JSON number in its
 * examples; its official JS client takes an answer as a success only when `code === 0` and throws
 * on anything else, a string "0" included
 * (https://github.com/tiktok/tiktok-business-api-sdk/blob/main/js_sdk/src/ApiClient.js,
 * `callApi`). Writes return nothing beyond the envelope (`data` `{}`; TikTok's SDKs model no write
 * payload), so `data` absent, `null` or an object is the documented success, and `data` of another
 * kind (text, a number, a list, `false`) is no answer TikTok describes.
 *
 * Undefined: the change was made (or the answer is an envelope with a numeric code, which the
 * error table reads). Else `unavailable`, outcome unknown (not `notApplied`): the agent's retry
 * reads the state first (README [INF] #71). Taken for a success, a removal answered `"code":"0"`
 * or `"data":"failed"` was recorded as done while the person may still hold the seat; a delete
 * answered `"code":"40007"` was recorded as already gone.
 */
export function unconfirmedWrite(status: number, body: unknown, what: string): ConnectorError | undefined {
  if (status !== 200 || !body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const b = body as { code?: unknown; data?: unknown };
  if (b.code === undefined) return undefined; // no envelope at all: the error table's no-envelope
  if (typeof b.code !== 'number') {
    return new ConnectorError('unavailable', `${what}: unavailable: TikTok answered the write with a code that is not a number (${typeof b.code}); whether it was applied is unknown`, { providerCode: WRITE_UNCONFIRMED });
  }
  if (b.code !== 0) return undefined;
  const d = b.data;
  if (d === undefined || d === null || (typeof d === 'object' && !Array.isArray(d))) return undefined;
  return new ConnectorError('unavailable', `${what}: unavailable: TikTok answered the write with code 0 and data that is ${Array.isArray(d) ? 'a list' : `a ${typeof d}`}, not the documented object; whether it was applied is unknown`, { providerCode: WRITE_UNCONFIRMED });
}

/** The providerCode of a write whose answer does not say it was made. */
export const WRITE_UNCONFIRMED = 'write-unconfirmed';
