/**
 * TikTok's response envelope: HTTP 200 for every answer that reaches the API, the outcome in the
 * JSON `code` (0 OK, 4xxxx client error, 5xxxx service error), `data: {}` on an error, and a
 * `request_id` also sent as the `X-Tt-Logid` header ("Return codes" appendix,
 * https://business-api.tiktok.com/portal/docs?id=1737172488964097).
 */

/** A refusal with TikTok's code; the message is free text naming the field where there is one. */
export class TikTokApiError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
    this.name = 'TikTokApiError';
  }
}

export const paramError = (message: string): TikTokApiError => new TikTokApiError(40002, message);
export const noPermission = (message: string): TikTokApiError => new TikTokApiError(40001, message);
export const notFound = (message: string): TikTokApiError => new TikTokApiError(40007, message);
/** Something that is not there: 40007, or the code another reading gives it (readings.ts). */
export const missing = (code: 40001 | 40002 | undefined, message: string): TikTokApiError =>
  code === 40002 ? paramError(message) : code === 40001 ? noPermission(message) : notFound(message);

export interface Envelope {
  code: number;
  message: string;
  request_id: string;
  data: unknown;
}

let sequence = 0;

/** `20260813123456` + a sequence + hex, the shape of the request ids TikTok returns. */
export function newRequestId(now: number): string {
  const stamp = new Date(now).toISOString().replace(/\D/g, '').slice(0, 14);
  sequence = (sequence + 1) % 1_000_000_000;
  const hex = Math.floor(Math.random() * 0xffffff).toString(16).toUpperCase().padStart(6, '0');
  return `${stamp}${String(sequence).padStart(9, '0')}${hex}`;
}

export function ok(data: unknown, requestId: string): Envelope {
  return { code: 0, message: 'OK', request_id: requestId, data };
}

export function failure(err: TikTokApiError, requestId: string): Envelope {
  return { code: err.code, message: err.message, request_id: requestId, data: {} };
}
