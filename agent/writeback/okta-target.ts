import { Client, DefaultRequestExecutor } from '@okta/okta-sdk-nodejs';
import { ConnectorError, type ErrorKind } from '../../connectors/sdk/connector-error.ts';
import type { OktaProviderConfig } from '../../config/schema.ts';
import type { DirectoryUserRecord } from '../desired-state/directory-records.ts';
import { redactText } from '../log/logger.ts';
import { attributeName, WRITEBACK_FIELDS, WRITEBACK_STATUSES, type WritebackField, type WritebackValues } from './attributes.ts';
import type { TokenBucket, WritebackClock } from './pacing.ts';
export { atReserve, OKTA_MAX_RESET_WAIT_MS, OKTA_RESERVED_SHARE, resetByOurClock, resetEpochMs } from './okta-rate-window.ts';
import { tokenEndpointUnavailable, type WritebackTarget } from './target.ts';
import { kindOfStatus } from './status-kind.ts';
import { confirmLease, LeaseLostError } from './lease-fence.ts';
import { atReserve, OKTA_RESERVED_SHARE, resetByOurClock } from './okta-rate-window.ts';
import { keepingHeldValues, propertyFor, selfReadOnly, withoutEnum, withoutOptionalFields, type ExistingProperty } from './okta-schema-property.ts';

/**
 * Okta write-back through the real @okta/okta-sdk-nodejs (https://developer.okta.com/docs/reference/api/schemas/):
 * custom attributes ensured with a partial schema POST (through the SDK's HTTP layer, not `schemaApi`: see ensureSchema), values
 * written with `userApi.updateUser`, which is POST /api/v1/users/{id}: a partial update carrying
 * only the changed attributes. Never the whole fetched user (the SDK README's example): that
 * trips E0000023 on users sourced from AD or HR, and a PUT would null every property not sent.
 *
 * Every HTTP attempt is paced by the IdP's token bucket; X-Rate-Limit-Remaining 0 (on any answer,
 * a 429 included) pauses the bucket until X-Rate-Limit-Reset, and the SDK's own 429 retry waits
 * in the bucket with every other call.
 */
export interface OktaTargetOptions {
  bucket: TokenBucket;
  clock: WritebackClock;
  /** SDK retries of a 429 (DefaultRequestExecutor maxRetries). */
  maxRetries: number;
  /** Added to the reset time to absorb clock skew (the SDK adds 1 s). */
  resetMarginMs: number;
  /** How long one HTTP attempt (an API call, a 429 retry, the access token request) may take (default `OKTA_ATTEMPT_TIMEOUT_MS`). */
  attemptTimeoutMs?: number;
  /** The share of each rate-limit window left to the org's other consumers (default `OKTA_RESERVED_SHARE`; 0: spend it all). */
  reservedShare?: number;
}


/**
 * The SDK gives node-fetch no timeout unless `requestTimeout` is set, and that one bounds a call
 * with all its 429 retries and refuses a retry whose X-Rate-Limit-Reset lies beyond it: an Okta
 * org or proxy that took the request and never answered held the write-back run for good, its
 * lease renewed all the while, so the hub's standings were never written again. Each attempt now
 * gives up after this long (node-fetch's `timeout`, which covers the body too); a timeout is a
 * failure like a 5xx (the person is tried again at the next run).
 */
export const OKTA_ATTEMPT_TIMEOUT_MS = 60_000;

/**
 * `providerCode` of the refusal of a deactivated user's update: the user's Okta status, since Okta
 * gives the refusal no code of its own (see `update`).
 */
export const OKTA_DEACTIVATED = 'DEPROVISIONED';

/** Where an admin lets Okta update deactivated users; the words the problem is reported in. */
const DEACTIVATED_HELP = `the user is deactivated in Okta (DEPROVISIONED), and Okta updates deactivated users only when the org setting "Edit Deactivated User Profile Updates" is on: turn it on in the Okta Admin Console so hubwarden can write this person's standing`;

