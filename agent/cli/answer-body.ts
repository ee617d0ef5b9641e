/**
 * Reading an HTTP answer for the CLI: its body with a size cap, and its Retry-After.
 */
import { CliError } from './cli-error.ts';

/**
 * The largest answer body the CLI reads. The largest a hubwarden server sends is a CSV export of
 * MAX_EXPORT_ROWS (100 000) rows, tens of MB; without a cap a server (or a proxy, or the wrong
 * URL) streaming without end grew the CLI to over 1 GB before V8 refused the string, and that was
 * reported as "the answer was cut off".
 */
export const MAX_ANSWER_BYTES = 256 * 1024 * 1024;

/** The body as text, refused (one line, the request named) once it passes `limit` bytes. */
export async function readBody(res: Response, what: string, limit = MAX_ANSWER_BYTES): Promise<string> {
  const tooLarge = () => new CliError(`${what}: HTTP ${res.status}, the answer is larger than ${Math.round(limit / 1024 / 1024)} MB; not read (is the URL a hubwarden server?)`);
  const length = Number(res.headers.get('content-length'));
  if (Number.isFinite(length) && length > limit) {
    await res.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!res.body) return res.text();
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let bytes = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

/**
 * Retry-After in whole seconds from now (RFC 9110 §10.2.3: delay-seconds or an HTTP-date), or
 * undefined when absent or unreadable.
 */
export function retryAfterSeconds(res: Response, now = Date.now()): number | undefined {
  const raw = res.headers.get('retry-after')?.trim();
  if (!raw) return undefined;
  if (/^\d{1,9}$/.test(raw)) return Number(raw);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** A problem's detail as it is shown: one line, at most this many characters. */
export function shortDetail(text: string, max = 500): string {
  const line = text.split('\n').map((l) => l.trim()).filter(Boolean).join('; ');
  return line.length > max ? `${line.slice(0, max)}… (${line.length - max} more characters)` : line;
}
