import { ConnectorError } from '../sdk/connector-error.ts';
import type { ConnectorContext } from '../sdk/definition.ts';
import type { HttpClient, QueryValue } from '../sdk/http.ts';
import { formatWait, type RateLimitBook } from '../sdk/rate-limit-book.ts';
import { envelopeOf, isRefusal, toConnectorError } from './tiktok-errors.ts';
import type { Pacer, ThrottleBackoff } from './pacing.ts';
import { inexactId } from './mappers/inexact-id.ts';
import { unconfirmedWrite } from './write-answer.ts';

/**
 * A thin client of TikTok API for Business for one token and one Business Center: requests to
 * `{apiBaseUrl}/open_api/{version}/<endpoint>/` (the trailing slash matters), the token in the
 * `Access-Token` header only, GET parameters in the query with objects JSON-encoded (as the
 * official JS SDK's ApiClient does), POST bodies as JSON; the envelope's `code` decides the
 * outcome (HTTP 200 on every answer that reached the API). Every failure goes through the one
 * table (tiktok-errors.ts). It never retries a write or a throttled call (the agent's retry policy
 * owns that); a list page that came back short, or failed with a service code or a lost answer,
 * is read again up to READ_ATTEMPTS times (after a backoff but for a short page); an HTTP 5xx is
 * not (it carries TikTok's advised 5 min wait, which the agent's retry honours). A 40100 blocks the app scope for the backoff's wait, and calls into
 * a blocked scope are refused here.
 */

export type TikTokParams = Record<string, unknown>;

export interface PageInfo {
  page: number;
  page_size: number;
  total_number: number;
  total_page: number;
}

export interface ListData<T> {
  list: T[];
  page_info: PageInfo;
}

/**
 * `page_info` with numbers that say where the list ends (every TikTok API for Business list answer
 * carries `page`, `page_size`, `total_number`, `total_page`, and `total_page` is
 * ceil(total_number / page_size)). A full page that says nothing of the rest, or
 * totals that are not numbers, cannot tell whether more rows follow: the read fails (read again,
 * then the caller backs off) rather than taking the rows so far for the whole list, which a
 * removal could then be decided from. Numbers sent as strings are read; `total_page` missing is
 * worked out from `total_number`.
 */
function pageInfoOf(raw: Partial<Record<keyof PageInfo, unknown>> | undefined, page: number, asked: number, rows: number, what: string): PageInfo {
  if (raw === undefined || raw === null) {
    // No page_info: only a page with room to spare is plainly the last.
    if (rows < asked) return { page, page_size: asked, total_number: (page - 1) * asked + rows, total_page: rows > 0 || page > 1 ? page : 0 };
    throw new ConnectorError('unavailable', `${what}: page ${page} came back full (${rows} rows) without page_info: cannot tell whether more rows follow; read it again`, { providerCode: PAGE_INFO });
  }
  const count = (v: unknown) => (typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v)) ? Number(v) : Number.NaN);
  // A server may serve fewer rows a page than asked (its own maximum `page_size`: TikTok gives
  // one for some endpoints only) and say so in `page_info.page_size`; its pages and `total_page`
  // then count at that size [INF #9]. Checked at the asked size, every page of it looked short or
  // its `total_page` too large, and no listing could be read at all.
  const served = count(raw.page_size);
  const pageSize = Number.isSafeInteger(served) && served >= 1 && served < asked ? served : asked;
  const totalNumber = count(raw.total_number);
  const totalPage = raw.total_page === undefined ? Math.ceil(totalNumber / pageSize) : count(raw.total_page);
  if (!Number.isSafeInteger(totalNumber) || !Number.isSafeInteger(totalPage)) {
    throw new ConnectorError('unavailable', `${what}: page ${page} came back with a page_info that gives no row or page count (${JSON.stringify({ total_number: raw.total_number, total_page: raw.total_page })}): cannot tell where the list ends; read it again`, { providerCode: PAGE_INFO });
  }
  // Fewer pages than the rows need at this page size: stopping at `total_page` would leave rows
  // unread, and which of the two counts is wrong cannot be told.
  const needed = Math.ceil(totalNumber / pageSize);
  if (totalPage < needed) {
    throw new ConnectorError('unavailable', `${what}: page ${page} came back with a page_info whose ${totalPage} pages cannot hold its ${totalNumber} rows at ${pageSize} a page: cannot tell where the list ends; read it again`, { providerCode: PAGE_INFO });
  }
  // More pages than the rows need (`total_page` is ceil(total_number / page_size); one empty page
  // for an empty list is let pass): either count may be the wrong one, and followed, a
  // `total_page` far beyond the rows (empty pages one after another) kept a read calling TikTok
  // without end. Not a listing cut short either: read it again.
  if (totalPage > Math.max(needed, 1)) {
    throw new ConnectorError('unavailable', `${what}: page ${page} came back with a page_info of ${totalPage} pages for its ${totalNumber} rows at ${pageSize} a page (${needed} needed): cannot tell where the list ends; read it again`, { providerCode: PAGE_INFO });
  }
  // Fewer rows counted than this page and the ones before it hold (offset paging: page p starts
  // after (p - 1) * page_size rows): the count is wrong, so `total_page` cannot be trusted either.
  // Taken at its word (`total_number: 0` on a full first page), the read stopped with rows unread.
  const held = (page - 1) * pageSize + rows;
  if (rows > 0 && totalNumber < held) {
    const where = page === 1 ? 'page 1 holds' : `pages 1 to ${page} hold`;
    throw new ConnectorError('unavailable', `${what}: page ${page} came back with a page_info that counts ${totalNumber} rows but ${where} ${held}: cannot tell where the list ends; read it again`, { providerCode: PAGE_INFO });
  }
  return { page, page_size: pageSize, total_number: totalNumber, total_page: totalPage };
}

