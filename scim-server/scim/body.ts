import express, { type NextFunction, type Request, type Response } from 'express';
import { invalidSyntax, ScimError } from './errors.ts';
import { assertCleanText } from './input-checks.ts';
import { jsonFault } from '../../connectors/sdk/json-fault.ts';

/**
 * Request bodies for POST, PUT and PATCH: JSON or SCIM+JSON (Okta and Entra send
 * `application/scim+json`, the suites `application/json`), at most 1 MB (a group's: 16 MB) (413), malformed JSON a
 * 400 invalidSyntax (https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups "Body parsing"), another media type a 415. GETs and
 * DELETEs are not parsed, so the Content-Type Entra sends on them does not matter. A gzip, deflate
 * or br body is inflated first (the 1 MB counts after inflation); one that does not inflate is a
 * 400. The bytes must be UTF-8 (RFC 8259 §8.1), and the text free of NUL and lone surrogates.
 */
export const MAX_BODY_BYTES = 1024 * 1024;
/**
 * A group write's limit. Okta's custom (AIW) apps update a group with `PUT /Groups/{id}` carrying
 * its full `members` (https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/), at
 * about 70 bytes a member: 1 MB refused (413, which Okta does not retry) every group of some 15,000
 * people, and their push with it. 16 MB holds 200,000. Read only after the hub's token is checked
 * (router.ts), like every body.
 */
export const MAX_GROUP_BODY_BYTES = 16 * 1024 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const raw = express.raw({ type: () => true, limit: MAX_BODY_BYTES });
const rawGroup = express.raw({ type: () => true, limit: MAX_GROUP_BODY_BYTES });
const isGroupWrite = (req: Request) => /^\/Groups(\/|$)/i.test(req.path);

function isJsonType(contentType: string | undefined): boolean {
  if (!contentType) return true; // no declared type: try JSON
  const type = contentType.split(';')[0].trim().toLowerCase();
  return type === 'application/json' || type === 'application/scim+json' || type.endsWith('+json');
}

/** `/hubs/{hub}/{resource}/{id}`: where an id stands in a SCIM path. */
const ID_PATH = /^\/hubs\/([^/]+)\/(Users|Groups|Schemas|ResourceTypes)\/([^/]+)\/?$/i;

const decodes = (text: string) => {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
};

/**
 * The id a request names that does not decode (a malformed %-escape), kept by decodablePath:
 * answered 404 like any id no resource has (undecodableIdError), once the hub's credential is checked.
 */
export const UNDECODABLE_ID = 'scimUndecodableId';

/**
 * A path whose %-escapes do not decode is refused wherever they are (express decodes only route
 * params), except in the id of a resource: "any id format gives a 404 SCIM error, never 400/500"
 * (the checklist both IdPs' SCIM clients are held to, from
 * https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups:
 * an IdP reads a 404 on its user as "gone" and a 400 as a fault of its own). The route's param
 * decoding then fails (URIError), which the router answers with undecodableIdError.
 */
export function decodablePath() {
  return (req: Request, res: Response, next: NextFunction) => {
    if (decodes(req.path)) return next();
    const id = ID_PATH.exec(req.path);
    if (id && decodes(id[1]!) && decodes(id[2]!)) {
      res.locals[UNDECODABLE_ID] = { hubId: decodeURIComponent(id[1]!), resource: id[2]!.toLowerCase(), id: id[3]! };
      return next();
    }
    return next(new ScimError(400, undefined, 'the request path holds a malformed %-escape'));
  };
}

const KIND: Record<string, string> = { users: 'user', groups: 'group', schemas: 'schema', resourcetypes: 'resource type' };

/** The 404 of a request whose id does not decode (decodablePath), or undefined for any other error. */
export function undecodableIdError(err: unknown, res: Response): ScimError | undefined {
  const at = res.locals[UNDECODABLE_ID] as { hubId: string; resource: string; id: string } | undefined;
  if (!at || !(err instanceof URIError)) return undefined;
  return new ScimError(404, undefined, `hub ${at.hubId}: no ${KIND[at.resource] ?? 'resource'} with id ${JSON.stringify(at.id)} (the id holds a malformed %-escape)`);
}

export function scimBody() {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!['POST', 'PUT', 'PATCH'].includes(req.method)) return next();
    const type = req.get('content-type');
    if (!isJsonType(type)) {
      return next(new ScimError(415, 'invalidSyntax', `Content-Type ${type} is not supported; send application/scim+json or application/json`));
    }
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(type ?? '')?.[1];
    if (charset && !/^utf-?8$/i.test(charset)) return next(new ScimError(415, 'invalidSyntax', `charset ${charset} is not supported; JSON is UTF-8 (RFC 8259 §8.1)`));
    (isGroupWrite(req) ? rawGroup : raw)(req, res, (err?: unknown) => {
      if (err) return next(err);
      const buf = req.body as unknown;
      if (!Buffer.isBuffer(buf) || buf.length === 0) return next(invalidSyntax('the request body is empty; expected a JSON object'));
      let text: string;
      try {
        text = utf8.decode(buf);
      } catch {
        return next(invalidSyntax('the request body is not valid UTF-8'));
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (e) {
        // A RangeError is nesting past the parser's stack: not JSON this server can take either.
        return next(invalidSyntax(`the request body is not valid JSON (${jsonFault(e)})`));
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return next(invalidSyntax('the request body must be a JSON object'));
      try {
        assertCleanText(parsed);
      } catch (e) {
        return next(e);
      }
      req.body = parsed;
      next();
    });
  };
}

/**
 * Maps what express and body-parser throw on bad input to SCIM errors: a body too large (413), an
 * encoding or charset not served (415), a body that does not inflate (zlib/brotli errors carry
 * status 400), and a path whose %-escapes do not decode (express: URIError, status 400). RFC 7644
 * §3.12 has no scimType for a malformed URL, so that 400 carries none.
 */
export function requestError(err: unknown): ScimError | undefined {
  const e = err as { type?: string; status?: number; code?: string };
  if (!e || typeof e !== 'object') return undefined;
  if (e.type === 'entity.too.large') return new ScimError(413, undefined, `the request body is larger than ${typeof (e as { limit?: unknown }).limit === 'number' ? (e as { limit: number }).limit : MAX_BODY_BYTES} bytes`);
  if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') return new ScimError(415, 'invalidSyntax', 'the request body encoding is not supported; send UTF-8, optionally gzip, deflate or br');
  if (typeof e.status !== 'number' || e.status < 400 || e.status >= 500) return undefined;
  if (err instanceof URIError) return new ScimError(400, undefined, 'the request path holds a malformed %-escape');
  if (typeof e.type === 'string') return invalidSyntax(`the request body could not be read (${e.type})`);
  if (typeof e.code === 'string' && /^(Z_|ERR__)/.test(e.code)) return invalidSyntax(`the request body does not decompress as its Content-Encoding says (${e.code})`);
  return new ScimError(e.status, undefined, 'the request could not be read');
}
