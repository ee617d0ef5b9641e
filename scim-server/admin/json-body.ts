import type { IncomingMessage } from 'node:http';
import express, { type RequestHandler } from 'express';
import { Problem } from './problem.ts';

/**
 * JSON request bodies of the admin API and the hooks, which are always objects. body-parser's
 * strict mode refused a top-level `null`, string or number as "not valid JSON", which it is; a
 * list went on to the schema. Parsed leniently here, anything but an object is refused with the
 * one message that says what is wrong: "the request body must be a JSON object" (RFC 8259 §2:
 * any value is a JSON text).
 *
 * `strictText` (the admin API): the raw bytes are checked before parsing (strictJsonText).
 */
export function jsonObjectBody(options: { limit: string; type: string | string[] | ((req: IncomingMessage) => boolean); strictText?: boolean }): RequestHandler[] {
  const { strictText, ...parser } = options;
  return [express.json({ ...parser, strict: false, ...(strictText ? { verify: strictJsonText } : {}) }), requireObjectBody];
}

/** After a JSON parser (ours or one that ran earlier): a parsed body that is not an object is a 400. */
export const requireObjectBody: RequestHandler = (req, _res, next) => {
  const body: unknown = req.body;
  if (body === undefined || (typeof body === 'object' && body !== null && !Array.isArray(body))) return next();
  const got = body === null ? 'null' : Array.isArray(body) ? 'a list' : `a ${typeof body}`;
  next(new Problem(400, 'invalid-request', `the request body must be a JSON object (got ${got})`, 'body'));
};

/**
 * body-parser `verify`: the bytes as sent, before they are decoded and parsed. Two things the
 * parser would let through silently, each refused with a 400:
 * - bytes that are not valid in the declared charset (UTF-8 by default). The decoder replaced them
 *   with U+FFFD, so an exemption reason was stored, audited and shown as "Vorstand ��". RFC 8259
 *   §8.1: JSON exchanged between systems MUST be UTF-8.
 * - a name given twice in one object (`{"directoryUserId":"u-1","directoryUserId":"u-2"}`).
 *   JSON.parse keeps the last, while a log, a proxy or an Okta Workflows card may show the first:
 *   the member was matched to a user the caller's record does not name. RFC 8259 §4: "the
 *   behavior of software that receives such an object is unpredictable"; RFC 7493 §2.3 (I-JSON):
 *   names MUST be unique.
 */
export function strictJsonText(_req: IncomingMessage, _res: unknown, buf: Buffer, encoding: string | null): void {
  let text: string;
  try {
    text = new TextDecoder(encoding ?? 'utf-8', { fatal: true }).decode(buf);
  } catch (err) {
    // A charset TextDecoder does not know (body-parser/iconv checked it is supported): left to iconv.
    if (err instanceof RangeError) return;
    throw new Problem(400, 'malformed-json', `the request body is not valid ${(encoding ?? 'utf-8').toUpperCase()} (RFC 8259 §8.1: send JSON as UTF-8)`, 'body');
  }
  const name = repeatedName(text);
  if (name !== undefined) {
    const shown = JSON.stringify(name.length > 100 ? `${name.slice(0, 100)}…` : name);
    throw new Problem(400, 'invalid-request', `the request body names ${shown} twice in one object; give each field once (RFC 8259 §4)`, 'body');
  }
}

/**
 * The first member name repeated within one object of a JSON text, if any. Malformed text (the
 * parser reports it next) answers undefined. Names are compared decoded: "a" and "\u0061" are one.
 */
export function repeatedName(text: string): string | undefined {
  const stack: Array<Set<string> | undefined> = [];
  let expectName = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) return undefined;
      const names = stack.at(-1);
      if (names && expectName) {
        let name: string;
        try {
          name = JSON.parse(text.slice(i, j + 1)) as string;
        } catch {
          return undefined;
        }
        if (names.has(name)) return name;
        names.add(name);
        expectName = false;
      }
      i = j;
    } else if (c === '{') {
      stack.push(new Set());
      expectName = true;
    } else if (c === '[') {
      stack.push(undefined);
      expectName = false;
    } else if (c === '}' || c === ']') {
      stack.pop();
      expectName = false;
    } else if (c === ',') {
      expectName = stack.at(-1) !== undefined;
    }
  }
  return undefined;
}
