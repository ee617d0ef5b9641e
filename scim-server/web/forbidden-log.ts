import type { DashboardLog } from './web-context.ts';

/**
 * My access's Claim refused because the offer is not the person's (404: another person's, made
 * up, or withdrawn) or the sign-in does not say which namesake they are (403). An id that names no
 * offer of their email has no hub to be audited in, so this line is its only trace.
 */
export const CLAIM_REFUSED_LINE = { message: 'dashboard: refused a claim of an offer that is not the person\'s', level: 'info' } as const;

/** One log line per person per window; the refusals in between are counted into the next line. */
const WINDOW_MS = 60_000;
/** People tracked at once; the oldest is forgotten first (its next refusal logs at once). */
const MAX_TRACKED = 1_000;

interface Tracked { since: number; refused: number }

/**
 * Logs the dashboard's refusals (403): who, which page or API path, and the hub it named.
 * Failed access-control decisions are logged so an investigation can find them (OWASP ASVS 4.0.3
 * V7.2.2, https://github.com/OWASP/ASVS/blob/v4.0.3/4.0/en/0x15-V7-Error-Logging.md). They go to
 * the log, not a hub's audit log: anyone signed in can ask for any hub id, also one that does not
 * exist, and the audit log is the record of changes to access. One line a minute per person and
 * process, the rest counted into it, so a person in a loop cannot flood the log.
 */
export class ForbiddenLog {
  readonly #log: DashboardLog;
  readonly #now: () => number;
  readonly #tracked = new Map<string, Tracked>();

  readonly #line: { message: string; level: 'info' | 'warn' };

  /** `line`: the message and level of each line (default: a hub-role refusal, at info). */
  constructor(log: DashboardLog, now: () => number = Date.now, line: { message: string; level: 'info' | 'warn' } = { message: 'dashboard: refused (403)', level: 'info' }) {
    this.#log = log;
    this.#now = now;
    this.#line = line;
  }

  /** `more`: what else the line says about the refusal (CSRF refusals: why, and the Origin sent). */
  refused(actor: string, path: string, hubId?: string, more: Record<string, string> = {}): void {
    const now = this.#now();
    const seen = this.#tracked.get(actor);
    if (seen && now - seen.since < WINDOW_MS) {
      seen.refused += 1;
      return;
    }
    const before = seen?.refused ?? 0;
    this.#tracked.delete(actor); // re-inserted last: the Map's order is the order of last logging
    this.#tracked.set(actor, { since: now, refused: 0 });
    if (this.#tracked.size > MAX_TRACKED) this.#tracked.delete(this.#tracked.keys().next().value!);
    this.#log[this.#line.level](this.#line.message, {
      actor, path, ...(hubId !== undefined ? { hubId } : {}), ...more,
      ...(before > 0 ? { alsoRefusedSinceLastLine: before } : {}),
    });
  }
}
