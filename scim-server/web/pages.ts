import type { Request, Response, Router } from 'express';
import { AUDIT_OUTCOMES, DIRECTORY_STATUSES, type AgentApi, type HubSummary } from '../../agent/api.ts';
import { connectorById } from '../../connectors/registry.ts';
import { TASK_RETRY_RIGHT } from '../../agent/access/hub-access.ts';
import { automationCharts, hubCharts, standingSvg } from './chart-sections.ts';
import { currentViewer, managesAny, requireHubRight, requireSomeHub, sendForbidden, viewerMay, withViewer } from './hub-guard.ts';
import { html, layout, type LayoutOptions, type SafeHtml } from './html.ts';
import { scopedAgent } from './scoped-agent.ts';
import { currentSession, requireSession } from './session-guard.ts';
import type { WebContext } from './web-context.ts';

export const MEMBER_TABS = [
  ['onboarded', 'Onboarded'], ['invited', 'Invited'], ['lapsed', 'Lapsed invites'], ['unmatched', 'Unmatched'], ['guest', 'Guest'], ['exempted', 'Exempted'],
] as const;
const HUB_TABS = [['members', 'Members'], ['assets', 'Assets'], ['partners', 'Partners'], ['settings', 'Settings']] as const;

/**
 * Sends a page in the layout, its nav cut to what the viewer may see. Every page's route has
 * passed `withViewer` (directly or through a hub check).
 */
export function sendPage(ctx: WebContext, res: Response, o: Omit<LayoutOptions, 'basePath' | 'session'>): void {
  const s = currentSession(res);
  res.type('html').send(layout({ ...o, basePath: ctx.basePath, session: { actor: s.actor, csrf: s.csrf, manages: managesAny(ctx, currentViewer(res)) } }));
}

/**
 * The dashboard's pages. Each is a server-rendered shell (headings, tabs,
 * filters, table heads) whose rows a small module script fills from `/ui/api` with server-side
 * paging, so a hub of 10,000 members never ships them all to the browser. Every route checks
 * the viewer's hub role on the server (hub-guard.ts) and reads through the agent as that viewer
 * may use it (scoped-agent.ts).
 */
