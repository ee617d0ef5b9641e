import type { Response, Router } from 'express';
import type { AuditEntry, MemberStatus, MemberView } from '../../agent/api.ts';
import { MEMBER_SORTS, MEMBER_STATUSES } from '../admin/request-schemas.ts';
import { requireSession } from './session-guard.ts';
import type { WebContext } from './web-context.ts';

const PAGE = 500;
/** An export larger than this is cut (and says so in its last line) rather than exhaust memory. */
export const MAX_EXPORT_ROWS = 100_000;

/**
 * One CSV cell (RFC 4180 quoting). A cell a spreadsheet would run as a formula (=, +, -, @, tab,
 * CR: OWASP "CSV injection") is prefixed with an apostrophe: member emails and names come from
 * the app and the IdP, not from us.
 */
export function csvCell(value: unknown): string {
  let text = value === undefined || value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvLine = (cells: unknown[]) => `${cells.map(csvCell).join(',')}\r\n`;

const tasksText = (m: MemberView) => m.assets.map((a) => `${a.type} ${a.id}: ${a.tasks.join('+')}`).join('; ');

function sendCsv(res: Response, name: string, lines: Iterable<string>): void {
  res.type('text/csv; charset=utf-8').attachment(name);
  let body = '';
  for (const line of lines) body += line;
  res.send(body);
}

/** CSV exports of members and of the audit log, paged through the agent so filters match the page. */
export function registerCsvExports(router: Router, ctx: WebContext): void {
  const guard = requireSession(ctx, 'api');

  router.get('/export/hubs/:hubId/members.csv', guard, (req, res) => {
    const hubId = String(req.params.hubId);
    if (!ctx.agent.hub(hubId)) return void res.status(404).type('text').send(`hub "${hubId}" does not exist`);
    const status = MEMBER_STATUSES.find((s) => s === req.query.status) as MemberStatus | undefined;
    const sort = MEMBER_SORTS.find((s) => s === req.query.sort);
    const search = typeof req.query.search === 'string' ? req.query.search.slice(0, 200) : undefined;
    sendCsv(res, `${hubId}-${status ?? 'members'}.csv`, (function* () {
      yield csvLine(['email', 'name', 'status', 'app role', 'asset tasks', 'hub role', 'granted by', 'directory user', 'exemption', 'last seen', 'member id']);
      for (let offset = 0; offset < MAX_EXPORT_ROWS; offset += PAGE) {
        const page = ctx.agent.members(hubId, { status, search, sort, offset, limit: PAGE });
        for (const m of page.items) {
          yield csvLine([m.email, m.name, m.status, m.appRole, tasksText(m), m.hubRole, m.grantedBy.join('; '), m.directoryUserId,
            m.exemption ? `${m.exemption.reason}${m.exemption.until ? ` (until ${m.exemption.until})` : ''}` : '', m.lastSeenAt, m.id]);
        }
        if (offset + PAGE >= page.total) return;
      }
      yield csvLine([`(cut at ${MAX_EXPORT_ROWS} rows)`]);
    })());
  });

  router.get('/export/audit.csv', guard, async (req, res) => {
    const q = (k: string) => (typeof req.query[k] === 'string' && req.query[k] ? String(req.query[k]).slice(0, 320) : undefined);
    const since = q('since');
    const query = { hubId: q('hubId'), email: q('email'), action: q('action'), since: since && /^\d{4}-\d{2}-\d{2}/.test(since) ? new Date(since).toISOString() : undefined };
    // One read of the log (kept on disk and read page by page by the store), not one per page.
    const page = await ctx.agent.audit({ ...query, offset: 0, limit: MAX_EXPORT_ROWS });
    sendCsv(res, 'audit.csv', (function* () {
      yield csvLine(['seq', 'at', 'hub', 'trigger', 'actor', 'action', 'email', 'subject', 'why', 'outcome', 'task']);
      for (const e of page.items as AuditEntry[]) {
        yield csvLine([e.seq, e.at, e.hubId, e.trigger.type, e.trigger.actor, e.action, e.subject?.email, e.subject?.label ?? e.subject?.memberId, e.why, e.outcome, e.taskId]);
      }
      if (page.total > MAX_EXPORT_ROWS) yield csvLine([`(cut at ${MAX_EXPORT_ROWS} rows)`]);
    })());
  });
}