/** Refusals that may mean "deactivated" (Okta has been seen to answer 404 E0000007 for one; E0000023 has its own meaning). */
const MAYBE_DEACTIVATED = new Set<ErrorKind>(['not-found', 'permission-denied', 'invalid-argument']);

/** The length of the shortest status written (a `status` property's minLength above it refuses it). */
const SHORTEST_STATUS = Math.min(...WRITEBACK_STATUSES.map((st) => st.length));

/** Okta user ids: `00u` and 17 more characters (e.g. 00ub0oNGTSWTBKOLGLNR). */
const OKTA_USER_ID = /^00u[0-9A-Za-z]{17}$/;
/** An id that is no login or shortname: `00u` and 5 to 40 letters or digits, or a GUID. */
const LOOSE_USER_ID = /^(00u[0-9A-Za-z]{5,40}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

class PacedRequestExecutor extends DefaultRequestExecutor {
  constructor(private readonly options: OktaTargetOptions) {
    super({ maxRetries: options.maxRetries, requestTimeout: 0 });
  }

  override async fetch(request: Parameters<DefaultRequestExecutor['fetch']>[0]) {
    await this.options.bucket.take();
    // After the wait, just before the request leaves: a run that lost its lease meanwhile stops
    // (lease-fence.ts). Not an access token request: it writes nothing, and may be shared by runs of other hubs.
    if (!isTokenRequest(request)) await confirmLease();
    // Each attempt its own deadline: the SDK sets `timeout` from `requestTimeout` (0: none) on a
    // request without `startTime`, and 0 again on each 429 retry it builds.
    request.startTime ??= new Date();
    (request as { timeout?: number }).timeout = this.options.attemptTimeoutMs ?? OKTA_ATTEMPT_TIMEOUT_MS;
    if (!isTokenRequest(request)) return super.fetch(request);
    let response: Awaited<ReturnType<DefaultRequestExecutor['fetch']>>;
    try {
      response = await super.fetch(request);
    } catch (err) {
      // No answer to the access token request (refused connection, DNS, the attempt timeout): the
      // token endpoint is unavailable, which says nothing of the app's key (target.ts).
      if (err instanceof ConnectorError || err instanceof LeaseLostError) throw err;
      throw tokenEndpointUnavailable(`access token request to ${request.url.split('?')[0]}`, String((err as { message?: unknown })?.message ?? err));
    }
    if (response.status < 200 || response.status >= 300) throw await tokenRequestError(request.url, response);
    return response;
  }

  /**
   * Every answer Okta gives, a 429 the SDK is about to retry included (the SDK hands each one here
   * before its retry): X-Rate-Limit-Remaining 0, which a 429 carries, pauses the bucket until
   * X-Rate-Limit-Reset, so no other call of the run goes out before the reset
   * (https://developer.okta.com/docs/reference/rl-best-practices/). Looked at only once the SDK
   * was done retrying, a 429 held back the call that got it, while the other people's updates kept
   * going out into the exhausted window, each answered 429 E0000047 in turn.
   */
  override parseResponse(request: Parameters<DefaultRequestExecutor['parseResponse']>[0], response: Parameters<DefaultRequestExecutor['parseResponse']>[1]) {
    const now = this.options.clock.now();
    const reset = resetByOurClock(response.headers?.get('x-rate-limit-reset'), response.headers?.get('date'), now);
    if (response.status === 429) this.options.bucket.pauseUntil((reset ?? now) + this.options.resetMarginMs);
    else if (reset !== undefined && atReserve(response.headers?.get('x-rate-limit-remaining'), response.headers?.get('x-rate-limit-limit'), this.options.reservedShare ?? OKTA_RESERVED_SHARE)) this.options.bucket.pauseUntil(reset + this.options.resetMarginMs);
    return super.parseResponse(request, response);
  }

  /**
   * The SDK's retry of a 429 waits in the bucket, paused above until X-Rate-Limit-Reset (read
   * against the answer's Date, as the SDK's own wait is) plus the margin, with every other call:
   * no wait of its own here.
   */
  override getRetryDelayMs(_response: Parameters<DefaultRequestExecutor['getRetryDelayMs']>[0]): number {
    return 0;
  }
}

export function createOktaTarget(idp: string, config: OktaProviderConfig, secret: (ref: string) => string, options: OktaTargetOptions): WritebackTarget {
  const requestExecutor = new PacedRequestExecutor(options);
  // No response cache: the SDK's default one keeps every GET with a self link for ever and drops it
  // only after a successful write to the resource (https://github.com/okta/okta-sdk-nodejs#middleware),
  // and a refused write is not one: the read that tells whether a refused user is deactivated
  // (see `update`) would answer with a status read days before.
  const cacheMiddleware = null;
  const privateKey = config.privateKey ? secret(config.privateKey) : undefined;
  if (privateKey !== undefined && config.keyId) assertKeyIdMatches(idp, config.keyId, privateKey);
  const client = config.token
    ? new Client({ orgUrl: config.orgUrl, token: secret(config.token), requestExecutor, cacheMiddleware })
    : new Client({
        cacheMiddleware,
        orgUrl: config.orgUrl,
        authorizationMode: 'PrivateKey',
        clientId: config.clientId,
        scopes: ['okta.users.manage', 'okta.schemas.manage'],
        privateKey,
        ...(config.keyId ? { keyId: config.keyId } : {}),
        requestExecutor,
      });

  const orgUrl = config.orgUrl.replace(/\/+$/, '');
  /** A JSON POST through the SDK's HTTP layer (auth, request executor, errors); a 2xx is success, its body unread. */
  const postNoContent = async (url: string, body: unknown): Promise<void> => {
    await client.http.http(url, { method: 'post', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body) } as never);
  };
  return {
    idp,
    kind: 'okta',
    destination: config.orgUrl.replace(/\/+$/, '').toLowerCase(),
    async ensureSchema(hubIds) {
      // Through the SDK's own HTTP layer (auth, request executor, pacing), not schemaApi: 8.1.0's
      // UserSchemaAttribute model types `enum` as Array<GroupSchemaAttributeEnumInner>, an object
      // with no fields, so every enum string is serialized as `{}` and Okta refuses the schema.
      const url = `${config.orgUrl.replace(/\/$/, '')}/api/v1/meta/schemas/user/default`;
      const schema = await call(`okta ${idp}: read the default user schema`, () => client.http.getJson(url));
      const existing = ((schema as any)?.definitions?.custom?.properties ?? {}) as Record<string, ExistingProperty>;
      // The custom subschema's `required` list goes back as read: Okta's schema example sends
      // `required` beside the properties (https://developer.okta.com/docs/reference/api/schemas/),
      // and a POST that replaced the list with the example's `[]` would make the admin's own
      // required custom attributes optional. Sent as read, it changes nothing however it is taken.
      const rawRequired = (schema as any)?.definitions?.custom?.required;
      const required: string[] = Array.isArray(rawRequired) ? rawRequired.filter((r: unknown): r is string => typeof r === 'string') : [];
      const missing: Record<string, unknown> = {};
      const otherType: string[] = [];
      for (const hubId of hubIds) {
        for (const field of WRITEBACK_FIELDS) {
          const name = attributeName(hubId, field);
          const wanted = propertyFor(hubId, field);
          const have = existing[name];
          // One of our names that exists with another data type (made by hand, say) is not sent
          // as ours: a POST would ask Okta to change its type, which its documentation does not
          // describe, and an Okta (or emulator) that took the property as replaced would leave
          // the values people already hold under a type they do not fit. An admin deletes or
          // renames it; the hub's attributes are refused meanwhile, naming it (as entra-target.ts does).
          if (have && typeof have.type === 'string' && have.type !== wanted.type) {
            otherType.push(`${name} (type ${have.type})`);
            continue;
          }
          // A property made elsewhere (by hand, say) with a lower maxLength would make Okta refuse
          // our longer values for good: it is widened to ours like a missing enum value is added.
          const tooShort = wanted.maxLength !== undefined && typeof have?.maxLength === 'number' && have.maxLength < wanted.maxLength;
          // Nor may one with a minLength refuse the values we write: "none" is an empty string (no
          // role held, not exempted, no expiry), and the shortest status has SHORTEST_STATUS
          // characters. Left as made, nearly everyone's update was refused as invalid, every day.
          const floor = field === 'status' ? SHORTEST_STATUS : 0;
          const floorTooHigh = typeof have?.minLength === 'number' && have.minLength > floor;
          // People must not edit their own standing: an attribute made elsewhere that lets SELF
          // write, or says nothing of SELF, gets our READ_ONLY.
          const selfWrites = have !== undefined && !selfReadOnly(have.permissions);
          // A property with no enum at all takes our values as they are: an org that refuses
          // `enum` got it so (below), and would be sent it again on every run.
          const enumShort = wanted.enum !== undefined && Array.isArray(have?.enum) && !wanted.enum.every((v) => (have!.enum as unknown[]).includes(v));
          if (!have || have.type !== wanted.type || tooShort || floorTooHigh || selfWrites || enumShort) missing[name] = keepingHeldValues(wanted, have);
        }
      }
      if (otherType.length > 0) {
        throw new ConnectorError('invalid-argument', `okta ${idp}: the default user schema already has ${otherType.join(', ')}, and hubwarden writes strings there: not changed; an admin must delete or rename it in Okta's Profile Editor so hubwarden can add its own`, { notApplied: true });
      }
      if (Object.keys(missing).length === 0) return false;
      // Partial update: only our properties are sent; every other custom property stays as it is.
      const body = { definitions: { custom: { id: '#custom', type: 'object', properties: missing, required } } };
      const what = `okta ${idp}: add ${Object.keys(missing).join(', ')} to the default user schema`;
      // The answer's body is not read: a 2xx is the update made, whether it carries the schema
      // (Okta), nothing (204), or something else.
      try {
        await call(what, () => postNoContent(url, body));
      } catch (err) {
        // `description` and `master` are fields of Okta's UserSchema attribute model that the
        // schema example of the Schemas API does not show, and an org without attribute-level
        // mastering may not take `master` (https://developer.okta.com/docs/reference/api/schemas/).
        // Refused as invalid, the properties are sent once more without them, as in that example.
        if (!(err instanceof ConnectorError && err.kind === 'invalid-argument')) throw err;
        const plain = Object.fromEntries(Object.entries(missing).map(([name, p]) => [name, withoutOptionalFields(p as Record<string, unknown>)]));
        const again = { definitions: { custom: { id: '#custom', type: 'object', properties: plain, required } } };
        try {
          await call(`${what} (without description and master)`, () => postNoContent(url, again));
        } catch (second) {
          // "Test enum support on your org" (the schema example's note, Okta Schemas API): an org
          // that refuses it too gets plain strings, which take the same values; else write-back
          // stopped at its schema for good.
          // A fallback throttled or failed on the way (429, 5xx, network) says that, not the first
          // refusal: reported as the 400, a throttle read as "the IdP refused the hub's attributes".
          if (!(second instanceof ConnectorError && second.kind === 'invalid-argument')) throw isRefusal(second) ? err : second;
          const bare = Object.fromEntries(Object.entries(plain).map(([name, p]) => [name, withoutEnum(p as Record<string, unknown>)]));
          const third = { definitions: { custom: { id: '#custom', type: 'object', properties: bare, required } } };
          await call(`${what} (without description, master and enum)`, () => postNoContent(url, third)).catch((last: unknown) => { throw isRefusal(last) ? err : last; });
        }
      }
      return true;
    },
    idpUserIdOf(user: Readonly<DirectoryUserRecord>) {
      return user.externalId && OKTA_USER_ID.test(user.externalId) ? user.externalId : user.userName;
    },
    fallbackIdOf(user: Readonly<DirectoryUserRecord>) {
      // Only an externalId that is an id (Okta-style of another length, or a GUID): Okta also
      // resolves a login shortname at /users/{…}, so a word could name another person.
      return user.externalId && !OKTA_USER_ID.test(user.externalId) && LOOSE_USER_ID.test(user.externalId) ? user.externalId : undefined;
    },
    async update(idpUserId, hubId, values) {
      // "None" (no role held, not exempted, no expiry) is sent as null, which leaves the attribute
      // without a value. An empty string is a value to Okta: "saved as \"\" in the profile", found
      // by `search=(profile.<name> pr)` because it is "not NULL" (Okta help, "Add custom attributes
      // to an Okta user profile": https://help.okta.com/en-us/content/topics/users-groups-profiles/usgp-add-custom-user-attributes.htm),
      // so a group rule or search for people holding an exemption expiry took in everyone written once.
      const profile = Object.fromEntries(Object.entries(values).map(([field, v]) => [attributeName(hubId, field as WritebackField), v === '' ? null : v]));
      const what = `okta ${idp}: update user ${idpUserId} (hub ${hubId})`;
      // Okta reads `{userId}` as "an ID, login, or login shortname (as long as the shortname is
      // unambiguous)" (okta-sdk-nodejs UserApi updateUser docstring): a SCIM userName without "@"
      // (an app username format such as "Email prefix") that is no Okta user id is taken for a
      // shortname, the part before "@" of some login, which may be another person's. Not sent.
      if (!idpUserId.includes('@') && !LOOSE_USER_ID.test(idpUserId)) {
        throw new ConnectorError('not-found', `${what}: not sent: "${idpUserId}" is neither an Okta user id nor a login (no "@"), and Okta would read it as a login shortname, which can name another user; have the app send the Okta user id as externalId or the Okta login as userName`, { notApplied: true });
      }
      try {
        // POST /api/v1/users/{id} as `userApi.updateUser` sends it, through the same SDK HTTP layer,
        // but without reading the answer: updateUser parses the returned user and throws on a 2xx
        // with no body (204, or 200 with none), which would report a write that landed as failed
        // and send it again on every run.
        await call(what, () => postNoContent(`${orgUrl}/api/v1/users/${encodeURIComponent(idpUserId)}`, { profile }));
      } catch (err) {
        // Okta does not update DEPROVISIONED users unless the org allows it
        // (https://developer.okta.com/docs/api/openapi/okta-management/management/tags/userlifecycle/other/deactivateuser),
        // and its refusal has no code of its own: one SDK user got 404 E0000007 while the user read
        // fine (https://github.com/okta/okta-sdk-java/issues/721). One read tells the admin which it is.
        if (!(err instanceof ConnectorError) || err.providerCode === 'E0000023' || !MAYBE_DEACTIVATED.has(err.kind)) throw err;
        const status = await call(`okta ${idp}: read user ${idpUserId}`, () => client.userApi.getUser({ userId: idpUserId })).then((u) => u.status as string | undefined, () => undefined);
        if (status !== 'DEPROVISIONED') throw err;
        throw new ConnectorError('permission-denied', `${what}: ${DEACTIVATED_HELP} (Okta answered: ${err.message.startsWith(`${what}: `) ? err.message.slice(what.length + 2) : err.message})`, { providerCode: OKTA_DEACTIVATED, notApplied: true });
      }
    },
  };
}

