/**
 * The instant an exemption's `until` ends it (epoch ms; NaN when it is not a date). A date alone
 * (`--until 2026-12-31`, the dashboard's date picker) means through the end of that day in UTC:
 * the exemption is in force on 2026-12-31 and lapses at its last millisecond, stored as
 * `2026-12-31T23:59:59.999Z`, so the dashboard's "until 2026-12-31" and the SCIM `until` name the
 * same day. Parsed by ECMAScript rules a date-only form is that day's first instant (UTC)
 * (https://tc39.es/ecma262/#sec-date-time-string-format), which ended the exemption a day early.
 * A date-time with an offset is the instant it names. `Date.parse` rolls `2026-02-30` over into
 * March, so a date is checked to be a calendar date. Apart from member-decisions.ts (which loads
 * the config schema) so the CLI refuses an `exempt --until` in the past by this same rule, before
 * any request (agent/cli/hub-commands.ts).
 */
export function untilInstant(until: string): number {
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(until.trim());
  if (!date) return Date.parse(until);
  const start = Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]));
  if (new Date(start).toISOString().slice(0, 10) !== until.trim()) return Number.NaN;
  return start + 24 * 3600 * 1000 - 1;
}
