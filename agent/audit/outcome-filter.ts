import { AUDIT_OUTCOMES, type AuditOutcome } from '../api.ts';

/**
 * The audit log's outcome filter as typed (the admin API's `outcome`, the CLI's `--outcome`, the
 * dashboard's select): one outcome or several separated by commas, `unknown,failed`. Strict: a
 * value that is no outcome (a typo, `unkown`) or an empty item is refused, never dropped: dropped,
 * the filter read as fewer outcomes or none, and "every change of unknown outcome" came back
 * empty or as the whole log.
 */
export const OUTCOMES_EXPECTED = `expected one or more of ${AUDIT_OUTCOMES.join(', ')}, separated by commas`;

/** The outcomes `raw` names (each once, in the order given), or the problem with it. */
export function parseOutcomes(raw: string): { outcomes: AuditOutcome[] } | { problem: string } {
  const parts = raw.split(',').map((p) => p.trim());
  const wrong = parts.find((p) => !(AUDIT_OUTCOMES as readonly string[]).includes(p));
  if (wrong !== undefined) {
    // Shown in printable ASCII: a control or bidi character typed along is named, never acted on.
    const shown = JSON.stringify(wrong.slice(0, 40)).replace(/[^\x20-\x7e]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
    return { problem: wrong === '' ? `${OUTCOMES_EXPECTED}; got an empty item` : `${OUTCOMES_EXPECTED}; got ${shown}` };
  }
  return { outcomes: [...new Set(parts as AuditOutcome[])] };
}
