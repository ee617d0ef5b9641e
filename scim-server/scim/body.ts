import express, { type NextFunction, type Request, type Response } from 'express';
import { invalidSyntax, ScimError } from './errors.ts';

/**
 * Request bodies for POST, PUT and PATCH: JSON or SCIM+JSON (Okta and Entra send
 * `application/scim+json`, the suites `application/json`), at most 1 MB (413), malformed JSON a
 * 400 invalidSyntax (identity-providers.md §3 "Body parsing"), another media type a 415. GETs and
 * DELETEs are not parsed, so the Content-Type Entra sends on them does not matter.
 */
export const MAX_BODY_BYTES = 1024 * 1024;

const raw = express.raw({ type: () => true, limit: MAX_BODY_BYTES });

function isJsonType(contentType: string | undefined): boolean {
  if (!contentType) return true; // no declared type: try JSON
  const type = contentType.split(';')[0].trim().toLowerCase();
  return type === 'application/json' || type === 'application/scim+json' || type.endsWith('+json');
}

export function scimBody() {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!['POST', 'PUT', 'PATCH'].includes(req.method)) return next();
    const type = req.get('content-type');
    if (!isJsonType(type)) {
      return next(new ScimError(415, 'invalidSyntax', `Content-Type ${type} is not supported; send application/scim+json or application/json`));
    }
    raw(req, res, (err?: unknown) => {
      if (err) return next(err);
      const buf = req.body as unknown;
      if (!Buffer.isBuffer(buf) || buf.length === 0) return next(invalidSyntax('the request body is empty; expected a JSON object'));
      let parsed: unknown;
      try {
        parsed = JSON.parse(buf.toString('utf8'));
      } catch (e) {
        return next(invalidSyntax(`the request body is not valid JSON (${(e as Error).message})`));
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return next(invalidSyntax('the request body must be a JSON object'));
      req.body = parsed;
      next();
    });
  };
}

/** Maps body-parser's errors (which carry `type` and `status`) to SCIM errors. */
export function bodyParserError(err: unknown): ScimError | undefined {
  const e = err as { type?: string; status?: number; limit?: number };
  if (!e || typeof e.type !== 'string') return undefined;
  if (e.type === 'entity.too.large') return new ScimError(413, undefined, `the request body is larger than ${MAX_BODY_BYTES} bytes`);
  if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') return new ScimError(415, 'invalidSyntax', 'the request body encoding is not supported; send UTF-8');
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) return invalidSyntax(`the request body could not be read (${e.type})`);
  return undefined;
}
