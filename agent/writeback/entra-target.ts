import { ConnectorError } from '../../connectors/sdk/connector-error.ts';
import type { EntraProviderConfig } from '../../config/schema.ts';
import type { DirectoryUserRecord } from '../desired-state/directory-records.ts';
import { redactText } from '../log/logger.ts';
import { clipText } from '../safe-text.ts';
import { attributeName, entraExtensionName, WRITEBACK_FIELDS, type WritebackField } from './attributes.ts';
import { createGraphClient, TOKEN_REFUSED, TOKEN_UNAVAILABLE } from './graph-client.ts';
import type { TokenBucket } from './pacing.ts';
import { tokenEndpointUnavailable, type WritebackTarget } from './target.ts';
import { kindOfStatus } from './status-kind.ts';
import { LeaseLostError } from './lease-fence.ts';
import { graphServiceRoot } from './entra-urls.ts';

/**
 * Entra write-back through the real @microsoft/microsoft-graph-client (https://learn.microsoft.com/graph/extensibility-overview):
 * directory extensions `hubwarden_<hub>_<field>` registered once on the app `extensionAppId`
 * (listed first, only the missing ones created), then `PATCH /users/{id}` with only the changed
 * `extension_<appId>_…` values. An empty value is sent as null, which removes it (Graph: "Setting
 * a value to null removes it"), so "none" does not count against the 100 extension values per user.
 * A value longer than a String extension holds is cut to fit (`fitEntraString`).
 */
