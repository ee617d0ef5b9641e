import type { ExemptionRecord } from '../app-state/records.ts';
import type { ReadView } from '../store/store.ts';

/**
 * Whether an owner's exemption is in force: one rule for the plan, matching, the members view,
 * write-back, the SCIM extension and the watchdog. Dates are parsed, never compared as strings
 * (`2026-03-01` and `2026-03-01T00:00:00.000Z` name the same instant; as strings the first sorts
 * before the second). An exemption without `until` never lapses; one whose `until` does not parse
 * counts as in force (an owner's "leave alone" is never dropped on a typo; the API refuses bad
 * dates at entry).
 */
export function exemptionInForce(exemption: Pick<ExemptionRecord, 'until'> | undefined, now: Date | number | string): boolean {
  if (!exemption) return false;
  if (exemption.until === undefined) return true;
  const until = Date.parse(exemption.until);
  return Number.isNaN(until) || until > instant(now);
}

/** The epoch ms of `now` given as a Date, epoch ms or an ISO date-time. */
export function instant(now: Date | number | string): number {
  return typeof now === 'number' ? now : typeof now === 'string' ? Date.parse(now) : now.getTime();
}

export interface ExemptionsInForce {
  /** Member row id → its exemption, for the hub's exemptions in force at `now`. */
  byRow: Map<string, Readonly<ExemptionRecord>>;
  /** When the next of them lapses (epoch ms; +Infinity when none does): answers built from `byRow` are stale from then on. */
  validUntil: number;
}

/** The hub's exemptions in force at `now` (one listing of the hub's exemptions). */
export async function exemptionsInForce(view: ReadView, hubId: string, now: Date | number | string): Promise<ExemptionsInForce> {
  const byRow = new Map<string, Readonly<ExemptionRecord>>();
  let validUntil = Number.POSITIVE_INFINITY;
  for await (const e of view.list('exemptions', hubId)) {
    if (!exemptionInForce(e, now)) continue;
    byRow.set(e.memberId, e);
    const until = e.until === undefined ? Number.NaN : Date.parse(e.until);
    if (!Number.isNaN(until)) validUntil = Math.min(validUntil, until);
  }
  return { byRow, validUntil };
}
