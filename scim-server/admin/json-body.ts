import type { IncomingMessage } from 'node:http';
import express, { type RequestHandler } from 'express';
import { Problem } from './problem.ts';

/**
 * JSON request bodies of the admin API and the hooks, which are always objects. body-parser's
 * strict mode refused a top-level `null`, string or number as "not valid JSON", which it is; a
 * list went on to the schema. Parsed leniently here, anything but an object is refused with the
 * one message that says what is wrong: "the request body must be a JSON object" (RFC 8259 §2:
 * any value is a JSON text).
 */
export function jsonObjectBody(options: { limit: string; type: string | string[] | ((req: IncomingMessage) => boolean) }): RequestHandler[] {
  return [express.json({ ...options, strict: false }), requireObjectBody];
}

/** After a JSON parser (ours or one that ran earlier): a parsed body that is not an object is a 400. */
export const requireObjectBody: RequestHandler = (req, _res, next) => {
  const body: unknown = req.body;
  if (body === undefined || (typeof body === 'object' && body !== null && !Array.isArray(body))) return next();
  const got = body === null ? 'null' : Array.isArray(body) ? 'a list' : `a ${typeof body}`;
  next(new Problem(400, 'invalid-request', `the request body must be a JSON object (got ${got})`, 'body'));
};