export interface TikTokClientOptions {
  http: HttpClient;
  version: string;
  token: string;
  bcId: string;
  book: RateLimitBook;
  pacer: Pacer;
  backoff: ThrottleBackoff;
  log?: ConnectorContext['log'];
  /** The wait between tries of a page read, and its jitter (0..1); injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** Tries per page read on a short page, a service code or a lost answer (writes are never repeated here). */
export const READ_ATTEMPTS = 3;
/** The wait before the second try of a page read after a service code or a lost answer; it doubles. */
export const READ_BACKOFF_FIRST_MS = 1_000;
const SHORT_PAGE = 'short-page';
/** A page whose `page_info` cannot say where the list ends. */
const PAGE_INFO = 'page-info';
const LISTING_CHANGED = 'listing-changed';
/** An answer with an id sent as a number past 2^53 (mappers/inexact-id.ts); not read again: it would say the same. */
const INEXACT_ID = 'inexact-id';
/**
 * The most pages one whole-list read (`all`, a write's look-up or a check's per-asset read) asks
 * for. TikTok documents at most 4,000 members per Business Center (200 pages of 20) and no cap on
 * assets; 2,000 pages is 40,000 rows at 20 a page, 100,000 at 50 (README [INF] #9). A listing that
 * says it has more is not read at all: reading it again meets the same count, so it fails
 * `internal`, never a listing taken for whole from its first pages, nor a task calling TikTok for
 * hours while its hub's queue waits.
 */
export const MAX_LIST_PAGES = 2_000;

/**
 * TikTok's API spec gives `page`/`page_size` paging (https://github.com/tiktok/tiktok-business-api-sdk/tree/main/yml_files) but not what a page past the
 * end answers: the vendor docs are silent; [INF #9] an empty `list` is assumed, and a refusal may come instead. Pages after the first are asked for only
 * up to the `total_page` an earlier page gave, with the same parameters, so a refusal (40000,
 * 40002) of one can only be its `page`: the list shrank meanwhile. That is listing-changed
 * (unavailable), read again from the start, not a bad parameter that fails for good.
 */
function pastTheEnd(err: unknown, page: number, what: string): unknown {
  if (page <= 1 || !isRefusal(err) || err.providerCode === '40050') return err;
  return new ConnectorError('unavailable', `${what}: page ${page} is no longer there (TikTok answered ${err.providerCode}): the list shrank while it was read; read it again from the start`, { providerCode: LISTING_CHANGED, cause: err });
}

/** Every app-wide call counts against this scope (rate limits are per developer app). */
export const APP_SCOPE = 'app';

function encodeQuery(params: TikTokParams): Record<string, QueryValue> {
  const out: Record<string, QueryValue> = {};
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    out[k] = typeof v === 'object' && v !== null ? JSON.stringify(v) : (v as QueryValue);
  }
  return out;
}

export class TikTokClient {
  readonly bcId: string;
  readonly #o: TikTokClientOptions;

  constructor(options: TikTokClientOptions) {
    this.#o = options;
    this.bcId = options.bcId;
  }