/** A property as the Schemas API's example declares it: `description` and `master` left out. */
/**
 * A JWK private key names its own key (`kid`, RFC 7517 §4.5), and the SDK signs with that id
 * whatever `keyId` says (https://github.com/okta/okta-sdk-nodejs#oauth-20-authentication). Two
 * different ids leave it unclear which key the service app is meant to use, so they are refused
 * rather than one silently winning. Only the ids are named: the key itself never is.
 */
function assertKeyIdMatches(idp: string, keyId: string, privateKey: string): void {
  let kid: unknown;
  try {
    kid = (JSON.parse(privateKey) as { kid?: unknown }).kid;
  } catch {
    return; // a PEM: keyId is what names it
  }
  if (typeof kid === 'string' && kid !== keyId) {
    throw new Error(`okta ${idp}: identityProviders.${idp}.keyId ${JSON.stringify(keyId)} differs from the kid ${JSON.stringify(kid)} of the JWK in privateKey: make them the same, or remove keyId`);
  }
}

/** The SDK's access token request in private-key mode (POST {orgUrl}/oauth2/v1/token). */
function isTokenRequest(request: { url?: string; method?: string }): request is { url: string; method: string } {
  return typeof request.url === 'string' && String(request.method).toUpperCase() === 'POST' && /\/oauth2\/v1\/token(\?|$)/.test(request.url);
}