export function registerPages(router: Router, ctx: WebContext): void {
  const guard = requireSession(ctx, 'page');
  const send = (res: Response, o: Omit<LayoutOptions, 'basePath' | 'session'>) => sendPage(ctx, res, o);
  const agentOf = (res: Response): AgentApi => scopedAgent(ctx.agent, () => currentViewer(res));

  // A hub's standing bar as an image, for the hubs page's cards (drawn by script, refreshed
  // after a check for updates by reloading the image).
  router.get('/charts/hubs/:hubId/standing.svg', requireSession(ctx, 'api'), requireHubRight(ctx, 'manage', 'api'), async (req, res) => {
    const hub = await agentOf(res).hub(String(req.params.hubId));
    if (!hub) return void res.status(404).type('text').send('no such hub');
    res.type('image/svg+xml').send(`<?xml version="1.0" encoding="UTF-8"?>\n${standingSvg(hub, true)}`);
  });

  // Someone who manages no hub (a collaborator, or nobody the directory knows) lands on My access.
  router.get('/', guard, withViewer(ctx, 'page'), (_req, res) => {
    if (!managesAny(ctx, currentViewer(res))) return res.redirect(303, `${ctx.basePath}/my-access`);
    const viewer = currentViewer(res);
    send(res, { title: 'Business hubs', current: 'hubs', script: 'hubs-page.js', body: html`
<h1>Business hubs</h1>
<p class="lead">${viewer.admin ? 'Every hub hubwarden governs, its health and who holds a seat.' : 'The hubs you own or manage, and who holds a seat.'}</p>
<div id="hubs" class="cards" aria-live="polite" aria-busy="true"><p>Loading…</p></div>` });
  });

  router.get('/hubs/:hubId', guard, requireHubRight(ctx, 'manage', 'page'), async (req: Request, res) => {
    const hubId = String(req.params.hubId);
    const viewer = currentViewer(res);
    const agent = agentOf(res);
    const hub = await agent.hub(hubId);
    if (!hub) {
      res.status(404);
      return send(res, { title: 'Hub not found', body: html`<h1>Hub not found</h1><p>No hub "${hubId}" in the config. <a href="${ctx.basePath}/">All hubs</a></p>` });
    }
    // Settings and health are the owners' (and administrators'); managers get the rest.
    const owner = viewerMay(viewer, hubId, 'settings');
    const tabsShown = HUB_TABS.filter(([id]) => id !== 'settings' || owner);
    if (req.query.tab === 'settings' && !owner) return sendForbidden(ctx, req, res, 'page', 'a hub\'s settings are for its owners');
    const tab = tabsShown.some(([id]) => id === req.query.tab) ? String(req.query.tab) : 'members';
    const tabs = tabsShown.map(([id, label]) => html`<a href="?tab=${id}" ${id === tab ? html`aria-current="page"` : ''}>${label}</a>`);
    const charts = tab === 'members' ? await hubCharts(agent, hub) : '';
    const role = viewer.admin ? 'admin' : viewer.roles.get(hubId) ?? '';
    // `app`: the connector's label, which the member dialogs name as where a change is made.
    const app = connectorById(hub.connector)?.label ?? hub.connector;
    // The title names the section and the hub: a tab's title is what tells the pages apart (WCAG 2.2 SC 2.4.2).
    const section = tabsShown.find(([id]) => id === tab)?.[1] ?? 'Members';
    send(res, { title: `${section} · ${hub.label}`, current: 'hubs', script: 'hub-page.js', data: { hub: hubId, tab, role, app }, body: html`
<p class="crumbs"><a href="${ctx.basePath}/">Business hubs</a> ›</p>
<h1>${hub.label} <span class="muted">${hub.connector}</span></h1>
${owner && hub.health ? healthLine(hub) : ''}
${charts}
<nav class="tabs" aria-label="Hub sections">${tabs}</nav>
${tab === 'members' ? membersSection() : html`<section id="${tab}" aria-live="polite" aria-busy="true"><p>Loading…</p></section>`}` });
  });

  router.get('/automation', guard, requireSomeHub(ctx, 'page'), async (_req, res) => {
    const agent = agentOf(res);
    const viewer = currentViewer(res);
    // The calls-per-hour counters are the whole process's, every hub's: administrators only.
    const charts = await automationCharts(agent, Date.now(), viewer.admin ? undefined : false);
    const shown = await agent.hubs();
    const hubs = shown.map((h) => html`<option value="${h.id}">${h.label}</option>`);
    // `retry-hubs`: the hubs whose failed tasks the viewer may retry (the retry route's own check),
    // as the hub page's `role`: the script shows Retry only where a click can succeed.
    const retryHubs = shown.filter((h) => viewerMay(viewer, h.id, TASK_RETRY_RIGHT)).map((h) => h.id).join(' ');
    send(res, { title: 'Automation', current: 'automation', script: 'automation-page.js', data: { 'retry-hubs': retryHubs }, body: html`
<h1>Automation</h1>
${charts}
<section aria-labelledby="reports-title"><h2 id="reports-title" tabindex="-1">Waiting for you</h2>
<div id="approvals"></div><div id="reports"><p>Loading…</p></div></section>
<section aria-labelledby="tasks-title"><h2 id="tasks-title">Tasks</h2>
<form class="filters" id="task-filters">
<label>Hub <select name="hubId"><option value="">All hubs</option>${hubs}</select></label>
<label>Status <select name="status"><option value="">Any status</option>${['queued', 'running', 'waiting', 'completed', 'failed', 'cancelled', 'needs-approval'].map((s) => html`<option>${s}</option>`)}</select></label>
<label>Kind <input name="kind" placeholder="e.g. check-for-updates"></label>
</form>
<div id="progress" aria-live="polite"></div>
<div class="table-wrap"><table id="tasks"><caption class="sr-only">Tasks, newest first</caption><thead><tr>
<th scope="col">Task</th><th scope="col">Hub</th><th scope="col">Status</th><th scope="col">Trigger</th><th scope="col">Created</th><th scope="col">Updated</th><th scope="col">Duration</th><th scope="col">Error</th>
</tr></thead><tbody></tbody></table></div>
<div class="pager" id="tasks-pager"></div></section>` });
  });

  router.get('/audit', guard, requireSomeHub(ctx, 'page'), async (_req, res) => {
    const hubs = (await agentOf(res).hubs()).map((h) => html`<option value="${h.id}">${h.label}</option>`);
    send(res, { title: 'Audit log', current: 'audit', script: 'audit-page.js', body: html`
<h1>Audit log</h1>
<form class="filters" id="audit-filters">
<label>Hub <select name="hubId"><option value="">All hubs</option>${hubs}</select></label>
<label>Email <input name="email" type="search" autocomplete="off"></label>
<label>Action <input name="action" type="search" placeholder="e.g. invite"></label>
<label>Outcome <select name="outcome"><option value="">Any outcome</option>${AUDIT_OUTCOMES.map((o) => html`<option value="${o}">${o}</option>`)}</select></label>
<label>Since <input name="since" type="date"></label>
<a class="button" id="audit-csv" href="#" download="audit.csv">Export CSV</a>
</form>
<div class="table-wrap"><table id="audit"><caption class="sr-only">Audit entries, newest first</caption><thead><tr>
<th scope="col">When</th><th scope="col">Hub</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Subject</th><th scope="col">Why</th><th scope="col">Outcome</th>
</tr></thead><tbody></tbody></table></div>
<div class="pager" id="audit-pager"></div>` });
  });
}

