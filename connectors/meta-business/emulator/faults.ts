/**
 * Fault injection: latency, 5xx (codes 1/2), held requests (timeouts), dropped sockets, plain
 * HTTP 403s, short pages and throttling by code with `estimated_time_to_regain_access` (https://developers.facebook.com/documentation/ads-commerce/marketing-api/error-reference, https://developers.facebook.com/docs/graph-api/overview/rate-limiting).
 * Decisions use a seeded PRNG when `seed` is given, so a faulty run can be replayed exactly.
 */
import { seededRandom } from '../../sdk/seeded-random.ts';
import { GraphError, transientError } from './graph-error.ts';

export type ThrottleCode = 4 | 17 | 32 | 341 | 613 | 80004;

export interface ThrottleFault {
  code: ThrottleCode;
  /** Matching calls allowed before throttling starts (default 0: throttle at once). */
  afterCalls?: number;
  /** Only paths matching this regex count and get throttled (default: every call). */
  match?: string | RegExp;
  /** Minutes until access returns (default 5), reported as `estimated_time_to_regain_access` on `act_*` calls only (throttleError). */
  regainMinutes?: number;
}

export interface FaultConfig {
  /** Extra delay per HTTP request, on top of `latencyMs` of the emulator options. */
  latencyMs?: number;
  /** Probability (0..1) of a transient 500 with code 1 or 2. */
  errorRate?: number;
  /** Probability of holding the request without answering until the client gives up. */
  timeoutRate?: number;
  /** Probability of destroying the socket without a response. */
  dropRate?: number;
  /** Probability that a list page is cut short (fewer than `limit` items, maybe none) while `next` stays. */
  shortPageRate?: number;
  /**
   * Probability, per batch operation, that the batch "times out" there: that operation and all
   * after it come back as `null` without running (https://developers.facebook.com/docs/graph-api/batch-requests: a partial batch has nulls).
   */
  batchTimeoutRate?: number;
  /** Only paths matching this regex get the random faults above (default: every path). */
  match?: string | RegExp;
  throttle?: ThrottleFault;
  /**
   * The next `calls` (default 1) writes (POST, DELETE) whose path matches `match` (default: any)
   * are carried out, and then their answer is lost: the socket is destroyed after the change was
   * made, as when Graph acts on a request whose response then times out or whose connection drops.
   * The client cannot tell whether it landed (the case a caller must look up before it acts again).
   */
  lostReply?: { match?: string | RegExp; calls?: number };
  /**
   * The next `calls` (default 1) requests whose path matches `match` (default: any) are refused
   * with a plain HTTP 403, no Graph error envelope, and not carried out: quota exhaustion as it can
   * show up (python-social-auth/social-core#859). The empty body is the strict reading [INF].
   */
  plainForbidden?: { match?: string | RegExp; calls?: number };
  /**
   * TEST FAULT, not Graph behaviour: every matching call fails with code 190 and a message that
   * quotes the access token it was sent (bare and as `access_token=…`), as a proxy or a broken
   * endpoint that echoes the request would. Proves an echoed credential never reaches hubwarden's
   * logs, store, audit or responses.
   */
  echoCredentials?: boolean;
  /**
   * A new invite shows in `pending_users` only this many ms after it was made (default 0: at
   * once). Meta documents read-after-write only as `fields` on the POST itself and says nothing of
   * how soon a listing shows a write [INF]; a client must not take "not listed yet" for "not made".
   */
  listingLagMs?: number;
  /**
   * Opt-in: the token sees only this many of the business's people in `GET /{business}/business_users`
   * (the first ones by creation), though every person keeps their seat and their asset assignments.
   * Source: a third-party report (Meta documents nothing of it; README, `business_users` filtered
   * by token visibility) that one project's token "returned only 2 of the 7 people it saw in the
   * UI", so business_users may be filtered by token visibility. Which people go unseen,
   * and that nodes and asset edges still show them, are [INF] (README).
   */
  businessUsersSeen?: number;
  /** Seed for the PRNG; the same seed and call sequence give the same faults. */
  seed?: number;
}

const THROTTLE_MESSAGES: Record<ThrottleCode, string> = {
  4: '(#4) Application request limit reached',
  17: '(#17) User request limit reached',
  32: '(#32) Page request limit reached',
  // The error reference's meaning for 341; Meta quotes no message for it (README [INF]).
  341: '(#341) Application limit reached',
  613: '(#613) Calls to this api have exceeded the rate limit.',
  80004:
    '(#80004) There have been too many calls to this ad-account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting#ads-management.',
};

export class FaultPlan {
  private config: FaultConfig = {};
  private random: () => number = Math.random;
  private throttleCount = 0;
  private throttledUntil: number | undefined;
  private repliesLost = 0;
  private forbidden = 0;

  constructor(private readonly now: () => number, initial?: FaultConfig) {
    this.set(initial ?? {});
  }

  set(config: FaultConfig): void {
    this.config = { ...config };
    this.random = config.seed === undefined ? Math.random : seededRandom(config.seed);
    this.throttleCount = 0;
    this.throttledUntil = undefined;
    this.repliesLost = 0;
    this.forbidden = 0;
  }

  get current(): FaultConfig {
    return { ...this.config };
  }

