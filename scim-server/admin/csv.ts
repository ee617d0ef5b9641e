import type { Response } from 'express';
import { MAX_EXPORT_ROWS, type AgentApi, type AuditEntry, type AuditQuery, type MemberView } from '../../agent/api.ts';

/**
 * CSV exports of members and of the audit log (RFC 4180), shared by the admin API
 * (`Accept: text/csv`) and the dashboard's download links, so both write the same columns.
 */

/** Rows are read from the agent this many at a time (its paged read functions). */
const READ_PAGE = 500;
/** The export cap (agent/api.ts), re-exported for the admin routes. */
export { MAX_EXPORT_ROWS };

/**
 * One CSV cell (RFC 4180 §2: fields with a comma, quote or line break are quoted, quotes doubled).
 * A cell a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR: OWASP "CSV
 * injection", https://owasp.org/www-community/attacks/CSV_Injection; or NUL, which OWASP ASVS 5.0
 * requirement 1.2.10 adds,
 * https://owasp.org/www-project-application-security-verification-standard/)
 * is prefixed with an apostrophe: member emails and names come from the app and the IdP, not from us.
 */
export function csvCell(value: unknown): string {
  let text = value === undefined || value === null ? '' : String(value);
  // The same inside the value after a semicolon or a line break: a spreadsheet whose list
  // separator is `;` (Excel in most European locales) splits there, and reads a quote that does
  // not open the field as a plain character, so the rest starts a cell (or a row) of its own.
  // The OWASP page above warns of exactly this: a separator inside the value puts a dangerous
  // character in its middle at the beginning of a cell. A tab too: a reader told to split at tabs
  // (LibreOffice's and Excel's text import offer it; a value holding no comma, quote or line
  // break is written unquoted) starts a cell after each one.
  text = text.replace(/([;\t\r\n])(?=[=+\-@\t\r\0])/g, "$1'");
  if (/^[=+\-@\t\r\0]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 §2: records end with CRLF. */
export const csvLine = (cells: unknown[]) => `${cells.map(csvCell).join(',')}\r\n`;

/** The window an export covers: from `offset`, at most `limit` rows (default: all, up to the cap). */
export interface ExportWindow { offset?: number; limit?: number }

/** `next`: the cursor of the page after this one (the members query), absent on the last. */
interface Page<T> { total: number; items: T[]; next?: string }

/** Where the next page starts: from a cursor (offset 0), else after the rows read so far; undefined: no rows remain. */
type NextOf<T, C> = (page: Page<T>, offset: number, cursor: C | undefined) => { cursor?: C } | undefined;
const byOffset = <T>(page: Page<T>, offset: number) => (offset + page.items.length < page.total ? {} : undefined);

/**
 * Reads `read` page by page from `offset` until `limit` rows or the end; the cut is announced.
 * With a cursor from `nextOf`, each page after the first is read from the previous page's cursor
 * at offset 0 instead of a growing offset: rows written or removed while a long export runs
 * (audit entries, a check for updates replacing members) would shift offset pages, and the rows
 * at a page boundary were exported twice or not at all.
 */
async function* paged<T, C = never>(read: (offset: number, limit: number, cursor?: C) => Page<T> | Promise<Page<T>>, window: ExportWindow, nextOf: NextOf<T, C> = byOffset): AsyncGenerator<T | { cut: number }> {
  const want = Math.min(window.limit ?? MAX_EXPORT_ROWS, MAX_EXPORT_ROWS);
  let offset = window.offset ?? 0;
  let cursor: C | undefined;
  let sent = 0;
  for (;;) {
    const page = await read(offset, Math.min(READ_PAGE, want - sent), cursor);
    for (const item of page.items) yield item;
    sent += page.items.length;
    const next = page.items.length === 0 ? undefined : nextOf(page, offset, cursor);
    if (!next) return;
    if (sent >= want) {
      if (window.limit === undefined) yield { cut: MAX_EXPORT_ROWS };
      return;
    }
    if (next.cursor !== undefined) {
      cursor = next.cursor;
      offset = 0;
    } else offset += page.items.length;
  }
}

const isCut = (x: unknown): x is { cut: number } => typeof (x as { cut?: unknown }).cut === 'number';

/** The partner business a partner's person belongs to, by name when known. */
export const partnerText = (m: MemberView) => (m.kind === 'partner-user' ? m.partnerBusinessName ?? m.partnerBusinessId ?? '' : '');
const tasksText = (m: MemberView) => m.assets.map((a) => `${a.type} ${a.id}: ${a.tasks.join('+')}`).join('; ');

/**
 * A page of members and, while rows remain after it, the cursor of the next (agent/api.ts
 * `MemberQuery.after`): `read(offset, limit, after)`.
 */
export type MemberRead = (offset: number, limit: number, after?: string) => Promise<Page<MemberView>>;

/**
 * The members of a hub as CSV, read through `read` (the agent's members, or those of one email:
 * member-email.ts): pages after the first by the cursor of the page before (`next`), so a check
 * for updates replacing rows during the export neither repeats nor skips the rows there throughout.
 */
export async function* memberCsv(read: MemberRead, window: ExportWindow = {}): AsyncGenerator<string> {
  yield csvLine(['email', 'name', 'status', 'app role', 'asset tasks', 'hub role', 'granted by', 'directory user', 'exemption', 'partner business', 'last seen', 'other seats', 'member id']);
  for await (const m of paged<MemberView, string>(read, window, (page, offset, after) => (page.next !== undefined ? { cursor: page.next } : after === undefined ? byOffset(page, offset) : undefined))) {
    if (isCut(m)) yield csvLine([`(cut at ${m.cut} rows)`]);
    else {
      yield csvLine([m.email, m.name, m.status, m.appRole, tasksText(m), m.hubRole, m.grantedBy.join('; '), m.directoryUserId,
        m.exemption ? `${m.exemption.reason}${m.exemption.until ? ` (until ${m.exemption.until})` : ''}` : '', partnerText(m), m.lastSeenAt, (m.otherSeats ?? []).join('; '), m.id]);
    }
  }
}

export async function* auditCsv(agent: AgentApi, query: Omit<AuditQuery, 'offset' | 'limit'>, window: ExportWindow = {}): AsyncGenerator<string> {
  yield csvLine(['seq', 'at', 'hub', 'trigger', 'actor', 'action', 'email', 'subject', 'why', 'outcome', 'task']);
  // The next page: entries older than this one's lowest seq (the JSON route's `next`), within a caller's own `before`.
  const read = (offset: number, limit: number, cursor?: number) => agent.audit({ ...query, ...(cursor !== undefined ? { before: cursor } : {}), offset, limit });
  for await (const e of paged<AuditEntry, number>(read, window, (page, offset) => (byOffset(page, offset) ? { cursor: Math.min(...page.items.map((i) => i.seq)) } : undefined))) {
    if (isCut(e)) yield csvLine([`(cut at ${e.cut} rows)`]);
    else yield csvLine([e.seq, e.at, e.hubId, e.trigger.type, e.trigger.actor, e.action, e.subject?.email, e.subject?.label ?? e.subject?.memberId, e.why, e.outcome, e.taskId]);
  }
}

/**
 * Sends the lines as one `text/csv` body (the media type of RFC 4180 §3; UTF-8). The headers are
 * set once every line is read: an export that fails part way is answered as an error, not as a
 * download named `audit.csv` holding the error.
 */
export async function sendCsv(res: Response, lines: AsyncIterable<string>, attachment?: string): Promise<void> {
  let body = '';
  for await (const line of lines) body += line;
  res.type('text/csv; charset=utf-8');
  if (attachment) res.attachment(attachment);
  res.send(body);
}
