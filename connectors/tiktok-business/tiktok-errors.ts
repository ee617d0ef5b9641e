import { ConnectorError, type ErrorKind } from '../sdk/connector-error.ts';
import { providerMessage } from '../sdk/redact.ts';

/**
 * THE table from TikTok's return codes to ConnectorError kinds ("Return codes" appendix,
 * https://business-api.tiktok.com/portal/docs?id=1737172488964097; names from the official
 * Python SDK's tiktok_code.py). TikTok says to branch on `code`; messages are free text, and the
 * only thing read from one is the field a 40002 names (`user_id: …`).
 *
 * Decisions recorded here:
 * - 40100, 40016, 40132, 40133 (too frequent) → rate-limited; the wait comes from the client's
 *   backoff (TikTok sends no wait, tiktok-client.ts), scope `app`: the limit is per developer app.
 * - 61000 (blocked for too many requests) → rate-limited with a long wait (1 h): stop calling.
 * - 60001 (maintenance) → rate-limited 5 min: it lifts by itself.
 * - 40007 (object does not exist) → not-found; callers turn it into already-done on removals.
 * - 40050 (duplicate request) → conflict; that the first may have applied (re-read, never
 *   resend) is hubwarden's reading, not TikTok's (README [INF] #73).
 * - 40202 (write conflict) → unavailable: TikTok says a retry may resolve it.
 * - 40001 → permission-denied (the token's user is not an admin, the asset is not reachable).
 *   On an asset assign/unassign the writer tells one unreachable asset apart from the token
 *   (write/asset-denied.ts): that asset's task fails without pausing the hub.
 * - 40102, 40105, 40106, 40101, 40104 → unauthenticated: re-authorize.
 * - 40051 (invalid API version) and 40010 (the domain is not supported for this version) →
 *   permission-denied, naming the config key (HUB_CONFIG_CODES): they are about the request URL,
 *   `{apiBaseUrl}/open_api/{apiVersion}/…`, which every call of the hub shares, so every call
 *   fails alike until the config is fixed. The hub pauses once with that reason (hub health), as
 *   for a refused token, instead of each task failing for good one after another. [INF #67]
 * - 40006 (the API version does not support these parameters) → invalid-argument, the task fails:
 *   it is about one request's parameters, and other calls (a leaver's removal) still go [INF #67].
 * - 20001 (partial success) → unavailable with the outcome unknown: re-read before any retry.
 * - HTTP 5xx → unavailable, outcome unknown, with a 5 min wait (TikTok's advice); the 5xxxx codes
 *   take the agent's plain backoff.
 * - HTTP 200 without the envelope, and a code outside the documented families (0, 20001, 4xxxx,
 *   5xxxx, 6xxxx) → unavailable, outcome unknown (README [INF] #71). A write's own success rule:
 *   write-answer.ts.
 */

export interface TikTokEnvelope {
  code: number;
  message?: string;
  request_id?: string;
  data?: unknown;
}

/**
 * The answer's envelope, or undefined when it has no `code`. TikTok's examples send `code` as a
 * JSON number ("Return codes", https://business-api.tiktok.com/portal/docs?id=1737172488964097);
 * a digit string is the same code [INF #63]: taken for no envelope, every answer, a success or a
 * 40100, failed `internal` and the hub stopped.
 */
export function envelopeOf(body: unknown): TikTokEnvelope | undefined {
  const b = body as { code?: unknown } | undefined;
  if (!b || typeof b !== 'object') return undefined;
  if (typeof b.code === 'number') return b as TikTokEnvelope;
  return typeof b.code === 'string' && /^\d{1,9}$/.test(b.code) ? { ...(b as object), code: Number(b.code) } as TikTokEnvelope : undefined;
}

const MINUTE = 60_000;
/** How long to wait after an HTTP 5xx before calling again (TikTok: "about 5 minutes"; toConnectorError). */
export const SERVER_FAULT_WAIT_MS = 5 * MINUTE;

interface Rule {
  codes: (code: number) => boolean;
  kind: ErrorKind;
  /** For rate-limited codes with a fixed wait; the others take the client's backoff. */
  waitMs?: number;
}

const among = (...list: number[]) => (code: number) => list.includes(code);
const range = (lo: number, hi: number) => (code: number) => code >= lo && code <= hi;

export const THROTTLE_CODES = [40100, 40016, 40132, 40133] as const;

/** A code that says "too many requests": the throttles, and 61000 (blocked for too many). */
export function isThrottleCode(code: number | undefined): boolean {
  return code !== undefined && ((THROTTLE_CODES as readonly number[]).includes(code) || code === 61000);
}

/**
 * A write TikTok refused as asked, not applied: a bad parameter (40000, 40002) or a duplicate
 * (40050), not access, throttling or a fault. Where TikTok leaves open whether a repeat is
 * ignored or refused (an invite of a listed address, an assign over a held role: [INF] #12, #20
 * in the README), a writer re-reads the state on one of these before failing.
 */
export const REFUSAL_CODES = ['40000', '40002', '40050'] as const;

