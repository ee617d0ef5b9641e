import { ConnectorError, type ErrorKind } from '../sdk/connector-error.ts';
import { formatWait } from '../sdk/rate-limit-book.ts';
import { providerMessage } from '../sdk/redact.ts';
import { parseUsage, type GraphUsage } from './graph-usage.ts';
import { PROOF_REFUSED, proofRefusedText } from './app-secret.ts';

/**
 * THE table mapping Graph API errors to ConnectorError kinds (reference
 * https://developers.facebook.com/documentation/ads-commerce/marketing-api/error-reference codes, https://developers.facebook.com/docs/graph-api/overview/rate-limiting limits). Meta says to key on codes, not message text (https://developers.facebook.com/docs/graph-api/guides/error-handling); the only text we
 * read is the `(#100) The parameter X …` field name, "already" for idempotency, and Graph's words
 * for a missing object when a 100 carries no subcode (MISSING_OBJECT).
 *
 * Decisions recorded here:
 * - 368 ("temporarily blocked for policy violations", action "wait" in https://developers.facebook.com/documentation/ads-commerce/marketing-api/error-reference) → rate-limited with a
 *   1 h wait, scoped to the business: the block lifts by itself, so the agent waits instead of
 *   paging an admin; hammering would extend it.
 * - 10/2859030 "Please retry this action in a few minutes" → rate-limited 5 min (not a permission),
 *   scoped to the business like 368.
 * - 80000–80014 (BUC) → rate-limited for `estimated_time_to_regain_access`, scoped to the object
 *   the header names (bucScope); without one, to the ad account the call was on, else the business.
 * - The client refuses calls into a blocked scope without calling (graph-client.ts), since
 *   "continued calls extend the block" (https://developers.facebook.com/docs/graph-api/overview/rate-limiting).
 * - 341 "Application limit reached" → rate-limited like code 4 ("Application request limit
 *   reached"): 10 min, scope app. The error reference's action is "retry", and real clients retry
 *   it with 4 and 17 ([OBS]); but it is an application-level limit like 4, and "continued calls
 *   extend the block" (https://developers.facebook.com/docs/graph-api/overview/rate-limiting).
 *   Read as unavailable, a batch re-sent the read at once and the task retried within seconds,
 *   calling into the limit; as rate-limited the app's calls pause (the agent waits on `app`).
 * - 17 on POST business_users or on cancelling an invite is the invite limit → rate-limited 24 h,
 *   scope `invite:<businessId>`.
 * - 100/33 (object does not exist or cannot be loaded) → not-found; so is a 100 without subcode
 *   in Graph's words for it (MISSING_OBJECT).
 * - 3914 (last admin) → conflict, the same refusal the connector makes locally.
 * - A 100 naming `appsecret_proof` (a wrong proof, or none where the app requires one,
 *   https://developers.facebook.com/docs/graph-api/securing-requests) → unauthenticated, field
 *   `meta.appSecret`: every call fails alike until the hub's app secret is fixed, so the hub pauses
 *   with the reason instead of each task failing as a bad argument (README [INF]).
 * - A plain HTTP 403 (no Graph error code in the body) → rate-limited like code 4, scope app:
 *   quota exhaustion can come back so (python-social-auth/social-core#859: a 403 that was "(#4)
 *   Application request limit reached"). Read as permission-denied it paused the hub until an
 *   admin resumed it; a real permission error carries a Graph code (10, 200–299) and keeps its kind.
 */

export interface GraphErrorBody {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  error_user_title?: string;
  error_user_msg?: string;
  error_data?: { blame_field_specs?: string[][] } | unknown;
  is_transient?: boolean;
  fbtrace_id?: string;
}

export interface GraphFailure {
  status: number;
  body: unknown;
  headers?: Headers | Record<string, string | undefined>;
  /** The Graph path the failed call (or batch operation) was on, relative to the version root. */
  path?: string;
}

export interface GraphErrorContext {
  /** Who/what/which, e.g. `meta-business: invite j@x.com to business 100`. */
  what: string;
  businessId: string;
  /**
   * The call is subject to the invite limit: POST business_users, and cancelling an invite
   * (DELETE /{request-id}), since a re-send is cancel + invite and both steps count as sending
   * invitations (README [INF]). Code 17 there means 24 h on `invite:<business>`, and the call is
   * refused locally while that scope is blocked.
   */
  isInvite?: boolean;
  /**
   * Kinds of refusal the caller takes as an answer, not a failure (the token check asking
   * `debug_token` of a Graph front that may not serve it): logged at debug, not warn.
   */
  answers?: readonly ErrorKind[];
  /** Set by GraphClient: the hub's id and whether the call carried an `appsecret_proof`, for the message of a refused proof. */
  appSecret?: { hubId?: string; sent: boolean };
}