  get latencyMs(): number {
    return this.config.latencyMs ?? 0;
  }

  private applies(path: string, match: string | RegExp | undefined): boolean {
    if (match === undefined) return true;
    return (typeof match === 'string' ? new RegExp(match) : match).test(path);
  }

  private roll(rate: number | undefined, path: string): boolean {
    if (!rate || !this.applies(path, this.config.match)) return false;
    return this.random() < rate;
  }

  /** Transport-level fault for one HTTP request. */
  transport(path: string): 'timeout' | 'drop' | 'forbidden' | undefined {
    const f = this.config.plainForbidden;
    if (f && this.forbidden < (f.calls ?? 1) && this.applies(path, f.match)) {
      this.forbidden++;
      return 'forbidden';
    }
    if (this.roll(this.config.timeoutRate, path)) return 'timeout';
    if (this.roll(this.config.dropRate, path)) return 'drop';
    return undefined;
  }

  /** Whether the answer to this write, already carried out, is lost (`lostReply`). */
  loseReply(method: string, path: string): boolean {
    const l = this.config.lostReply;
    if (!l || method === 'GET' || this.repliesLost >= (l.calls ?? 1) || !this.applies(path, l.match)) return false;
    this.repliesLost++;
    return true;
  }

  /** Graph-level fault for one operation (an HTTP call or one op inside a batch). */
  operation(path: string, objectId: string): GraphError | undefined {
    const throttled = this.throttle(path, objectId);
    if (throttled) return throttled;
    if (this.roll(this.config.errorRate, path)) return transientError(this.random() < 0.5 ? 1 : 2);
    return undefined;
  }

  /** The echoCredentials test fault for one call, if it is on. */
  echo(path: string, token: string | undefined): GraphError | undefined {
    if (!this.config.echoCredentials || !token || !this.applies(path, this.config.match)) return undefined;
    return new GraphError({ code: 190, message: `Invalid OAuth access token ${token} (request: GET ${path}?access_token=${token})` });
  }

  /** Whether a batch stops (times out) before this operation. */
  batchCut(path: string): boolean {
    return this.roll(this.config.batchTimeoutRate, path);
  }

  /** The business users a `business_users` listing shows (`businessUsersSeen`): all without the fault. */
  seenBusinessUsers<T>(people: T[]): T[] {
    const seen = this.config.businessUsersSeen;
    return seen === undefined ? people : people.slice(0, Math.max(0, seen));
  }

  /** Whether a record made at `createdMs` is listed yet (`listingLagMs`). */
  listed(createdMs: number): boolean {
    return this.now() - createdMs >= (this.config.listingLagMs ?? 0);
  }

  /** How many items a short page keeps, or undefined for a full page. */
  shortPage(limit: number, path: string): number | undefined {
    if (limit <= 1 || !this.roll(this.config.shortPageRate, path)) return undefined;
    return Math.floor(this.random() * limit);
  }

  private throttle(path: string, objectId: string): GraphError | undefined {
    const t = this.config.throttle;
    if (!t || !this.applies(path, t.match)) return undefined;
    const now = this.now();
    if (this.throttledUntil !== undefined && now >= this.throttledUntil) {
      this.throttledUntil = undefined;
      this.throttleCount = 0;
    }
    this.throttleCount++;
    if (this.throttledUntil === undefined) {
      if (this.throttleCount <= (t.afterCalls ?? 0)) return undefined;
      this.throttledUntil = now + (t.regainMinutes ?? 5) * 60_000;
    }
    const regainMinutes = Math.max(1, Math.ceil((this.throttledUntil - now) / 60_000));
    return throttleError(t.code, objectId, regainMinutes);
  }
}

/**
 * A throttling error with the usage headers a client reads its wait from (https://developers.facebook.com/docs/graph-api/overview/rate-limiting).
 * X-Business-Use-Case-Usage (type `ads_management`, with `estimated_time_to_regain_access`) only
 * on `act_*` calls: Meta documents no BUC type for business-node edges (business_users,
 * pending_users, system_users, agencies, clients), which carry the platform X-App-Usage only
 * (connectors/meta-business/README.md [INF]), so a throttle there says no time to wait. The
 * X-App-Usage of the response is the usual reading (usage-headers.ts), at 100 % for code 4.
 */
export function throttleError(code: ThrottleCode, objectId: string, regainMinutes: number): GraphError {
  const headers: Record<string, string> = {};
  if (objectId.startsWith('act_')) {
    const usage = { type: 'ads_management', call_count: 100, total_cputime: 100, total_time: 100, estimated_time_to_regain_access: regainMinutes, ads_api_access_tier: 'development_access' };
    headers['x-business-use-case-usage'] = JSON.stringify({ [objectId.slice(4)]: [usage] });
  }
  if (code === 4) headers['x-app-usage'] = JSON.stringify({ call_count: 100, total_time: 100, total_cputime: 100 });
  return new GraphError({
    code,
    message: THROTTLE_MESSAGES[code],
    subcode: code === 80004 ? 2446079 : undefined,
    // No `is_transient`: the field is optional and Meta shows it on no throttling error; a client
    // must key on the code (and the usage headers), never on a flag only this emulator would set.
    headers,
  });
}
