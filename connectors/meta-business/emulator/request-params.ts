/**
 * Parameters of a Graph request, from the query string and from the body in any of the encodings
 * real clients use (https://developers.facebook.com/docs/graph-api/overview): form-urlencoded (Python SDK), JSON (Node SDK), multipart
 * `-F` (Meta's curl examples). List values arrive as JSON arrays, Python-style single-quoted lists
 * (`['MANAGE', 'ADVERTISE']`) or a bare single value.
 */
import { invalidParameter } from './graph-error.ts';

export type GraphParams = Record<string, unknown>;

export function parseQuery(search: string): GraphParams {
  const out: GraphParams = {};
  for (const [k, v] of new URLSearchParams(search)) out[k] = v;
  return out;
}

/** Decodes a request body by its Content-Type. An empty body gives no params. */
export function parseBody(contentType: string | undefined, raw: Buffer): GraphParams {
  if (raw.length === 0) return {};
  const type = (contentType ?? '').toLowerCase();
  if (type.includes('application/json')) return parseJsonBody(raw.toString('utf8'));
  if (type.includes('multipart/form-data')) return parseMultipart(contentType ?? '', raw);
  return parseQuery(raw.toString('utf8'));
}

function parseJsonBody(text: string): GraphParams {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidParameter('Invalid JSON in request body');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalidParameter('Request body must be a JSON object');
  }
  return parsed as GraphParams;
}

/** RFC 7578 multipart/form-data; file parts are kept as text (the emulator uploads nothing). */
export function parseMultipart(contentType: string, raw: Buffer): GraphParams {
  const match = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!match) throw invalidParameter('Multipart body without a boundary');
  const boundary = `--${match[1] ?? match[2]}`;
  const text = raw.toString('utf8');
  const out: GraphParams = {};
  for (const chunk of text.split(boundary).slice(1)) {
    if (chunk.startsWith('--')) break;
    const part = chunk.replace(/^\r?\n/, '');
    const split = part.search(/\r?\n\r?\n/);
    if (split < 0) continue;
    const head = part.slice(0, split);
    const body = part.slice(split).replace(/^\r?\n\r?\n/, '').replace(/\r?\n$/, '');
    const name = /name="([^"]*)"/i.exec(head)?.[1];
    if (name !== undefined) out[name] = body;
  }
  return out;
}

/**
 * A list parameter: a JSON array, a JSON-encoded array string, a Python-style list with single
 * quotes, or a bare single value. Returns undefined when the parameter is absent.
 */
export function listParam(params: GraphParams, name: string): string[] | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (Array.isArray(value)) return value.map((v) => String(v));
  const text = String(value).trim();
  if (text.startsWith('[')) {
    if (text.endsWith(']')) {
      try {
        const parsed = JSON.parse(text);
        if (Array.isArray(parsed)) return parsed.map((v) => String(v));
      } catch {
        // Not JSON: try the Python repr form Meta's curl examples use.
      }
      const inner = text.slice(1, -1).trim();
      if (inner === '') return [];
      const items = inner.split(',').map((s) => s.trim());
      if (items.every((s) => /^'[^']*'$/.test(s) || /^"[^"]*"$/.test(s))) return items.map((s) => s.slice(1, -1));
    }
    throw invalidParameter(`Param ${name} must be an array`);
  }
  return [text];
}

export function stringParam(params: GraphParams, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object') throw invalidParameter(`Param ${name} must be a string`);
  const text = String(value);
  return text === '' ? undefined : text;
}