/**
 * A refused access token request, named as such. The SDK (8.1.0) does not check the token
 * response's status (oauth.js calls `Http.errorFilter`, which its `require('./http')` leaves
 * undefined): it would keep the error body as its token, send "Bearer undefined" and report
 * Okta's 401 on the API call, which says nothing of why. The body is an OAuth error (RFC 6749
 * §5.2: `error`, `error_description`; https://developer.okta.com/docs/guides/implement-oauth-for-okta-serviceapp/main/);
 * the request's client assertion and any token stay out of the message. A credential or scope
 * refusal stops the run (`unauthenticated`, problem-of.ts), never blames each person; so does a
 * token endpoint that failed (429, 5xx), as `unavailable` (`rate-limited`), never `unauthenticated`.
 */
async function tokenRequestError(url: string, response: { status: number; text(): Promise<string> }): Promise<ConnectorError> {
  let oauth: { error?: unknown; error_description?: unknown } = {};
  try {
    const parsed = JSON.parse(await response.text()) as unknown;
    if (parsed && typeof parsed === 'object') oauth = parsed as typeof oauth;
  } catch { /* not JSON: the status says what is known */ }
  const code = typeof oauth.error === 'string' ? oauth.error : undefined;
  const description = typeof oauth.error_description === 'string' ? oauth.error_description : undefined;
  const detail = [code, description].filter(Boolean).join(': ');
  const endpoint = url.split('?')[0];
  // A 429 or a 5xx is the token endpoint failing, not refusing the key: stopping the run as
  // `unauthenticated` sent admins to rotate a key that was fine (target.ts).
  if (response.status === 429 || response.status >= 500) {
    return tokenEndpointUnavailable(`access token request to ${endpoint}`, `HTTP ${response.status}${detail ? ` ${detail}` : ''}`, response.status === 429 ? 'rate-limited' : 'unavailable');
  }
  return new ConnectorError('unauthenticated', redactText(`access token request to ${endpoint} failed: HTTP ${response.status}${detail ? ` ${detail}` : ''}`), {
    providerCode: code ?? `HTTP ${response.status}`,
  });
}

