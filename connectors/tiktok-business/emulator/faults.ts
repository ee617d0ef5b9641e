/**
 * Fault injection: latency, held requests (client timeouts), dropped sockets, HTTP 5xx, service
 * codes (50000, 50002, 51060), throttling with 40100 (after N calls, for a while, or at random),
 * forced codes on chosen endpoints, short pages (at random, or chosen ones cut to a set length), and
 * writes carried out whose answer is then lost (`lostReply`).
 * Decisions use a seeded PRNG when `seed` is given, so a faulty run can be replayed exactly.
 */
import { seededRandom } from '../../sdk/seeded-random.ts';
import { TikTokApiError } from './envelope.ts';
import { throttled } from './app-limits.ts';

export interface ThrottleFault {
  /** Matching calls allowed before throttling starts (default 0). */
  afterCalls?: number;
  /** How long throttling lasts once it starts (default 1000 ms: a QPS breach). */
  forMs?: number;
  /** Only endpoints matching this regex count and are throttled (default: all). */
  match?: string;
}

export interface ForcedCode {
  /** Endpoint regex, e.g. `bc/member/invite`. */
  match: string;
  code: number;
  message?: string;
  /** How many matching calls get it (default: all). */
  times?: number;
}

/**
 * Chosen pages cut, deterministically: a matching page that holds more than `keep` rows comes back
 * with its first `keep` while `page_info` stays the same. A page holding `keep` rows or fewer is
 * not cut and does not count towards `times`.
 */
export interface ShortPageFault {
  /** Endpoint regex, e.g. `bc/member/get`. */
  match: string;
  /** Rows the page keeps. */
  keep: number;
  /** Only this page number (default: every page). */
  page?: number;
  /** How many pages are cut (default: all). */
  times?: number;
}

export interface FaultConfig {
  /** Extra delay per request. */
  latencyMs?: number;
  /** Probability of a service error: code 50000, 50002 or 51060 with HTTP 200. */
  errorRate?: number;
  /** Probability of an HTTP 503 that never reached the API. */
  httpErrorRate?: number;
  /** Probability of holding the request until the client gives up. */
  timeoutRate?: number;
  /** Probability of destroying the socket without an answer. */
  dropRate?: number;
  /** Probability of a 40100 (throttled, not applied). */
  throttleRate?: number;
  /**
   * Probability that a list page comes back short while `page_info` stays the same: it keeps
   * floor(random × page_size) rows, so a page holding no more than that is not cut at all.
   */
  shortPageRate?: number;
  /** Chosen pages cut to a set length (checked before `shortPageRate`). */
  shortPages?: ShortPageFault[];
  /** Only endpoints matching this regex get the random faults above (default: all). */
  match?: string;
  throttle?: ThrottleFault;
  codes?: ForcedCode[];
  /**
   * The next `calls` (default 1) POSTs whose endpoint matches `match` (default: any) are carried
   * out, and then their answer is lost: the socket is destroyed after the change was made. TikTok
   * has no idempotency key (the API's conventions on retries), so a write whose answer was lost
   * (a timeout, a dropped connection) may have applied, and a client reads before it retries
   * (hubwarden's reading, connector README [INF] #68): the case this fault makes happen on demand. A fault of the emulator, not a TikTok
   * behaviour; its answer codes are not changed.
   */
  lostReply?: { match?: string; calls?: number };
  seed?: number;
}

const SERVICE_ERRORS: Array<[number, string]> = [
  [50000, 'System error.'],
  [50002, 'Error occurred when processing the request. Please try again later.'],
  [51060, 'BC service error. Please try again later.'],
];

export class FaultPlan {
  #config: FaultConfig = {};
  #random: () => number = Math.random;
  #throttleCount = 0;
  #throttledUntil: number | undefined;
  #forcedUsed: number[] = [];
  #shortUsed: number[] = [];
  #lostReplies = 0;

  constructor(private readonly now: () => number, initial?: FaultConfig) {
    this.set(initial ?? {});
  }

