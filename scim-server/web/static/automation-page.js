// Automation: deprovisioning reports and halted plans to review, and the task list updating
// live (polling) with the progress of a running check for updates.
import { api, badge, confirmDialog, el, keepFocus, pager, qs, shownText, toast, triggerText, when } from './dashboard.js';

const PAGE = 50;
const POLL_MS = 2000;
const filters = document.getElementById('task-filters');
let offset = 0;

/** Each button names the item it carries out: a screen reader's list of buttons shows it without its row (WCAG 2.2 SC 2.4.6). */
function reportView(r) {
  const open = r.status === 'open' || r.status === 'partially-applied';
  const apply = async (memberIds, label) => {
    const what = memberIds === 'all'
      ? `Every pending item of this report is carried out in the app of hub ${r.hubId} now: ${r.items.filter((i) => !i.appliedAt).map((i) => `${i.action} ${i.email ?? i.memberId}`).join('; ')}. People reactivated since are skipped.`
      : `${label} is carried out in the app of hub ${r.hubId} now.`;
    const ok = await confirmDialog({ title: 'Apply deprovisioning report', what, confirmLabel: 'Apply', danger: true });
    if (!ok) return;
    try {
      await api(`/reports/${encodeURIComponent(r.id)}/apply`, { method: 'POST', body: { memberIds } });
      toast('Report applied; the removals are queued.');
    } catch (err) { toast(err.message, true); }
    await loadWork();
    keepFocus(`[data-report="${CSS.escape(r.id)}"] button`, '#reports-title');
  };
  return el('article', { class: 'report', 'data-report': r.id },
    el('header', {}, el('strong', {}, `Deprovisioning report · ${r.hubId}`), badge(r.status), el('span', { class: 'muted' }, when(r.createdAt)),
      open ? el('button', { type: 'button', class: 'primary', 'data-action': 'apply-all', 'aria-label': `Apply all of the report on ${r.hubId}`, onclick: () => apply('all') }, 'Apply all') : null),
    el('ul', {}, r.items.map((i) => el('li', { 'data-item': i.memberId },
      `${i.action} ${i.email ?? i.memberId}: ${i.reason} `,
      i.appliedAt ? badge('applied') : open ? el('button', { type: 'button', 'data-action': 'apply-one', 'aria-label': `Apply: ${i.action} ${i.email ?? i.memberId}`, onclick: () => apply([i.memberId], `${i.action} of ${i.email ?? i.memberId}`) }, 'Apply') : null))),
  );
}

function approvalView(a) {
  const decide = async (decision) => {
    // Approving runs every removal the threshold held: the API requires a reason (audited); rejecting takes one optionally.
    const required = decision === 'approve';
    const values = await confirmDialog({
      title: decision === 'approve' ? 'Approve the halted plan' : 'Reject the halted plan',
      what: decision === 'approve' ? `These operations run in the app of hub ${a.hubId} now: ${a.operations.map((o) => o.summary).join('; ')}` : 'None of these operations run; the plan is dropped.',
      fields: [el('label', {}, required ? 'Reason (who asked and why)' : 'Reason (optional)', el('textarea', { name: 'reason', required, rows: 2, maxlength: 500, id: 'decision-reason' }))],
      confirmLabel: decision === 'approve' ? 'Approve and run' : 'Reject', danger: decision === 'approve',
      validate: (v) => (required && !String(v.reason ?? '').trim() ? { field: 'reason', message: 'Give a reason.' } : undefined),
    });
    if (!values) return;
    // One line wherever it is shown (the API refuses line breaks): a line typed across two is joined.
    const reason = String(values.reason ?? '').replace(/\s+/g, ' ').trim();
    try {
      await api(`/approvals/${encodeURIComponent(a.id)}/${decision}`, { method: 'POST', body: reason ? { reason } : {} });
      toast(`Plan ${decision === 'approve' ? 'approved' : 'rejected'}.`);
    } catch (err) { toast(err.message, true); }
    await loadWork();
    keepFocus('[data-approval] button', '#reports-title');
  };
  return el('article', { class: 'report', 'data-approval': a.id },
    el('header', {}, el('strong', {}, `Halted plan · ${a.hubId}`), badge(a.status), el('span', { class: 'muted' }, when(a.createdAt))),
    el('p', {}, a.explanation),
    el('ul', {}, a.operations.slice(0, 50).map((o) => el('li', {}, o.summary))),
    a.status === 'pending' ? el('div', { class: 'buttons' },
      el('button', { type: 'button', class: 'primary', 'aria-label': `Approve the halted plan on ${a.hubId}`, onclick: () => decide('approve') }, 'Approve'),
      el('button', { type: 'button', 'aria-label': `Reject the halted plan on ${a.hubId}`, onclick: () => decide('reject') }, 'Reject')) : null,
  );
}