  /** Refuses without calling while the app scope is blocked (hammering extends TikTok's block). */
  #assertNotBlocked(what: string): void {
    const left = this.#o.book.remainingMs(APP_SCOPE);
    if (left > 0) {
      throw new ConnectorError('rate-limited', `${what}: rate-limited (retry in ${formatWait(left)}): TikTok throttled this app (40100); calls are paused`, {
        retryAfterMs: left, limitScope: APP_SCOPE, providerCode: 'local', notApplied: true,
      });
    }
  }

  /** One call; the envelope's `data` on code 0, else the mapped ConnectorError. */
  async call<T = unknown>(method: 'GET' | 'POST', endpoint: string, params: TikTokParams, what: string): Promise<T> {
    return (await this.callWhenDue<T>(method, endpoint, () => ({ params, what }), what)).data as T;
  }

  /**
   * A call whose parameters are decided when the pacer lets it go (`build`), so a batch can take
   * in everything queued while it waited; `build` returning undefined sends nothing.
   */
  async callWhenDue<T = unknown>(method: 'GET' | 'POST', endpoint: string, build: () => { params: TikTokParams; what: string } | undefined, waiting: string): Promise<{ sent: boolean; data?: T }> {
    this.#assertNotBlocked(waiting);
    try {
      await this.#o.pacer.take();
    } catch (err) {
      // The day's calls are spent (Pacer qpd): the whole app scope waits for 00:00 UTC.
      if (!(err instanceof ConnectorError) || err.kind !== 'rate-limited' || !err.retryAfterMs) throw err;
      this.#o.book.block(APP_SCOPE, err.retryAfterMs);
      throw err.with({ message: `${waiting}: ${err.message}` });
    }
    this.#assertNotBlocked(waiting);
    const built = build();
    if (!built) return { sent: false };
    return { sent: true, data: await this.#send<T>(method, endpoint, built.params, built.what) };
  }

  async #send<T>(method: 'GET' | 'POST', endpoint: string, params: TikTokParams, what: string): Promise<T> {
    const path = `open_api/${this.#o.version}/${endpoint}/`;
    const headers = { 'Access-Token': this.#o.token };
    const res = await this.#o.http.request(method === 'GET'
      ? { method, path, query: encodeQuery(params), headers, what }
      : { method, path, json: params, headers, what });
    const env = envelopeOf(res.body);
    // A write counts as made only on the answer TikTok names a success (write-answer.ts).
    const unconfirmed = method === 'POST' ? unconfirmedWrite(res.status, res.body, what) : undefined;
    if (res.status === 200 && env?.code === 0 && !unconfirmed) {
      this.#o.backoff.reset();
      const inexact = method === 'GET' ? inexactId(env.data) : undefined;
      if (inexact) {
        throw new ConnectorError('unavailable', `${what}: TikTok sent an id (${inexact}) as a number too large to read exactly; ids travel as strings, so nothing is decided from this answer`, { providerCode: INEXACT_ID });
      }
      return (env.data ?? {}) as T;
    }
    const mapped = unconfirmed && env?.code === 0 ? undefined : toConnectorError(res, what, () => this.#o.backoff.next(), (s) => this.#o.http.redact(s));
    // A throttle code sent as a string still pauses the app scope; the write's outcome stays unknown.
    if (mapped?.kind === 'rate-limited' && mapped.retryAfterMs) this.#o.book.block(mapped.limitScope ?? APP_SCOPE, mapped.retryAfterMs);
    const error = unconfirmed
      ? new ConnectorError('unavailable', this.#o.http.redact(unconfirmed.message), { providerCode: unconfirmed.providerCode, ...(mapped?.retryAfterMs ? { retryAfterMs: mapped.retryAfterMs } : {}) })
      : mapped!;
    const meta = { kind: error.kind, providerCode: error.providerCode, status: res.status, bcId: this.bcId };
    if (res.status >= 500 || (env?.code ?? 0) >= 50000) this.#o.log?.error(error.message, meta);
    else this.#o.log?.warn(error.message, meta);
    throw error;
  }

  /**
   * One page of a list endpoint. A page with fewer rows than `page_info` promises for it means rows
   * moved or the answer was cut: `unavailable`, so the caller reads it again.
   */
  async page<T>(endpoint: string, params: TikTokParams, page: number, pageSize: number, what: string): Promise<ListData<T>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#pageOnce<T>(endpoint, params, page, pageSize, what);
      } catch (err) {
        const waitMs = attempt < READ_ATTEMPTS ? this.#rereadAfterMs(err, attempt) : undefined;
        if (waitMs === undefined) throw pastTheEnd(err, page, what);
        if (waitMs > 0) await this.#sleep(waitMs);
      }
    }
  }

  /**
   * When a failed page read may be read again (undefined: never, the caller backs off). A short
   * page is read again at once: rows moved while TikTok answered, not a fault. A service code
   * (50000, 50002, 51xxx, 52xxx; "Return codes",
   * https://business-api.tiktok.com/portal/docs?id=1737172488964097, gives their meaning, and
   * hubwarden retries them with backoff, README [INF] #31, #73) or 40202 (the same page: a retry
   * may resolve it) is read again after 1 s, then 2 s, ±20 %. A
   * lost answer (timeout, dropped socket) waits the same, so a slow server is not hammered. An
   * HTTP 5xx is not read again here: TikTok's advice is to wait about 5 minutes, longer than a
   * read should hang, so it fails `unavailable` with that wait (`retryAfterMs`) and the agent runs
   * the task again no sooner.
   */
  #rereadAfterMs(err: unknown, attempt: number): number | undefined {
    if (!(err instanceof ConnectorError) || err.kind !== 'unavailable') return undefined;
    if (err.providerCode === SHORT_PAGE) return 0;
    if (err.providerCode === INEXACT_ID) return undefined;
    if (err.providerCode?.startsWith('http ')) return undefined;
    const base = READ_BACKOFF_FIRST_MS * 2 ** (attempt - 1);
    return Math.round(base * (0.8 + 0.4 * (this.#o.random ?? Math.random)()));
  }

  #sleep(ms: number): Promise<void> {
    return this.#o.sleep ? this.#o.sleep(ms) : new Promise((resolve) => setTimeout(resolve, ms));
  }

  async #pageOnce<T>(endpoint: string, params: TikTokParams, page: number, pageSize: number, what: string): Promise<ListData<T>> {
    const data = await this.call<Partial<ListData<T>>>('GET', endpoint, { ...params, page, page_size: pageSize }, what);
    // An answer with neither `list` nor `page_info` says nothing of the rows (every list answer
    // carries both, "The answer's data holds list and page_info"): not an empty list, read it again.
    if (!Array.isArray(data.list) && (data.page_info === undefined || data.page_info === null)) {
      throw new ConnectorError('unavailable', `${what}: page ${page} came back without a list or page_info: cannot tell which rows there are; read it again`, { providerCode: PAGE_INFO });
    }
    const list = Array.isArray(data.list) ? data.list : [];
    const info = pageInfoOf(data.page_info, page, pageSize, list.length, what);
    const expected = Math.max(0, Math.min(info.page_size, info.total_number - (page - 1) * info.page_size));
    if (list.length < expected) {
      throw new ConnectorError('unavailable', `${what}: page ${page} of ${info.total_page} came back with ${list.length} of ${expected} rows; read it again`, { providerCode: SHORT_PAGE });
    }
    return { list, page_info: info };
  }

  /**
   * Every page of a list endpoint, de-duplicated by `key`; read again whole if the total moved
   * meanwhile, or a row of an earlier page is listed again on a later one (at most 3 reads). Pages are asked for only up to the first page's `total_page`
   * (never beyond, however full they come back), at most MAX_LIST_PAGES of them, and a read stops
   * at the first page whose total differs from the first page's: the rest would be read again
   * anyway, and a total that grows on every page must not be followed.
   */
  async all<T>(endpoint: string, params: TikTokParams, pageSize: number, what: string, key: (row: T) => string): Promise<T[]> {
    for (let attempt = 1; ; attempt++) {
      const rows = new Map<string, T>();
      const first = await this.page<T>(endpoint, params, 1, pageSize, what);
      if (first.page_info.total_page > MAX_LIST_PAGES) {
        throw new ConnectorError('internal', `${what}: TikTok counts ${first.page_info.total_number} rows on ${first.page_info.total_page} pages, more than the ${MAX_LIST_PAGES} pages one read takes; the list cannot be read whole, so nothing is decided from it`, { providerCode: 'too-many-pages' });
      }
      for (const r of first.list) rows.set(key(r), r);
      let total = first.page_info.total_number;
      // A row of an earlier page listed again: the rows moved under offset paging (rows added
      // before the offset already read), and with a row removed further on the total stays the
      // same while the added row was on no page read. Read again, as for a changed total.
      let shifted = false;
      for (let p = 2; p <= first.page_info.total_page && total === first.page_info.total_number && !shifted; p++) {
        let next: ListData<T>;
        try {
          next = await this.page<T>(endpoint, params, p, pageSize, what);
        } catch (err) {
          // A page that is no longer there: the list shrank meanwhile (pastTheEnd).
          if (!(err instanceof ConnectorError && err.providerCode === LISTING_CHANGED) || attempt >= 3) throw err;
          total = -1;
          break;
        }
        shifted = next.list.some((r) => rows.has(key(r)));
        for (const r of next.list) rows.set(key(r), r);
        total = next.page_info.total_number;
      }
      if (total === first.page_info.total_number && !shifted) return [...rows.values()];
      if (attempt >= 3) throw new ConnectorError('unavailable', `${what}: the list kept changing while it was read (${shifted ? 'rows moved between pages' : `${first.page_info.total_number} → ${total} rows`})`, { providerCode: LISTING_CHANGED });
    }
  }
}
