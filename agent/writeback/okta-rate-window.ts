/**
 * Okta's rate-limit windows as write-back reads them from X-Rate-Limit-Limit, -Remaining and
 * -Reset (https://developer.okta.com/docs/reference/rl-best-practices/): when to pause the IdP's
 * token bucket (okta-target.ts PacedRequestExecutor), and until when by our clock.
 */

/**
 * The share of each Okta rate-limit window (X-Rate-Limit-Limit) write-back leaves to the org's
 * other consumers: once X-Rate-Limit-Remaining is at or below it, the bucket pauses until
 * X-Rate-Limit-Reset. Okta's limits are org-wide, per endpoint, shared by every app and token
 * (https://developer.okta.com/docs/reference/rl-best-practices/), and bulk syncs that spent them
 * down to 0 starved the other integrations with 429 E0000047
 * (https://github.com/redhat-cop/group-sync-operator/issues/167). Paused only at 0, a write-back
 * of a large hub did the same every minute until it ended. At least one request goes out per
 * window (the pause follows an answer), so write-back still progresses when others use more.
 */
export const OKTA_RESERVED_SHARE = 0.5;

/** X-Rate-Limit-Remaining is 0, or at or below `share` of X-Rate-Limit-Limit (OKTA_RESERVED_SHARE); headers that are no counts say nothing. */
export function atReserve(remainingHeader: string | null | undefined, limitHeader: string | null | undefined, share: number): boolean {
  const remaining = remainingHeader === null || remainingHeader === undefined || remainingHeader.trim() === '' ? Number.NaN : Number(remainingHeader);
  if (!Number.isFinite(remaining)) return false;
  if (remaining <= 0) return true;
  const limit = limitHeader === null || limitHeader === undefined || limitHeader.trim() === '' ? Number.NaN : Number(limitHeader);
  return Number.isFinite(limit) && limit > 0 && remaining <= limit * share;
}

/** The longest an X-Rate-Limit-Reset may hold write-back: Okta's rate-limit windows are one minute (https://developer.okta.com/docs/reference/rl-global-mgmt/). */
export const OKTA_MAX_RESET_WAIT_MS = 5 * 60_000;

/**
 * X-Rate-Limit-Reset as an epoch time in ms, held to at most `OKTA_MAX_RESET_WAIT_MS` from now.
 * Okta sends epoch seconds (https://developer.okta.com/docs/reference/rl-best-practices/); the
 * header's unit is not in every account of it, so a value that cannot be epoch seconds is read as
 * what it must be: below 10^9 (before 2001) seconds from now, above 10^11 (after year 5000) epoch
 * milliseconds. Without the bound, a reset read in the wrong unit paused the bucket for
 * millennia, and every later write to the IdP waited for ever.
 */
export function resetEpochMs(header: string | null | undefined, now: number): number | undefined {
  const value = Number(header);
  if (header === null || header === undefined || header.trim() === '' || !Number.isFinite(value) || value < 0) return undefined;
  const epochMs = value < 1e9 ? now + value * 1000 : value > 1e11 ? value : value * 1000;
  return Math.min(epochMs, now + OKTA_MAX_RESET_WAIT_MS);
}

/**
 * When Okta's window resets, by our clock. X-Rate-Limit-Reset is an instant by Okta's clock; the
 * answer's `Date` is Okta's clock at the answer (RFC 9110 §6.6.1), so their difference is the wait
 * whatever our clock says, which is how the SDK's DefaultRequestExecutor.getRetryDelayMs reads it.
 * Read against our clock alone, a host running ahead of Okta's clock took a reset still to come for
 * one passed: the pause ended before Okta's window did, and the SDK's retries and every other
 * update went straight back into it, each answered 429 E0000047 (and re-pausing until a time
 * already past), until ten failures stopped the run. The later of the two readings is kept: a
 * wrong or missing Date never shortens the wait below what our clock says.
 */
export function resetByOurClock(resetHeader: string | null | undefined, dateHeader: string | null | undefined, now: number): number | undefined {
  const byOurs = resetEpochMs(resetHeader, now);
  const oktaNow = dateHeader ? Date.parse(dateHeader) : Number.NaN;
  if (byOurs === undefined || !Number.isFinite(oktaNow)) return byOurs;
  return Math.max(byOurs, now + resetEpochMs(resetHeader, oktaNow)! - oktaNow);
}