  set(config: FaultConfig): void {
    this.#config = { ...config };
    this.#random = config.seed === undefined ? Math.random : seededRandom(config.seed);
    this.#throttleCount = 0;
    this.#throttledUntil = undefined;
    this.#forcedUsed = (config.codes ?? []).map(() => 0);
    this.#shortUsed = (config.shortPages ?? []).map(() => 0);
    this.#lostReplies = 0;
  }

  get current(): FaultConfig {
    return { ...this.#config };
  }

  get latencyMs(): number {
    return this.#config.latencyMs ?? 0;
  }

  #roll(rate: number | undefined, endpoint: string): boolean {
    if (!rate) return false;
    if (this.#config.match !== undefined && !new RegExp(this.#config.match).test(endpoint)) return false;
    return this.#random() < rate;
  }

  /** A fault below the API: a held request, a dropped socket, or an HTTP 503. */
  transport(endpoint: string): 'timeout' | 'drop' | 'http-503' | undefined {
    if (this.#roll(this.#config.timeoutRate, endpoint)) return 'timeout';
    if (this.#roll(this.#config.dropRate, endpoint)) return 'drop';
    if (this.#roll(this.#config.httpErrorRate, endpoint)) return 'http-503';
    return undefined;
  }

  /** Whether the answer of this call, carried out already, is lost (`lostReply`: POSTs only). */
  loseReply(method: string, endpoint: string): boolean {
    const f = this.#config.lostReply;
    if (!f || method !== 'POST' || (f.match !== undefined && !new RegExp(f.match).test(endpoint))) return false;
    if (this.#lostReplies >= (f.calls ?? 1)) return false;
    this.#lostReplies++;
    return true;
  }

  /** A fault inside the API, after authentication: forced codes, throttling, service errors. */
  operation(endpoint: string): TikTokApiError | undefined {
    const codes = this.#config.codes ?? [];
    for (let i = 0; i < codes.length; i++) {
      const f = codes[i];
      if (!new RegExp(f.match).test(endpoint)) continue;
      if (f.times !== undefined && this.#forcedUsed[i] >= f.times) continue;
      this.#forcedUsed[i]++;
      return f.code === 40100 ? throttled() : new TikTokApiError(f.code, f.message ?? `injected error ${f.code}`);
    }
    if (this.#throttle(endpoint)) return throttled();
    if (this.#roll(this.#config.throttleRate, endpoint)) return throttled();
    if (this.#roll(this.#config.errorRate, endpoint)) {
      const [code, message] = SERVICE_ERRORS[Math.floor(this.#random() * SERVICE_ERRORS.length)];
      return new TikTokApiError(code, message);
    }
    return undefined;
  }

  /**
   * How many rows a short page keeps, or undefined for a full page. `page` and `total` (the rows
   * of the whole listing) tell a chosen cut (`shortPages`) whether the page holds more than it keeps.
   */
  shortPage(pageSize: number, endpoint: string, page = 1, total = Number.POSITIVE_INFINITY): number | undefined {
    const held = Math.max(0, Math.min(pageSize, total - (page - 1) * pageSize));
    const chosen = this.#config.shortPages ?? [];
    for (let i = 0; i < chosen.length; i++) {
      const f = chosen[i];
      if (!new RegExp(f.match).test(endpoint) || (f.page !== undefined && f.page !== page) || held <= f.keep) continue;
      if (f.times !== undefined && this.#shortUsed[i] >= f.times) continue;
      this.#shortUsed[i]++;
      return Math.max(0, f.keep);
    }
    if (pageSize <= 1 || !this.#roll(this.#config.shortPageRate, endpoint)) return undefined;
    return Math.floor(this.#random() * pageSize);
  }

  #throttle(endpoint: string): boolean {
    const t = this.#config.throttle;
    if (!t || (t.match !== undefined && !new RegExp(t.match).test(endpoint))) return false;
    const now = this.now();
    if (this.#throttledUntil !== undefined && now >= this.#throttledUntil) {
      this.#throttledUntil = undefined;
      this.#throttleCount = 0;
    }
    this.#throttleCount++;
    if (this.#throttledUntil === undefined) {
      if (this.#throttleCount <= (t.afterCalls ?? 0)) return false;
      this.#throttledUntil = now + (t.forMs ?? 1000);
    }
    return true;
  }
}