export interface EntraTargetOptions {
  bucket: TokenBucket;
  retry: { delaySeconds: number; maxRetries: number };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createEntraTarget(idp: string, config: EntraProviderConfig, secret: (ref: string) => string, options: EntraTargetOptions): WritebackTarget {
  const { client, auth } = createGraphClient({
    tenantId: config.tenantId,
    clientId: config.clientId,
    clientSecret: () => secret(config.clientSecret),
    graphBaseUrl: config.graphBaseUrl,
    authorityUrl: config.authorityUrl,
    retry: options.retry,
    pacing: options.bucket,
  });
  const appPath = `/applications(appId='${config.extensionAppId}')/extensionProperties`;
  /**
   * Extension names as Graph spells them (listed or returned on create), by lower case. Graph
   * gives `extension_{appIdWithoutDashes}_{name}` and writes the appId in lower case; a Graph that
   * kept the app's own spelling and matched names exactly would refuse ours otherwise.
   */
  const spelled = new Map<string, string>();
  const remember = (name: string) => {
    spelled.set(name.toLowerCase(), name);
    return name.toLowerCase();
  };
  const computed = (hubId: string, field: WritebackField) => entraExtensionName(config.extensionAppId, attributeName(hubId, field));
  const fullName = (hubId: string, field: WritebackField) => spelled.get(computed(hubId, field).toLowerCase()) ?? computed(hubId, field);

  /** Lists the app's extension properties and creates those of these hubs that are missing; true when one was created. */
  async function ensureExtensions(hubIds: readonly string[]): Promise<boolean> {
    // Every page: Graph pages collections server-side (https://learn.microsoft.com/graph/paging),
    // and an extension on a later page that we took for missing would be created again, refused as
    // a duplicate, and fail the hub's attributes for good. Undefined: this Graph does not list an
    // app's extension properties (the GET refused as not found or not allowed).
    const list = async (): Promise<Map<string, ListedExtension> | undefined> => {
      const names = new Map<string, ListedExtension>();
      const what = `entra ${idp}: list extension properties of app ${config.extensionAppId}`;
      let request = client.api(appPath);
      for (let page = 1; ; page++) {
        let listed: { value?: Array<{ name?: unknown }>; '@odata.nextLink'?: unknown } | undefined;
        let notImplemented = false;
        try {
          listed = await call(what, () => request.get().catch((e: { statusCode?: unknown }) => {
            notImplemented = e?.statusCode === 501;
            throw e;
          }));
        } catch (err) {
          if (page === 1 && err instanceof ConnectorError && (notImplemented || listNotServed(err, config.extensionAppId))) return undefined;
          throw err;
        }
        for (const e of listed?.value ?? []) if (typeof e?.name === 'string') names.set(remember(e.name), e as ListedExtension);
        const next = listed?.['@odata.nextLink'];
        if (typeof next !== 'string') return names;
        if (page >= MAX_LIST_PAGES) throw new ConnectorError('unavailable', `${what}: more than ${MAX_LIST_PAGES} pages`);
        request = nextPageRequest(client, config.graphBaseUrl, next, what);
      }
    };
    let have = await list();
    let changed = false;
    for (const hubId of hubIds) {
      for (const field of WRITEBACK_FIELDS) {
        const full = fullName(hubId, field).toLowerCase();
        const name = attributeName(hubId, field);
        const listed = have?.get(full);
        if (listed) {
          // An extension's type cannot be changed, only deleted (https://learn.microsoft.com/graph/api/resources/extensionproperty):
          // one of our name registered otherwise (by hand, say) would refuse every person's
          // value (400) on every run; the hub's attributes are refused instead, saying why.
          const wrong = notOurShape(listed);
          if (wrong) throw new ConnectorError('invalid-argument', `entra ${idp}: extension property ${listed.name} on app ${config.extensionAppId} is registered ${wrong}; hubwarden writes a single String on users: an admin must delete it so it is registered again`);
          continue;
        }
        try {
          const created = await call(`entra ${idp}: create extension property ${name} on app ${config.extensionAppId}`, () =>
            client.api(appPath).post({ name, dataType: 'String', isMultiValued: false, targetObjects: ['User'] }));
          if (typeof created?.name === 'string') remember(created.name);
          changed = true;
        } catch (err) {
          // Created meanwhile by another instance? Graph documents no error shape or wording for a
          // duplicate extension name (https://learn.microsoft.com/graph/api/application-post-extensionproperty),
          // so a refusal (400, or a 409 conflict) is checked by listing again, never by its text:
          // what we wanted exists, or the original refusal stands.
          if (!(err instanceof ConnectorError && (err.kind === 'invalid-argument' || err.kind === 'conflict'))) throw err;
          // [INF] Where the list is not served, a refused create is taken for "it exists" (made
          // by an earlier process): refusing the hub instead would stop its write-back for good
          // after the first process. If it does not exist, the PATCHes are refused (400), and
          // the attributes are ensured again after that run.
          if (have === undefined) continue;
          have = await list().catch(() => { throw err; });
          if (!have?.has(full)) throw err;
          changed = true;
        }
      }
    }
    return changed;
  }

  return {
    idp,
    kind: 'entra',
    // Extension names embed the owning app's id: another extensionAppId is another set of attributes.
    destination: `${config.tenantId}/${config.extensionAppId}`.toLowerCase(),
    async ensureSchema(hubIds) {
      try {
        return await ensureExtensions(hubIds);
      } catch (err) {
        if (!(err instanceof ConnectorError && err.kind === 'permission-denied')) throw err;
        // The app's permissions are in its access token's `roles`, fixed when the token was issued
        // (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference): the
        // cached token kept being refused for up to an hour after an admin granted the permission.
        auth.forget();
        throw new ConnectorError('permission-denied', `${err.message}; ${extensionPermissionHelp(config.extensionAppId)}`, { providerCode: err.providerCode, notApplied: true });
      }
    },
    renewCredentials: () => auth.forget(),
    idpUserIdOf(user: Readonly<DirectoryUserRecord>) {
      // PATCH /users/{id | userPrincipalName}; Entra's SCIM userName is the UPN by default.
      return user.externalId && GUID.test(user.externalId) ? user.externalId : user.userName;
    },
    fallbackIdOf(user: Readonly<DirectoryUserRecord>) {
      if (!user.externalId) return undefined;
      // A GUID externalId was tried first, but SCIM's externalId is whatever the app's attribute
      // mapping sends (https://learn.microsoft.com/entra/identity/app-provisioning/customize-application-attributes):
      // a GUID need not be the object id. Not found so, the UPN Entra sends as userName is tried.
      // Only for an active user: a deprovisioned one (Entra sends active=false at a soft delete,
      // https://learn.microsoft.com/entra/identity/app-provisioning/how-provisioning-works#deprovisioning)
      // whose object id is not found was most likely deleted, and nothing documented keeps a
      // deleted user's UPN from being given to someone else before the hard delete.
      if (GUID.test(user.externalId)) return user.active && user.userName.includes('@') ? user.userName : undefined;
      // Graph resolves /users/{…} by object id or UPN only: an externalId without `@` (by
      // default Entra's SCIM mapping sends mailNickname) can name no one else; at worst it is a 404.
      return !user.externalId.includes('@') ? user.externalId : undefined;
    },
    async update(idpUserId, hubId, values) {
      const body = Object.fromEntries(Object.entries(values).map(([field, v]) => [fullName(hubId, field as WritebackField), v === '' ? null : fitEntraString(v)]));
      // Graph answers 204 ("Update user"); [INF] a 200 that declares JSON and carries none makes the
      // SDK throw a parse error with the 2xx status: the update was made, and its body is not
      // needed. Taken for a failure, the write would be reported failed and re-sent on every run.
      const patch = () => client.api(graphUserPath(idpUserId)).patch(body).catch((e: { statusCode?: unknown }) => {
        if (typeof e?.statusCode === 'number' && e.statusCode >= 200 && e.statusCode < 300) return undefined;
        throw e;
      });
      try {
        await call(`entra ${idp}: update user ${idpUserId} (hub ${hubId})`, patch);
      } catch (err) {
        // Graph's 403 says "Insufficient privileges" and names no permission: a hub of fewer people
        // than stop a run (PERMISSION_DENIALS_TO_STOP) only ever showed that, per person.
        if (!(err instanceof ConnectorError && err.kind === 'permission-denied')) throw err;
        throw new ConnectorError('permission-denied', `${err.message}; ${USER_PERMISSION_HELP}`, { providerCode: err.providerCode, notApplied: true });
      }
    },
  };
}

/**
 * What a 403 on the extension list or create asks of an admin: the least privileged application
 * permission of "Create extensionProperty" is Application.ReadWrite.OwnedBy, which reaches only app
 * registrations the app owns (https://learn.microsoft.com/graph/api/application-post-extensionproperty,
 * https://learn.microsoft.com/graph/permissions-reference#applicationreadwriteownedby).
 */
function extensionPermissionHelp(extensionAppId: string): string {
  return `the app needs the Application.ReadWrite.OwnedBy application permission (admin-consented) and to be an owner of app registration ${extensionAppId}, or Application.ReadWrite.All; tried again, with a new access token, at the next run`;
}

/** What a 403 on `PATCH /users/{id}` asks of an admin (least privileged application permission of https://learn.microsoft.com/graph/api/user-update). */
const USER_PERMISSION_HELP = 'the app needs the User.ReadWrite.All application permission (admin-consented); with it, Entra still refuses a user the app may not change';

/**
 * The Graph path of a user by object id or userPrincipalName (`/users/{id | userPrincipalName}`,
 * https://learn.microsoft.com/graph/api/user-update). The id is percent-encoded whole, so a UPN's
 * `#` (a B2B guest's `#EXT#`), `/`, `?` or `%` stays in its one path segment. A UPN beginning with
 * `$` fails as `/users/$x@y.com` (400: only OData system query options begin with `$`); Graph's
 * "Get user" gives `/users('$x@y.com')` instead (https://learn.microsoft.com/graph/api/user-get,
 * and https://learn.microsoft.com/graph/known-issues#users), and the PATCH of "Update user" takes
 * the same `{id | userPrincipalName}`. It is an OData string literal, in which a single quote is
 * written twice (OData v4.01 URL Conventions, ABNF `SQUOTE-in-string`).
 */
export function graphUserPath(idOrUpn: string): string {
  // `$` and `@` as Microsoft writes them there; every other reserved character percent-encoded.
  if (idOrUpn.startsWith('$')) return `/users('${encodeURIComponent(idOrUpn.replace(/'/g, "''")).replace(/%24/g, () => '$').replace(/%40/g, '@')}')`;
  return `/users/${encodeURIComponent(idOrUpn)}`;
}

/** An extension property as Graph lists it (extensionProperty resource). */
interface ListedExtension {
  name: string;
  dataType?: unknown;
  isMultiValued?: unknown;
  targetObjects?: unknown;
}

/** How a listed extension differs from what write-back writes (a single String on users), or undefined. Fields not listed are not judged. */
function notOurShape(e: ListedExtension): string | undefined {
  const wrong: string[] = [];
  if (typeof e.dataType === 'string' && e.dataType !== 'String') wrong.push(`as ${e.dataType}`);
  if (e.isMultiValued === true) wrong.push('multi-valued');
  if (Array.isArray(e.targetObjects) && !e.targetObjects.includes('User')) wrong.push(`for ${e.targetObjects.join(', ') || 'no object type'}`);
  return wrong.length > 0 ? wrong.join(', ') : undefined;
}

/**
 * A list refused so (404, or 405 and other statuses outside the error table) is not served by this
 * Graph; so is one refused 501, Graph's "The requested feature isn't implemented"
 * (https://learn.microsoft.com/graph/errors), which a 5xx's kind (`unavailable`) read as passing:
 * the hub's attributes failed on every run. [INF] A 400 too when extensionAppId is a GUID, as every app (client) id is: Graph's Create
 * extensionProperty reference shows only the POST, and Graph answers a segment it does not serve
 * with 400 BadRequest ("Resource not found for the segment"), so a Graph (or an emulator) that does
 * not serve this GET may refuse it so; taken for a lasting error, it failed the hub's attributes on
 * every run. With an extensionAppId that is no GUID, the 400 is most likely about that id, and
 * stays the hub's clear error.
 */
const LIST_NOT_SERVED = new Set(['not-found', 'internal']);

function listNotServed(err: ConnectorError, extensionAppId: string): boolean {
  return LIST_NOT_SERVED.has(err.kind) || (err.kind === 'invalid-argument' && GUID.test(extensionAppId));
}

/** A bound on the pages of one list, so a server that keeps answering with a nextLink cannot hold a run for ever. */
const MAX_LIST_PAGES = 100;

/**
 * The request for an `@odata.nextLink`. The link is followed only on the configured Graph host (our
 * middleware puts the bearer token on every request, so a link elsewhere would hand it out), and
 * passed to the SDK as a path plus version: the SDK (3.0.7) parses absolute URLs only when they are
 * https, so an http base (a proxy, the emulator) would otherwise be taken for a relative path.
 */
export function nextPageRequest(client: ReturnType<typeof createGraphClient>['client'], graphBaseUrl: string, nextLink: string, what: string) {
  const base = `${graphServiceRoot(graphBaseUrl)}/`;
  // [INF] Graph's nextLink is absolute (https://learn.microsoft.com/graph/paging); one given as a
  // path is read against the configured host, the only one the token goes to.
  const link = nextLink.startsWith('/') && !nextLink.startsWith('//') ? new URL(nextLink, base).href : nextLink;
  const rest = link.startsWith(base) ? link.slice(base.length) : undefined;
  const m = rest === undefined ? null : /^([^/?]+)(\/.*)$/.exec(rest);
  if (!m) throw new ConnectorError('unavailable', `${what}: the next page is not on ${base} (refused to follow it)`);
  return client.api(m[2]!).version(m[1]!);
}

/** Graph's limit for a String directory extension value (extensionProperty resource: "String (256 characters)"). */
export const ENTRA_STRING_MAX = 256;

/**
 * A value cut to fit a String extension, ending with "…" when cut. Graph refuses the whole PATCH
 * (400) when one value is longer, so a long exemption reason (owners may write up to 500
 * characters) would also keep the person's status and role from ever landing. Counted in UTF-16
 * code units, which never undercounts characters, and never splitting a surrogate pair.
 */
export function fitEntraString(value: string): string {
  return clipText(value, ENTRA_STRING_MAX);
}

async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ConnectorError || err instanceof LeaseLostError) throw err;
    const e = err as { statusCode?: number; code?: string | null; message?: string };
    const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
    // Our auth middleware's token failure reaches us wrapped by the SDK (statusCode -1, the
    // error's name as its `code`). Only the token endpoint's refusal says the credentials are
    // wrong; a token endpoint that did not answer says nothing of them (target.ts).
    if (e.code === TOKEN_UNAVAILABLE) throw tokenEndpointUnavailable(what, String(e.message));
    if (e.code === TOKEN_REFUSED || /client-credentials token/.test(String(e.message))) throw new ConnectorError('unauthenticated', redactText(`${what}: ${e.message}`), { providerCode: 'token' });
    const summary = e.code ? `${e.message ?? ''} [${e.code}, HTTP ${status}]` : String(e.message ?? err);
    throw new ConnectorError(kindOfStatus(status), redactText(`${what}: ${summary}`), { providerCode: e.code ?? (status ? `HTTP ${status}` : undefined) });
  }
}