async function loadWork(background = false) {
  try {
    const [{ items: reports }, { items: approvals }] = await Promise.all([api('/reports', { background }), api('/approvals', { background })]);
    const openReports = reports.filter((r) => r.status === 'open' || r.status === 'partially-applied');
    const pending = approvals.filter((a) => a.status === 'pending');
    document.getElementById('approvals').replaceChildren(...pending.map(approvalView));
    document.getElementById('reports').replaceChildren(...(openReports.length ? openReports.map(reportView) : pending.length ? [] : [el('p', {}, 'Nothing is waiting for approval.')]));
  } catch (err) {
    document.getElementById('reports').replaceChildren(el('p', { class: 'error' }, err.message));
  }
}

/** The same wording as the server's duration chart (scim-server/web/charts.ts durationText). */
function duration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
}

/**
 * The hubs whose failed tasks the viewer may retry (their owners', and every hub for an
 * administrator), as the page was served: the retry route checks the same right on every click.
 */
const retryHubs = new Set((document.body.dataset.retryHubs ?? '').split(' ').filter(Boolean));

/**
 * A failed app change, retried by its hub's owner once the cause is fixed (POST
 * /hubs/{hubId}/tasks/{taskId}/retry, with the reason): the server decides who may, and a second
 * click queues nothing.
 */
async function retryTask(t) {
  const values = await confirmDialog({
    title: 'Retry the failed task',
    what: `"${t.summary}" is queued again on hub ${t.hubId}, planned afresh before it calls the app (a change no longer wanted does nothing). The failed task is kept, and no longer holds the same change.`,
    fields: [el('label', {}, 'Reason (what was fixed)', el('textarea', { name: 'reason', required: true, rows: 2, maxlength: 500, id: 'retry-reason' }))],
    confirmLabel: 'Retry',
    validate: (v) => (!String(v.reason ?? '').trim() ? { field: 'reason', message: 'Give a reason.' } : undefined),
  });
  if (!values) return;
  const reason = String(values.reason ?? '').replace(/\s+/g, ' ').trim();
  try {
    const answer = await api(`/hubs/${encodeURIComponent(t.hubId)}/tasks/${encodeURIComponent(t.id)}/retry`, { method: 'POST', body: { reason } });
    toast(answer.alreadyDone ? 'Already retried: nothing was queued again.' : 'Task queued again.');
    await loadTasks();
  } catch (err) {
    // The server's reason, in the alert region; a refusal (4xx) means the button was stale: the
    // viewer's hub role changed (403) or the task did (409), since the page was drawn.
    toast(err.message, true);
    if (err.status >= 400 && err.status < 500) await refreshRow(t, err);
    else await loadTasks();
  }
  keepFocus(`[data-task="${CSS.escape(t.id)}"] button`, '#tasks');
}

/**
 * After a refused retry: a 403 for the retry right (not a lapsed CSRF token) says the viewer no
 * longer holds it on the hub, so no row of that hub offers Retry again; the task's row is drawn
 * from a fresh read of its view, whose `retryable` is the server's rule as of now. A task no
 * longer readable (the viewer lost the hub) leaves its row, without a button, as it was.
 */
async function refreshRow(t, err) {
  if (err.status === 403 && !String(err.type ?? '').endsWith('/csrf')) retryHubs.delete(t.hubId);
  let fresh;
  try { fresh = await api(`/tasks/${encodeURIComponent(t.id)}`); } catch { fresh = { ...t, retryable: undefined }; }
  document.querySelector(`#tasks tr[data-task="${CSS.escape(t.id)}"]`)?.replaceWith(taskRow(fresh));
}