/** The hub's health in one line under its title (the hubs page has the full card). */
function healthLine(hub: HubSummary): SafeHtml {
  const last = hub.health.lastCheckForUpdates;
  return html`<p class="health-line"><span class="badge ${hub.health.status}">${hub.health.status}</span>
 Last check for updates: ${last ? `${last.at.slice(0, 16).replace('T', ' ')} UTC (${last.outcome})` : 'never'} · failing tasks: ${hub.health.failingTasks}
${hub.health.problems.length ? html`<span class="error"> · ${hub.health.problems.join('; ')}</span>` : ''}</p>`;
}

function membersSection(): SafeHtml {
  const tabs = MEMBER_TABS.map(([id, label], i) => html`<button type="button" role="tab" id="tab-${id}" data-status="${id}" aria-selected="${i === 0 ? 'true' : 'false'}" aria-controls="members-panel">${label} <span class="count" data-count="${id}"></span></button>`);
  const sortable = (key: string, label: string) => html`<th scope="col"><button type="button" class="sort" data-sort="${key}">${label}</button></th>`;
  return html`<section id="members" aria-labelledby="members-title">
<h2 id="members-title" class="sr-only">Members</h2>
<div role="tablist" aria-label="Member status" class="status-tabs">${tabs}</div>
<div id="members-panel" role="tabpanel">
<form class="filters" id="member-filters" role="search">
<label>Search <input name="search" type="search" autocomplete="off" placeholder="email or name"></label>
<label>In the IdP <select name="directoryStatus"><option value="">any</option>${DIRECTORY_STATUSES.map((s) => html`<option value="${s}">${s}</option>`)}</select></label>
<label><input type="checkbox" name="flag" value="other-seats"> Same person, several seats</label>
<a class="button" id="members-csv" href="#">Export CSV</a>
</form>
<div class="table-wrap"><table id="members-table"><caption class="sr-only">Members</caption><thead><tr>
${sortable('email', 'Email')}<th scope="col">App role</th><th scope="col">Asset tasks</th><th scope="col">Hub role</th><th scope="col">Granted by</th>${sortable('status', 'Status')}${sortable('lastSeenAt', 'Last seen')}<th scope="col"><span class="sr-only">Actions</span></th>
</tr></thead><tbody></tbody></table></div>
<div class="pager" id="members-pager"></div>
</div></section>`;
}