/**
 * A failure that passes by itself: a throttle (the app's rate limit, TikTok "Rate limits",
 * https://business-api.tiktok.com/portal/docs/rate-limits/v1.3) or a fault (unavailable). When the read that would explain a refused
 * write fails this way, the write fails with it, so the agent waits and tries again (the retry
 * reads first), instead of failing the task for good or pausing the hub on a guess.
 */
export function isPassing(err: unknown): err is ConnectorError {
  return err instanceof ConnectorError && (err.kind === 'rate-limited' || err.kind === 'unavailable');
}

/** The write's error when the read explaining its refusal `refused` passed by (isPassing): that read's kind and wait; the write was not applied. */
export function recheckPassed(recheck: ConnectorError, refused: unknown, what: string): ConnectorError {
  const code = refused instanceof ConnectorError ? refused.providerCode : undefined;
  return recheck.with({ message: `${what}: TikTok refused it (${code}) and the read to tell why did not go through: ${recheck.message}`, notApplied: true });
}

export function isRefusal(err: unknown): err is ConnectorError {
  return err instanceof ConnectorError && err.notApplied === true && (REFUSAL_CODES as readonly string[]).includes(err.providerCode ?? '');
}

export const TIKTOK_ERROR_TABLE: Rule[] = [
  { codes: among(...THROTTLE_CODES), kind: 'rate-limited' },
  { codes: among(61000), kind: 'rate-limited', waitMs: 60 * MINUTE },
  { codes: among(60001), kind: 'rate-limited', waitMs: 5 * MINUTE },
  { codes: among(40101, 40102, 40104, 40105, 40106), kind: 'unauthenticated' },
  { codes: among(40001, 40113, 40118, 40119, 40125, 40130, 41000), kind: 'permission-denied' },
  { codes: (code) => HUB_CONFIG_CODES[code] !== undefined, kind: 'permission-denied' },
  { codes: among(40007, 40300, 40301), kind: 'not-found' },
  { codes: among(40050), kind: 'conflict' },
  { codes: among(40202, 20001, 50000, 50002), kind: 'unavailable' },
  { codes: range(51000, 52999), kind: 'unavailable' },
  { codes: among(40000, 40002, 40006, 40008, 40009, 40011, 40013, 40014, 41001, 41002), kind: 'invalid-argument' },
];

/**
 * Codes that say the hub's request URL, `{apiBaseUrl}/open_api/{apiVersion}/<endpoint>/` (TikTok
 * API Reference, "Request URL format", https://business-api.tiktok.com/portal/docs/api-reference/v1.3),
 * is wrong, with the config key to fix ("Return codes",
 * https://business-api.tiktok.com/portal/docs?id=1737172488964097: 40051 "invalid API version",
 * 40010 the domain is not supported for this version). Every call of the hub shares that URL.
 */
export const HUB_CONFIG_CODES: Readonly<Record<number, string>> = {
  40051: 'TikTok does not serve the API version set in tiktok.apiVersion (the current one is v1.3)',
  40010: 'TikTok does not serve this API version at the host set in tiktok.apiBaseUrl (https://business-api.tiktok.com)',
};

/** 40006 names no field; the version is the hub's config, the parameters the call's own. */
const VERSION_PARAMETERS = 'the API version set in tiktok.apiVersion does not support the parameters of this call';

export function ruleOf(code: number): Rule | undefined {
  return TIKTOK_ERROR_TABLE.find((r) => r.codes(code));
}

/** `user_id: 7200… is not a member` → `user_id`; TikTok's 40002 messages name the field first. */
export function fieldOf(message: string | undefined): string | undefined {
  const m = /^([a-z_]+(?:\.[a-z_]+)*(?:\[\d+\])?)\s*:/.exec(message ?? '') ?? /\b(?:param(?:eter)?|field)\s+([a-z_.]+)/i.exec(message ?? '');
  return m?.[1];
}

/** An HTTP 200 answer without TikTok's envelope (toConnectorError). */
export const NO_ENVELOPE = 'no-envelope';

/** 4xxxx, 5xxxx and 6xxxx: the families of codes TikTok documents as refusals and faults (whole numbers only). */
function inDocumentedFamily(code: number): boolean {
  return Number.isInteger(code) && code >= 40000 && code < 70000;
}

function kindFromStatus(status: number): ErrorKind {
  if (status === 0 || status >= 500) return 'unavailable';
  if (status === 404 || status === 405) return 'internal';
  return 'internal';
}

export interface TikTokFailure {
  status: number;
  body: unknown;
}

/**
 * A failed answer as a ConnectorError. HTTP 4xx means the call never reached the API (a wrong
 * path, slash or method: our bug, internal), except 429, a rate limit; 5xx is unavailable. An envelope with a non-zero code
 * was not applied (except 20001), so those errors are marked `notApplied`.
 */