function retryCell(t) {
  if (t.retry) return el('div', { class: 'muted' }, shownText(`retried by ${t.retry.by} ${when(t.retry.at)}: task ${t.retry.taskId}`));
  // Shown only where a click can succeed: `retryable` is the server's own rule (agent/tasks/retry-rule.ts:
  // a failed app change, not an owner's removal or an offboarding), and the viewer holds the right on its hub.
  if (!t.retryable || !retryHubs.has(t.hubId)) return null;
  return el('button', { type: 'button', 'data-action': 'retry-task', 'aria-label': `Retry: ${t.summary}`, onclick: () => retryTask(t) }, 'Retry');
}

function taskRow(t) {
  return el('tr', { 'data-task': t.id },
    el('td', { 'data-label': 'Task' }, t.summary || t.kind, el('div', { class: 'muted' }, t.kind)),
    el('td', { 'data-label': 'Hub' }, t.hubId ?? ''),
    el('td', { 'data-label': 'Status' }, badge(t.status), t.attempts > 1 ? el('span', { class: 'muted' }, ` ${t.attempts} attempts`) : null),
    el('td', { 'data-label': 'Trigger' }, triggerText(t.trigger)),
    el('td', { 'data-label': 'Created' }, when(t.createdAt)),
    el('td', { 'data-label': 'Updated' }, when(t.completedAt ?? t.updatedAt), t.nextRunAt && !t.completedAt ? el('div', { class: 'muted' }, `next ${when(t.nextRunAt)}`) : null),
    el('td', { 'data-label': 'Duration', class: 'num' }, t.startedAt && t.completedAt ? duration(Date.parse(t.completedAt) - Date.parse(t.startedAt)) : t.startedAt && t.status === 'running' ? `${duration(Date.now() - Date.parse(t.startedAt))} so far` : ''),
    el('td', { 'data-label': 'Error' }, t.lastError ? shownText(`${t.lastError.kind}: ${t.lastError.message}`) : '', retryCell(t)),
  );
}

let generation = 0;

async function loadTasks(background = false) {
  const mine = ++generation;
  const f = Object.fromEntries(new FormData(filters).entries());
  try {
    const [page, running] = await Promise.all([
      api(`/tasks${qs({ ...f, offset, limit: PAGE })}`, { background }),
      api(`/tasks${qs({ kind: 'check-for-updates', status: 'running', limit: 10 })}`, { background }),
    ]);
    if (mine !== generation) return; // a newer filter or poll is on its way
    document.querySelector('#tasks tbody').replaceChildren(...(page.items.length ? page.items.map(taskRow) : [el('tr', {}, el('td', { colspan: 8, class: 'empty' }, 'No tasks match.'))]));
    pager(document.getElementById('tasks-pager'), page, (o) => { offset = o; loadTasks(); });
    document.getElementById('progress').replaceChildren(...running.items.map((t) => el('div', { class: 'progress' },
      `Check for updates on ${t.hubId}: ${t.progress?.phase ?? 'running'}`,
      el('progress', { max: t.progress?.total || 1, value: t.progress?.done ?? 0, 'aria-label': `Check for updates on ${t.hubId}` }))));
  } catch (err) {
    document.querySelector('#tasks tbody').replaceChildren(el('tr', {}, el('td', { colspan: 8, class: 'error' }, err.message)));
  }
}

filters.addEventListener('change', () => { offset = 0; loadTasks(); });
filters.addEventListener('submit', (e) => { e.preventDefault(); offset = 0; loadTasks(); });
document.getElementById('tasks').classList.add('stack');
loadWork();
loadTasks();
// Live updates while the page is visible; reports are refreshed less often. Sent as background
// refreshes: a tab left open does not keep the session alive past 30 minutes unused.
let tick = 0;
setInterval(() => {
  if (document.hidden || document.querySelector('dialog[open]')) return;
  loadTasks(true);
  if (++tick % 3 === 0) loadWork(true);
}, POLL_MS);
