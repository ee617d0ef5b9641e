/**
 * Graph usage headers (https://developers.facebook.com/docs/graph-api/overview/rate-limiting): `X-App-Usage` (percentages over a rolling hour) and
 * `X-Business-Use-Case-Usage` (per business object, with `estimated_time_to_regain_access` in
 * MINUTES), and how fast to call at a given app usage (APP_USAGE). Pure functions; the client
 * (graph-client.ts) feeds the readings into its RateLimitBook and paces by them.
 */

export interface GraphUsage {
  /** Highest percentage per scope: `app`, or the BUC object id as Meta keys it (ad account or business id). */
  percent: Record<string, number>;
  /** Longest wait any BUC entry asks for, in ms (0 when none). */
  regainAccessMs: number;
  /** Wait per BUC object id (as Meta keys it) whose entries ask for one (> 0), in ms. */
  regainByObject: Record<string, number>;
}

type HeaderBag = Headers | Record<string, string | undefined> | undefined;

function header(headers: HeaderBag, name: string): string | undefined {
  if (!headers) return undefined;
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key ? headers[key] : undefined;
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function maxPercent(entry: Record<string, unknown>): number {
  return Math.max(0, ...['call_count', 'total_time', 'total_cputime', 'acc_id_util_pct'].map((k) => Number(entry[k]) || 0));
}

/**
 * BUC use cases none of hubwarden's calls falls under. The quota is "per ad account, per use case"
 * (https://developers.facebook.com/docs/graph-api/overview/rate-limiting), and the edges the
 * connector calls list only the Ads Management (80004) and Instagram (80002, on owned_pages) BUC
 * errors (their reference pages). A header entry of these types says another tool on the same app
 * exhausted that use case (ads insights, say): blocking hubwarden's ad-account calls on it for its
 * `estimated_time_to_regain_access` would hold access changes (an offboarding) for nothing. Entries
 * of any other type, or none, count. An error answer counts every entry (`countAll`): the call
 * itself was throttled, so its header's waits are the ones that apply.
 */
export const UNRELATED_USE_CASES: ReadonlySet<string> = new Set(['ads_insights', 'custom_audience', 'leadgen', 'messenger', 'whatsapp_business_management']);

/**
 * The longest wait an `estimated_time_to_regain_access` is taken at: a day. BUC quotas are counted
 * per hour, Pages' per 24 h (https://developers.facebook.com/docs/graph-api/overview/rate-limiting),
 * so no real wait is longer; Meta states no upper bound (README [INF]).
 */
export const MAX_REGAIN_MS = 24 * 3_600_000;

/**
 * `estimated_time_to_regain_access` (minutes) in ms: 0 unless a positive number (a numeric string
 * too), at most MAX_REGAIN_MS. Taken as sent, a huge value (`1e12`, `"Infinity"`) blocked the
 * object past what a Date holds: sharing the block with the other replicas failed (RangeError in
 * the store write), so this replica held the object for good and the others called on into it.
 */
export function regainMs(value: unknown): number {
  const minutes = typeof value === 'number' || typeof value === 'string' ? Number(value) : NaN;
  return minutes > 0 ? Math.min(minutes * 60_000, MAX_REGAIN_MS) : 0;
}

export function parseUsage(headers: HeaderBag, options: { countAll?: boolean } = {}): GraphUsage {
  const usage: GraphUsage = { percent: {}, regainAccessMs: 0, regainByObject: {} };
  const app = parseJson(header(headers, 'x-app-usage'));
  if (app && typeof app === 'object') usage.percent.app = maxPercent(app as Record<string, unknown>);
  const buc = parseJson(header(headers, 'x-business-use-case-usage'));
  if (buc && typeof buc === 'object') {
    for (const [objectId, entries] of Object.entries(buc as Record<string, unknown>)) {
      if (!Array.isArray(entries)) continue;
      for (const e of entries as Array<Record<string, unknown>>) {
        if (!e || typeof e !== 'object') continue;
        if (!options.countAll && typeof e.type === 'string' && UNRELATED_USE_CASES.has(e.type.toLowerCase())) continue;
        // Keyed by the bare ad-account id in Meta's example (`{"66782684":[…]}`); a Graph that
        // keys it `act_66782684` names the same object, and calls on it are looked up bare
        // (graph-errors.ts bucObjectOf): unnormalised, its block would never be honoured.
        const scope = objectId.replace(/^act_/, '');
        usage.percent[scope] = Math.max(usage.percent[scope] ?? 0, maxPercent(e));
        const ms = regainMs(e.estimated_time_to_regain_access);
        usage.regainAccessMs = Math.max(usage.regainAccessMs, ms);
        if (ms > 0) usage.regainByObject[scope] = Math.max(usage.regainByObject[scope] ?? 0, ms);
      }
    }
  }
  return usage;
}

/**
 * Honouring `X-App-Usage` (https://developers.facebook.com/docs/graph-api/overview/rate-limiting: whole-number percentages of the app's platform limit
 * over a rolling hour; throttling starts at 100, and "continued calls extend the block"). Below
 * SLOW_FROM the client calls freely; from there to PAUSE_AT each call waits longer, up to
 * SLOWEST_MS at PAUSE_AT; at PAUSE_AT the app scope is treated as blocked for PAUSE_MS (the agent
 * waits like for any rate limit) rather than running into code 4. A reading older than PAUSE_MS
 * no longer counts: the hour rolls on and the next response brings a fresh one.
 */
export const APP_USAGE = { SLOW_FROM: 75, PAUSE_AT: 95, SLOWEST_MS: 2_000, PAUSE_MS: 5 * 60_000 } as const;

/** Milliseconds to wait before a call at `percent` app usage (0 below SLOW_FROM). */
export function appUsageDelayMs(percent: number): number {
  if (percent < APP_USAGE.SLOW_FROM) return 0;
  const share = Math.min(1, (percent - APP_USAGE.SLOW_FROM) / (APP_USAGE.PAUSE_AT - APP_USAGE.SLOW_FROM));
  return Math.round(share * share * APP_USAGE.SLOWEST_MS);
}

/**
 * X-Business-Use-Case-Usage readings per BUC object (ad account or business id, as Meta keys
 * them), for pacing: BUC quota is "per ad account, per use case", and throttling starts when
 * `call_count`, `total_cputime` or `total_time` reaches 100
 * (https://developers.facebook.com/docs/graph-api/overview/rate-limiting). A call on an object
 * whose latest reading is past APP_USAGE.SLOW_FROM waits like a call at that app usage, so a burst
 * of writes on one ad account spreads out before Graph answers 80004. No pause short of 100: a
 * BUC throttle names its own wait (`estimated_time_to_regain_access`), blocked as it comes
 * (README [INF]). A reading older than APP_USAGE.PAUSE_MS no longer counts.
 */
export class BucReadings {
  readonly #latest = new Map<string, { percent: number; at: number }>();
  constructor(private readonly clock: () => number) {}

  note(object: string, percent: number): void {
    if (Number.isFinite(percent)) this.#latest.set(object, { percent, at: this.clock() });
  }

  /** Milliseconds to wait before a call on `objects` (0 when none is near its quota). */
  delayMs(objects: readonly string[]): number {
    let ms = 0;
    for (const object of objects) {
      const r = this.#latest.get(object);
      if (r && this.clock() - r.at <= APP_USAGE.PAUSE_MS) ms = Math.max(ms, appUsageDelayMs(r.percent));
    }
    return ms;
  }
}
