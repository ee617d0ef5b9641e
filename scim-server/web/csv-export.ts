import type { Router } from 'express';
import type { MemberStatus } from '../../agent/api.ts';
import { auditCsv, memberCsv, sendCsv } from '../admin/csv.ts';
import { DIRECTORY_STATUSES, MEMBER_FLAGS, MEMBER_SORTS, MEMBER_STATUSES } from '../admin/request-schemas.ts';
import { parseOutcomes } from '../../agent/audit/outcome-filter.ts';
import { currentViewer, requireHubRight, requireSomeHub } from './hub-guard.ts';
import { scopedAgent } from './scoped-agent.ts';
import { requireSession } from './session-guard.ts';
import type { WebContext } from './web-context.ts';

/**
 * The dashboard's "Export CSV" links: the admin API's CSV (scim-server/admin/csv.ts) behind the
 * session, as a download, with the filters the page shows. Members: the hub's owners and managers
 * (and administrators); the audit log: cut to the viewer's hubs.
 */
export function registerCsvExports(router: Router, ctx: WebContext): void {
  const guard = requireSession(ctx, 'api');

  router.get('/export/hubs/:hubId/members.csv', guard, requireHubRight(ctx, 'manage', 'api'), async (req, res) => {
    const hubId = String(req.params.hubId);
    const agent = scopedAgent(ctx.agent, () => currentViewer(res));
    if (!(await agent.hub(hubId))) return void res.status(404).type('text').send(`hub "${hubId}" does not exist`);
    const status = MEMBER_STATUSES.find((s) => s === req.query.status) as MemberStatus | undefined;
    const sort = MEMBER_SORTS.find((s) => s === req.query.sort);
    const directoryStatus = DIRECTORY_STATUSES.find((s) => s === req.query.directoryStatus);
    const flag = MEMBER_FLAGS.find((f) => f === req.query.flag);
    const search = typeof req.query.search === 'string' ? req.query.search.slice(0, 200) : undefined;
    await sendCsv(res, memberCsv((offset, limit, after) => agent.members(hubId, { status, directoryStatus, flag, search, sort, offset, limit, ...(after !== undefined ? { after } : {}) })), `${hubId}-${status ?? 'members'}.csv`);
  });

  router.get('/export/audit.csv', guard, requireSomeHub(ctx, 'api'), async (req, res) => {
    const q = (k: string) => (typeof req.query[k] === 'string' && req.query[k] ? String(req.query[k]).slice(0, 320) : undefined);
    // The page's date input sends 2026-11-30; an impossible date is ignored rather than a 500.
    const since = Date.parse(q('since') ?? '');
    // The outcome filter (the page's select) is refused when it names no outcome, as the admin
    // API does: ignored, the export held every outcome while the page said it held some.
    const outcome = q('outcome') === undefined ? undefined : parseOutcomes(q('outcome')!);
    if (outcome && 'problem' in outcome) return void res.status(400).type('text').send(`outcome: ${outcome.problem}`);
    const query = { hubId: q('hubId'), email: q('email'), action: q('action'), outcome: outcome?.outcomes, since: Number.isNaN(since) ? undefined : new Date(since).toISOString() };
    await sendCsv(res, auditCsv(scopedAgent(ctx.agent, () => currentViewer(res)), query), 'audit.csv');
  });
}
