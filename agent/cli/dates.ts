import { CliError } from './cli-error.ts';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
/**
 * RFC 3339 §5.6: hours 00–23, minutes and seconds 00–59, an offset of at most 23:59. Date.parse
 * takes `T24:00:00Z` as the next day's midnight, so it passed here and the server refused it
 * naming `query.since`, not the option.
 */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/** A calendar date that exists (2026-02-30 parses in some engines as March 2nd). */
const realDate = (d: string) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().slice(0, 10) === d;

/**
 * A date option (`--since`, `--until`): a date (2026-11-01) or an ISO 8601 date-time with its
 * offset (RFC 3339 §5.6), checked here so a mistake is a usage error naming the option, not the
 * server's `query.since` or `body.until`. `date`: what a plain date becomes: kept as it is (the
 * server reads it), or the start of that day in UTC (an API that takes date-times only).
 */
export function dateOption(option: string, raw: string, date: 'as-is' | 'start-of-day'): string {
  const text = raw.trim();
  if (DATE.test(text) && realDate(text)) return date === 'as-is' ? text : `${text}T00:00:00Z`;
  if (DATE_TIME.test(text) && realDate(text.slice(0, 10)) && !Number.isNaN(Date.parse(text))) return text;
  throw new CliError(`${option}: expected a date (2026-11-01) or an ISO 8601 date-time with its offset (2026-11-01T09:00:00Z), got "${raw}"`, 2);
}
