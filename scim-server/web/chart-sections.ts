import { MEMBER_STATUSES, type AgentApi, type HubSummary } from '../../agent/api.ts';
import { graphCallsByHour, type HourlyCounts } from '../ops/hourly-counts.ts';
import { inviteFunnel, recentTasks, taskDurationMs, TASK_SAMPLE, AUDIT_SAMPLE } from './chart-data.ts';
import { COLORS, durationText, horizontalBars, hourlyColumns, standingBar, type Series } from './charts.ts';
import { html, type SafeHtml } from './html.ts';

/** The dashboard's figures: a chart with its caption, as the pages place them. */

export const STANDING_SERIES: Series[] = MEMBER_STATUSES
  .map((key) => ({ key, label: key, color: COLORS[key] }));
const OUTCOME_SERIES: Series[] = (['completed', 'failed', 'cancelled'] as const).map((key) => ({ key, label: key, color: COLORS[key] }));
const GRAPH_SERIES: Series[] = [{ key: 'calls', label: 'answered', color: COLORS.calls }, { key: 'throttled', label: 'throttled', color: COLORS.throttled }];

const figure = (id: string, caption: string, chart: SafeHtml, note?: string) =>
  html`<figure class="chart-figure" data-chart="${id}"><figcaption>${caption}${note ? html` <span class="muted">${note}</span>` : ''}</figcaption>${chart}</figure>`;

export function standingSvg(hub: HubSummary, standalone = false): SafeHtml {
  return standingBar(`standing-${hub.id}`, hub.label, hub.memberCounts, STANDING_SERIES, standalone);
}

/** A hub's page: who stands where, and how its invites fared. */
export async function hubCharts(agent: AgentApi, hub: HubSummary): Promise<SafeHtml> {
  const f = await inviteFunnel(agent, hub.id);
  const pct = (n: number) => (f.sent ? ` (${Math.round((n / f.sent) * 100)}%)` : '');
  const rows = [
    { key: 'sent', label: 'Sent by hubwarden', value: f.sent, text: String(f.sent), color: COLORS.invited },
    { key: 'accepted', label: 'Accepted', value: f.accepted, text: `${f.accepted}${pct(f.accepted)}`, color: COLORS.onboarded },
    { key: 'expired', label: 'Expired', value: f.expired, text: `${f.expired}${pct(f.expired)}`, color: COLORS.throttled },
  ];
  const funnel = horizontalBars(`funnel-${hub.id}`, `Invite funnel of ${hub.label}`,
    `${f.sent} invites sent by hubwarden, ${f.accepted} accepted, ${f.expired} expired`, f.sent || f.accepted || f.expired ? rows : [], 'hubwarden has not sent an invite here yet');
  return html`<section class="charts" aria-labelledby="standing-title"><h2 id="standing-title" class="sr-only">Standing and invites</h2>
<div class="chart-grid">
${figure('standing', 'Who holds a seat, by standing', standingSvg(hub))}
${figure('funnel', 'Invites: sent → accepted → expired', funnel, f.capped ? `(from the newest ${AUDIT_SAMPLE} audit entries per step)` : '(from the audit log)')}
</div>
</section>`;
}

/**
 * The automation page: tasks per hour by outcome, calls to the apps and their throttling, task
 * durations. `graph: false` leaves out the calls chart (its counters are every hub's: a hub owner
 * sees only their own hubs' tasks, through a scoped agent).
 */
export async function automationCharts(agent: AgentApi, now = Date.now(), graph: HourlyCounts | false = graphCallsByHour): Promise<SafeHtml> {
  const tasks = await recentTasks(agent, now);
  const perHour = hourlyColumns('tasks-per-hour', 'Finished tasks per hour, last 24 hours', tasks.perHour, OUTCOME_SERIES, 'No task finished in the last 24 hours');
  const calls = graph ? hourlyColumns('graph-calls', 'Calls to the apps\' APIs per hour, last 24 hours', graph.recent(now), GRAPH_SERIES, 'No call to an app in the last 24 hours') : undefined;
  const since = graph && now - graph.since < 24 * 3_600_000 ? `(counted since hubwarden started, ${new Date(graph.since).toISOString().slice(0, 16).replace('T', ' ')} UTC)` : '';
  const rows = tasks.latest.map((t) => {
    const ms = taskDurationMs(t);
    return { key: t.id, label: `${t.kind}${t.hubId ? ` · ${t.hubId}` : ''}`, value: ms, text: durationText(ms), color: COLORS[t.status as 'completed' | 'failed' | 'cancelled'] ?? COLORS.cancelled, note: `${t.status}, ${t.attempts} attempt(s)` };
  });
  const durations = horizontalBars('task-durations', 'How long the latest finished tasks ran',
    rows.map((r) => `${r.label}: ${r.text} (${r.note})`).join('; ') || 'No finished task yet', rows, 'No finished task yet');
  return html`<section class="charts" aria-labelledby="activity-title"><h2 id="activity-title">Last 24 hours</h2>
<div class="chart-grid">
${figure('tasks-per-hour', 'Tasks per hour by outcome (UTC)', perHour, tasks.capped ? `(from the newest ${TASK_SAMPLE} tasks per outcome)` : '')}
${calls ? figure('graph-calls', 'API calls to the apps and throttling per hour (UTC)', calls, since) : ''}
</div>
${figure('task-durations', 'Duration of the latest finished tasks (first start to finish)', durations)}
</section>`;
}