/**
 * The error envelope of a Graph answer, its `code` and `error_subcode` as numbers. Meta's examples
 * give them as JSON numbers (https://developers.facebook.com/docs/graph-api/guides/error-handling),
 * but Graph sends ids and other numbers as strings elsewhere; a Graph sending `"code": "4"` had
 * every rule of the table miss it (a throttle read as a bad request failed the task for good, a
 * 100/33 on a removal was no "already gone"). A numeric string is read as its number; a `null` or
 * empty subcode as none (it is optional). Anything else is left as sent (README [INF]).
 */
export function graphErrorOf(body: unknown): GraphErrorBody | undefined {
  const err = (body as { error?: unknown } | undefined)?.error;
  if (!err || typeof err !== 'object' || Array.isArray(err)) return undefined;
  const e = err as Record<string, unknown>;
  const code = numberOf(e.code);
  const subcode = numberOf(e.error_subcode);
  if (code === e.code && subcode === e.error_subcode) return err as GraphErrorBody;
  const out: Record<string, unknown> = { ...e, code, error_subcode: subcode };
  if (code === undefined) delete out.code;
  if (subcode === undefined) delete out.error_subcode;
  return out as GraphErrorBody;
}

function numberOf(v: unknown): unknown {
  if (v === null || v === '') return undefined;
  if (typeof v === 'string' && /^\s*\d+\s*$/.test(v)) return Number(v);
  return v;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * Graph's words for a missing object, the message of 100/33 ("Unsupported get request. Object with
 * ID 'x' does not exist, cannot be loaded due to missing permissions, or does not support this
 * operation", https://developers.facebook.com/docs/graph-api/guides/error-handling). The subcode
 * is optional in the envelope, so a 100 that carries none but says this is the same not-found
 * (README [INF]: a Graph that omits the subcode).
 */
export const MISSING_OBJECT = /^(\(#100\)\s*)?Unsupported (get|post|delete) request\b|Object with ID '[^']*' does not exist/i;

interface Rule {
  when: (code: number, subcode: number | undefined, ctx: GraphErrorContext, message?: string) => boolean;
  kind: ErrorKind;
  /** For rate-limited: the wait when the headers give none, and the scope it applies to. */
  wait?: (ctx: GraphErrorContext) => { ms: number; scope: string };
}

const inRange = (code: number, lo: number, hi: number): boolean => code >= lo && code <= hi;
/** A BUC throttle (80000–80014) whose headers give no `estimated_time_to_regain_access`. */
const BUC_WAIT_MS = 5 * MINUTE;
/** Code 4 and 341, the app-level limits, and a plain HTTP 403 read as code 4. */
const APP_LIMIT_WAIT = (): { ms: number; scope: string } => ({ ms: 10 * MINUTE, scope: 'app' });

/** First match wins; order matters where a subcode refines a code. */
export const GRAPH_ERROR_TABLE: Rule[] = [
  { when: (c) => c === 190 || c === 102 || c === 104, kind: 'unauthenticated' },
  { when: (c, _s, _x, m) => c === 100 && PROOF_REFUSED.test(m ?? ''), kind: 'unauthenticated' },
  { when: (c, s) => c === 10 && s === 2859030, kind: 'rate-limited', wait: (x) => ({ ms: 5 * MINUTE, scope: `business:${x.businessId}` }) },
  { when: (c, _s, x) => c === 17 && x.isInvite === true, kind: 'rate-limited', wait: (x) => ({ ms: 24 * HOUR, scope: `invite:${x.businessId}` }) },
  { when: (c) => c === 368, kind: 'rate-limited', wait: (x) => ({ ms: HOUR, scope: `business:${x.businessId}` }) },
  { when: (c) => c === 4 || c === 341, kind: 'rate-limited', wait: APP_LIMIT_WAIT },
  { when: (c) => c === 17 || c === 32 || c === 613, kind: 'rate-limited', wait: () => ({ ms: 5 * MINUTE, scope: 'app' }) },
  { when: (c) => inRange(c, 80000, 80014), kind: 'rate-limited', wait: (x) => ({ ms: BUC_WAIT_MS, scope: `business:${x.businessId}` }) },
  { when: (c) => c === 10 || c === 3 || c === 270 || c === 294 || c === 415 || c === 457 || inRange(c, 200, 299), kind: 'permission-denied' },
  // 2635 "Deprecated Ads API version": every call fails alike until an admin moves the hub to a
  // newer version, so the hub pauses with the reason (as for a permission) instead of each task
  // failing for good one after another as a bad argument.
  { when: (c) => c === 2635, kind: 'permission-denied' },
  { when: (c) => c === 1 || c === 2 || c === 3919, kind: 'unavailable' },
  { when: (c, s) => c === 100 && s === 33, kind: 'not-found' },
  { when: (c, s, _x, m) => c === 100 && !s && MISSING_OBJECT.test(m ?? ''), kind: 'not-found' },
  { when: (c) => c === 3914, kind: 'conflict' },
  { when: (c) => c === 100 || c === 2500 || c === 2620, kind: 'invalid-argument' },
];

/** The field a code-100 error names: `(#100) The parameter email is required`, blame_field_specs, nonexisting field (x). */
export function fieldOf(err: GraphErrorBody): string | undefined {
  if (err.error_subcode === 1752129) return 'tasks';
  if (err.error_subcode === 1752100) return 'user';
  const blame = (err.error_data as { blame_field_specs?: unknown })?.blame_field_specs;
  if (Array.isArray(blame) && Array.isArray(blame[0]) && typeof blame[0][0] === 'string') return blame[0][0];
  const m = /parameter (\w+)|nonexisting field \((\w+)\)|Param (\w+)/i.exec(err.message ?? '');
  return m ? (m[1] ?? m[2] ?? m[3]) : undefined;
}

function kindFromStatus(status: number): ErrorKind {
  if (status === 0 || status >= 500) return 'unavailable';
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'rate-limited'; // a plain 403: quota exhaustion (see the decisions above)
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  if (status === 429) return 'rate-limited';
  if (status === 400 || status === 422) return 'invalid-argument';
  return 'internal';
}

/** Graph text can quote the token back (`Invalid OAuth access token: EAAB…`): see providerMessage. */
function causeText(err: GraphErrorBody | undefined, status: number, redact: (s: string) => string): string {
  if (!err) return status === 403 ? 'HTTP 403 without a Graph error code, read as Meta\'s request limit' : `HTTP ${status}`;
  const code = `${err.code ?? '?'}${err.error_subcode ? `/${err.error_subcode}` : ''}`;
  const text = providerMessage(err.error_user_msg ?? err.message ?? '', redact);
  return `${text} [${code}]`;
}

/**
 * BUC throttles (80000–80014) are per business object, "per ad account, per use case"
 * (https://developers.facebook.com/docs/graph-api/overview/rate-limiting): the scope is the object
 * X-Business-Use-Case-Usage names with the longest `estimated_time_to_regain_access`, keyed as
 * Meta keys it (an ad account without `act_`, like the usage readings), so only calls on that
 * object wait. Without such a header, a call on an ad account (`act_<id>/…`) was throttled on
 * that ad account's quota (80004: "too many calls to this ad-account",
 * https://developers.facebook.com/documentation/ads-commerce/marketing-api/error-reference), so
 * that ad account waits the rule's default and the business's other assets go on. A call on the
 * business (owned_ad_accounts, client_ad_accounts also list 80004) names no ad account: the
 * rule's business-wide scope applies, the strict reading (README [INF]).
 */
function bucScope(code: number | undefined, usage: GraphUsage, path: string | undefined): { ms: number; scope: string } | undefined {
  if (code === undefined || !inRange(code, 80000, 80014)) return undefined;
  const adAccount = path === undefined ? undefined : adAccountOf(path);
  // The header may name up to 32 objects; the one the call was on is the one throttled
  // ("too many calls to this ad-account"). The others are blocked for their own time as any
  // header's are (GraphClient #noteUsage); taken as this call's, another account's hour held it.
  const own = adAccount === undefined ? undefined : usage.regainByObject[adAccount];
  if (own) return { scope: adAccount!, ms: own };
  const [longest] = Object.entries(usage.regainByObject).sort((a, b) => b[1] - a[1]);
  if (longest) return { scope: longest[0], ms: longest[1] };
  return adAccount ? { scope: adAccount, ms: BUC_WAIT_MS } : undefined;
}

/** The ad account a Graph path is on (`act_111/assigned_users?…` → `111`), keyed as bucObjectOf keys it; undefined for any other node. */
export function adAccountOf(path: string): string | undefined {
  return /^act_(\d+)(?:[/?]|$)/.exec(path.replace(/^\/+/, ''))?.[1];
}

/** The BUC object a Graph path is on, keyed as X-Business-Use-Case-Usage keys it (`act_111/…` → `111`). */
export function bucObjectOf(path: string): string {
  return (path.split(/[/?]/)[0] ?? '').replace(/^act_/, '');
}

export function toConnectorError(failure: GraphFailure, ctx: GraphErrorContext, redact: (s: string) => string = (s) => s): ConnectorError {
  const err = graphErrorOf(failure.body);
  // HTTP 5xx is unavailable whatever the body says, except documented codes that carry a kind.
  const code = err?.code;
  const rule = code === undefined ? undefined : GRAPH_ERROR_TABLE.find((r) => r.when(code, err?.error_subcode, ctx, err?.message));
  // A code the table does not know, flagged `is_transient` (an optional field of Graph's error
  // envelope, https://developers.facebook.com/docs/graph-api/guides/error-handling; Meta's Python
  // SDK reads it as "may be retried"), is temporary: unavailable, never a task failed for good.
  const kind: ErrorKind = rule?.kind ?? (err?.is_transient === true ? 'unavailable' : kindFromStatus(failure.status));
  const providerCode = code === undefined ? `http ${failure.status}` : `${code}${err?.error_subcode ? `/${err.error_subcode}` : ''}`;
  const cause = causeText(err, failure.status, redact);
  if (kind === 'rate-limited') {
    // The call was throttled: every wait its header names applies (parseUsage countAll).
    const usage = parseUsage(failure.headers, { countAll: true });
    const plain403 = code === undefined && failure.status === 403;
    const fallback = bucScope(code, usage, failure.path) ?? rule?.wait?.(ctx) ?? (plain403 ? APP_LIMIT_WAIT() : { ms: 5 * MINUTE, scope: 'app' });
    // `estimated_time_to_regain_access` is a field of X-Business-Use-Case-Usage: the time until one
    // business object (an ad account) regains its BUC quota. Only a BUC throttle (80000–80014,
    // whose action is "wait estimated_time_to_regain_access", error reference) waits it, on the
    // object it names (bucScope). Every other throttle waits its own rule whatever a BUC header
    // says: code 4 is the app-level limit ("back off; see X-App-Usage"), 17 the user's (or the
    // invite limit's 24 h), 32 Pages', 613 a custom one, 368 and 10/2859030 the business's policy
    // blocks. Taken as theirs, an ad account's quota time blocked the whole app (every call of the
    // hub, business edges included) as long as that one account's quota said, an hour for a
    // 10-minute limit, or let it call again after a minute into a limit that "continued calls
    // extend" (https://developers.facebook.com/docs/graph-api/overview/rate-limiting). The object
    // the header names is blocked for its own time anyway (GraphClient #noteUsage).
    // X-App-Usage carries percentages over a rolling hour but no time, so it never shortens a wait
    // Graph itself answered: code 4 *is* the app-level limit reached, whatever percentage the header
    // shows. Only a plain HTTP 403, which names no code and is read as code 4 on a guess (README
    // [INF]), is looked at again after a minute when X-App-Usage is below 100 %: the app is then
    // not known to be limited.
    const ms = plain403 && usage.percent.app !== undefined && usage.percent.app < 100 ? MINUTE : fallback.ms;
    return new ConnectorError('rate-limited', redact(`${ctx.what}: rate-limited (retry in ${formatWait(ms)}): ${cause}`), {
      providerCode, retryAfterMs: ms, limitScope: fallback.scope,
    });
  }
  if (kind === 'invalid-argument') {
    const field = err ? fieldOf(err) : undefined;
    return new ConnectorError(kind, redact(`${ctx.what}: invalid-argument${field ? ` (${field})` : ''}: ${cause}`), { providerCode, field });
  }
  if (kind === 'unauthenticated' && code === 100) {
    const text = proofRefusedText(ctx.appSecret?.hubId, ctx.appSecret?.sent ?? false);
    return new ConnectorError(kind, redact(`${ctx.what}: unauthenticated: ${text}: ${cause}`), { providerCode, field: 'meta.appSecret' });
  }
  if (kind === 'conflict' && code === 3914) {
    return new ConnectorError(kind, redact(`${ctx.what}: refused: it would remove or demote the last admin of business ${ctx.businessId} [3914]`), { providerCode });
  }
  return new ConnectorError(kind, redact(`${ctx.what}: ${kind}: ${cause}`), { providerCode });
}