export function toConnectorError(failure: TikTokFailure, what: string, rateWaitMs: () => number, redact: (s: string) => string = (s) => s): ConnectorError {
  const env = envelopeOf(failure.body);
  if (failure.status === 429) {
    // TikTok answers its own limits with HTTP 200 and code 40100; a 429 (RFC 6585 section 4) can
    // still come from a proxy or gateway in front of it. It is a rate limit, not our bug: the app
    // scope waits and the call is tried again, instead of failing as internal for good.
    const ms = rateWaitMs();
    return new ConnectorError('rate-limited', redact(`${what}: rate-limited (retry in ${Math.ceil(ms / 1000)} s): HTTP 429`), { providerCode: 'http 429', retryAfterMs: ms, limitScope: 'app', notApplied: true });
  }
  if (failure.status === 200 && !env) {
    // HTTP 200 is every answer that reached the API, and each carries the envelope with a numeric
    // `code` ("Return codes", https://business-api.tiktok.com/portal/docs?id=1737172488964097).
    // One without it (an HTML page, text, an empty body: a proxy or gateway in between) says
    // neither that the call was made nor that it was refused: outcome unknown, the agent's retry
    // reads first. Taken for our bug (internal), a removal so answered failed for good after three
    // quick tries over a gateway's passing fault.
    return new ConnectorError('unavailable', redact(`${what}: unavailable: HTTP 200 without TikTok's answer envelope (no numeric code); whether it was applied is unknown`), { providerCode: NO_ENVELOPE });
  }
  if (failure.status !== 200 || !env) {
    const kind = kindFromStatus(failure.status);
    if (failure.status >= 500 && failure.status < 600) {
      // TikTok's advice for an HTTP 5xx (the server failed) is to wait about 5 minutes, retry, and
      // raise a ticket if it repeats ("Return codes",
      // https://business-api.tiktok.com/portal/docs?id=1737172488964097): the agent's retry waits
      // at least this long instead of its short backoff. Not for the 5xxxx service codes in an
      // HTTP 200 envelope: the page gives those a meaning only, and hubwarden retries them with
      // its plain backoff (README [INF] #31, #73).
      return new ConnectorError(kind, redact(`${what}: ${kind} (retry in ${Math.ceil(SERVER_FAULT_WAIT_MS / MINUTE)} min): HTTP ${failure.status}`), {
        providerCode: `http ${failure.status}`, retryAfterMs: SERVER_FAULT_WAIT_MS,
      });
    }
    const hint = failure.status === 404 ? ' (wrong path or missing trailing slash)'
      : failure.status >= 300 && failure.status < 400 ? ' (a redirect, not followed: the Access-Token goes to the configured apiBaseUrl only)' : '';
    return new ConnectorError(kind, redact(`${what}: ${kind}: HTTP ${failure.status}${hint}`), {
      providerCode: `http ${failure.status}`, ...(failure.status >= 400 && failure.status < 500 ? { notApplied: true } : {}),
    });
  }
  const code = env.code;
  const rule = ruleOf(code);
  const text = `${providerMessage(env.message ?? '', redact)} [${code}${env.request_id ? `, request_id ${env.request_id}` : ''}]`;
  if (!rule && !inDocumentedFamily(code)) {
    // TikTok's codes are 0 (success), 20001 (partially successful), 4xxxx (client-side error),
    // 5xxxx (service error), and its appendix lists 60001 and 61000 ("Return codes",
    // https://business-api.tiktok.com/portal/docs?id=1737172488964097). A code outside those
    // (20002, 30000, 1, -1) says neither success nor refusal: 20001's family is partial success.
    // Outcome unknown (README [INF] #71): backed off a bounded number of times, the retry reads
    // first, never a success and never "not applied".
    return new ConnectorError('unavailable', redact(`${what}: unavailable: TikTok answered a code it does not document: ${text}; whether it was applied is unknown`), { providerCode: String(code) });
  }
  const kind: ErrorKind = rule?.kind ?? (code >= 50000 ? 'unavailable' : 'invalid-argument');
  const notApplied = code !== 20001;
  const providerCode = String(code);
  if (kind === 'rate-limited') {
    const ms = rule?.waitMs ?? rateWaitMs();
    const wait = ms >= MINUTE ? `${Math.ceil(ms / MINUTE)} min` : `${Math.ceil(ms / 1000)} s`;
    return new ConnectorError(kind, redact(`${what}: rate-limited (retry in ${wait}): ${text}`), { providerCode, retryAfterMs: ms, limitScope: 'app', notApplied });
  }
  const config = HUB_CONFIG_CODES[code];
  if (config) {
    // Paused on it (agent/tasks/retry-policy.ts), the hub's health shows this message: what to fix first.
    return new ConnectorError(kind, redact(`${what}: ${kind} (config): ${config}; every call of this hub fails alike until it is fixed: ${text}`), { providerCode, notApplied });
  }
  if (kind === 'invalid-argument') {
    const field = fieldOf(redact(env.message ?? ''));
    const hint = code === 40006 ? ` (${VERSION_PARAMETERS})` : '';
    return new ConnectorError(kind, redact(`${what}: invalid-argument${field ? ` (${field})` : ''}: ${text}${hint}`), { providerCode, notApplied, ...(field ? { field } : {}) });
  }
  return new ConnectorError(kind, redact(`${what}: ${kind}: ${text}`), { providerCode, notApplied });
}