/** An answer of Okta's about the request itself (a 4xx other than 429), not a throttle or a failure on the way. */
function isRefusal(err: unknown): boolean {
  return err instanceof ConnectorError && err.kind !== 'rate-limited' && err.kind !== 'unavailable';
}

/** Okta errorCode, then HTTP status → error kind (E0000023 is a lasting refusal, whatever its status). */
function kindOf(status: number | undefined, code: string | undefined): ErrorKind {
  return code === 'E0000023' ? 'permission-denied' : kindOfStatus(status);
}

async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof LeaseLostError) throw err;
    // Already ours (a refused access token request): say what it was for.
    if (err instanceof ConnectorError) throw err.with({ message: `${what}: ${err.message}` });
    const e = err as { status?: number; errorCode?: string; errorSummary?: string; errorCauses?: Array<{ errorSummary?: string }>; message?: string };
    const status = typeof e.status === 'number' ? e.status : undefined;
    const causes = (e.errorCauses ?? []).map((c) => c.errorSummary).filter(Boolean).join('; ');
    const summary = e.errorCode ? `${e.errorSummary ?? ''}${causes ? ` (${causes})` : ''} [${e.errorCode}, HTTP ${status}]` : String(e.message ?? err);
    throw new ConnectorError(kindOf(status, e.errorCode), redactText(`${what}: ${summary}`), { providerCode: e.errorCode ?? (status ? `HTTP ${status}` : undefined) });
  }
}
