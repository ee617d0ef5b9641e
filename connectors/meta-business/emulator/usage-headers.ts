/**
 * Usage headers (https://developers.facebook.com/docs/graph-api/overview/rate-limiting): `X-App-Usage` on every response (whole-number percentages over a
 * rolling hour) and `X-Business-Use-Case-Usage` keyed by the ad account on `act_*` calls, with
 * `estimated_time_to_regain_access` in minutes (0 when not throttled).
 */
import type { EmulatorRuntime } from './graph-context.ts';

/** [INF] calls per hour that count as 100 %; high enough that benchmarks never throttle by accident. */
export const APP_CALLS_PER_HOUR = 100_000;
const HOUR_MS = 3_600_000;

export function countCall(runtime: EmulatorRuntime): void {
  const now = runtime.now();
  if (now - runtime.usage.windowStart >= HOUR_MS) runtime.usage = { windowStart: now, calls: 0 };
  runtime.usage.calls++;
}

export function usageHeaders(runtime: EmulatorRuntime, objectId: string | undefined): Record<string, string> {
  const pct = Math.min(99, Math.floor((runtime.usage.calls * 100) / APP_CALLS_PER_HOUR));
  const headers: Record<string, string> = {
    'x-app-usage': JSON.stringify({ call_count: pct, total_time: pct, total_cputime: pct }),
  };
  if (objectId?.startsWith('act_')) {
    headers['x-business-use-case-usage'] = JSON.stringify({
      [objectId.slice(4)]: [
        { type: 'ads_management', call_count: pct, total_cputime: pct, total_time: pct, estimated_time_to_regain_access: 0, ads_api_access_tier: 'development_access' },
      ],
    });
  }
  return headers;
}
