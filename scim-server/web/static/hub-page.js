// Hub details: the Members tab (status tabs, search, sort, server-side paging, CSV, actions);
// the other tabs are drawn by hub-sections.js.
import { ago, api, badge, base, debounce, el, keepFocus, pager, qs, shownText } from './dashboard.js';
import { exemptMember, matchMember, removeMember, unexemptMember } from './member-dialogs.js';
import { drawSection } from './hub-sections.js';
import { personLabel } from './person-label.js';

const hubId = document.body.dataset.hub;
const tab = document.body.dataset.tab;
const PAGE = 50;
const state = { status: 'onboarded', directoryStatus: '', flag: '', search: '', sort: 'email', offset: 0 };
let hub;

/** A matched person who is no longer active in the IdP holds no seat: say so, or the row looks like anyone's until the removal runs. */
/** An exempted row keeps its seat whatever the IdP says (agent/standing/exemption.ts): no removal is pending then. */
const DIRECTORY_TEXT = { deactivated: 'deactivated in the IdP', suspended: 'suspended in the IdP', offboarded: 'offboarded (held until the IdP reactivates them)', deleted: 'deleted in the IdP' };
const directoryText = (m) => `${DIRECTORY_TEXT[m.directoryStatus]}${m.status === 'exempted' ? ' (exempted: seat kept)' : ': removal pending'}`;

/** One person holding several seats (agent/members/other-seats.ts): an owner decides which stays; nothing is removed for it. */
const otherSeatsText = (ids) => `the same person holds ${ids.length === 1 ? 'another seat' : `${ids.length} other seats`} here: ${ids.join(', ')}`;

/** An admin of an app whose admins reach every asset (TikTok BC ADMIN): say so before its explicit assignments. */
const tasksText = (m) => [...(m.reachesAllAssets ? ['every asset (admin)'] : []), ...m.assets.map((a) => `${a.id}: ${a.tasks.join(', ')}`)].join('; ');

function actionsFor(m) {
  const label = hub?.label ?? hubId;
  const run = (fn) => async () => {
    try {
      if (await fn(hubId, label, m)) {
        await refresh();
        refocus(m.id);
      }
    } catch { /* the toast said why; the dialog gave focus back to the button, still in the page */ }
  };
  const who = personLabel(m);
  // A partner's person holds their seat in their own business: nothing to match, exempt or remove here.
  if (m.kind === 'partner-user') return [el('span', { class: 'muted' }, 'partner\'s person (see Partners)')];
  const buttons = [];
  if (m.status === 'unmatched' || m.status === 'guest') buttons.push(el('button', { type: 'button', 'data-action': 'match', 'aria-label': `Match ${who}`, onclick: run(matchMember) }, 'Match'));
  if (m.status !== 'exempted' && m.kind !== 'invite') buttons.push(el('button', { type: 'button', 'data-action': 'exempt', 'aria-label': `Exempt ${who}`, onclick: run(exemptMember) }, 'Exempt'));
  if (m.status === 'exempted') buttons.push(el('button', { type: 'button', 'data-action': 'unexempt', 'aria-label': `End the exemption of ${who}`, onclick: run(unexemptMember) }, 'End exemption'));
  if (m.status !== 'exempted') buttons.push(el('button', { type: 'button', 'data-action': 'remove', 'aria-label': `${m.kind === 'invite' ? 'Cancel invite of' : 'Remove'} ${who}`, onclick: run(removeMember) }, m.kind === 'invite' ? 'Cancel invite' : 'Remove'));
  return buttons;
}

/** After a done action: the same member's first action when the row is still in this tab, else the selected status tab. */
function refocus(memberId) {
  const same = [...document.querySelectorAll('#members-table tbody tr[data-member]')].find((r) => r.dataset.member === memberId);
  keepFocus(same?.querySelector('td.actions button'), '[role="tab"][aria-selected="true"]');
}

function row(m) {
  const cell = (label, ...content) => el('td', { 'data-label': label }, ...content);
  return el('tr', { 'data-member': m.id },
    cell('Email', m.email ? personLabel(m) : el('span', { 'data-field': 'no-email' }, personLabel(m)), m.kind === 'partner-user' ? el('span', { class: 'muted' }, ` (partner: ${shownText(m.partnerBusinessName ?? m.partnerBusinessId)})`) : null),
    cell('App role', shownText(m.appRole)),
    cell('Asset tasks', shownText(tasksText(m))),
    cell('Hub role', m.hubRole ?? ''),
    cell('Granted by', m.grantedBy.join(', '),
      Object.hasOwn(DIRECTORY_TEXT, m.directoryStatus ?? '') ? el('div', { class: 'muted', 'data-field': 'directory-status' }, directoryText(m)) : null),
    cell('Status', badge(m.status), m.removalPending ? el('div', { class: 'muted', 'data-field': 'removal-pending' }, 'marked for removal in the app') : null, m.exemption ? el('div', { class: 'muted' }, m.exemption.reason, m.exemption.until ? ` (${untilText(m.exemption.until)})` : '') : null,
      m.unavailable ? el('div', { class: 'muted' }, m.unavailable) : null,
      m.matchReason ? el('div', { class: 'muted' }, m.matchReason) : null,
      m.otherSeats ? el('div', { class: 'muted', 'data-field': 'other-seats' }, otherSeatsText(m.otherSeats)) : null),
    cell('Last seen', m.lastSeenAt ? ago(m.lastSeenAt) : ''),
    el('td', { class: 'actions', 'data-label': 'Actions' }, actionsFor(m)),
  );
}

/** Only the latest request draws: a slow answer for a tab left behind never overwrites the current one. */
let generation = 0;

async function loadMembers() {
  const mine = ++generation;
  const tbody = document.querySelector('#members-table tbody');
  const query = { status: state.status, directoryStatus: state.directoryStatus, flag: state.flag, search: state.search, sort: state.sort, offset: state.offset, limit: PAGE };
  document.getElementById('members-csv').href = `${base}/export/hubs/${encodeURIComponent(hubId)}/members.csv${qs({ status: state.status, directoryStatus: state.directoryStatus, flag: state.flag, search: state.search, sort: state.sort })}`;
  try {
    const page = await api(`/hubs/${encodeURIComponent(hubId)}/members${qs(query)}`);
    if (mine !== generation) return;
    tbody.replaceChildren(...(page.items.length ? page.items.map(row) : [el('tr', {}, el('td', { colspan: 8, class: 'empty' }, 'No members here.'))]));
    pager(document.getElementById('members-pager'), page, (offset) => { state.offset = offset; loadMembers(); });
  } catch (err) {
    if (mine !== generation) return;
    tbody.replaceChildren(el('tr', {}, el('td', { colspan: 8, class: 'error' }, err.message)));
  }
}

async function loadCounts() {
  hub = await api(`/hubs/${encodeURIComponent(hubId)}`);
  for (const node of document.querySelectorAll('[data-count]')) node.textContent = `(${hub.memberCounts[node.dataset.count] ?? 0})`;
  return hub;
}

async function refresh() {
  await Promise.all([loadCounts(), loadMembers()]);
}

function setupMembers() {
  document.getElementById('members-table').classList.add('stack');
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const select = (t) => {
    for (const other of tabs) {
      other.setAttribute('aria-selected', String(other === t));
      other.tabIndex = other === t ? 0 : -1;
    }
    state.status = t.dataset.status;
    state.offset = 0;
    loadMembers();
  };
  tabs.forEach((t, i) => {
    t.tabIndex = i === 0 ? 0 : -1;
    t.addEventListener('click', () => select(t));
    // WAI-ARIA tabs pattern: arrow keys move between tabs.
    t.addEventListener('keydown', (e) => {
      const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
      if (!step) return;
      const next = tabs[(i + step + tabs.length) % tabs.length];
      next.focus();
      select(next);
    });
  });
  const search = document.querySelector('#member-filters [name="search"]');
  document.getElementById('member-filters').addEventListener('submit', (e) => e.preventDefault());
  search.addEventListener('input', debounce(() => { state.search = search.value; state.offset = 0; loadMembers(); }));
  const inIdp = document.querySelector('#member-filters [name="directoryStatus"]');
  inIdp.addEventListener('change', () => { state.directoryStatus = inIdp.value; state.offset = 0; loadMembers(); });
  const several = document.querySelector('#member-filters [name="flag"]');
  several.addEventListener('change', () => { state.flag = several.checked ? several.value : ''; state.offset = 0; loadMembers(); });
  for (const b of document.querySelectorAll('button.sort')) {
    b.addEventListener('click', () => {
      const key = b.dataset.sort;
      state.sort = state.sort === key ? `-${key}` : key;
      state.offset = 0;
      for (const o of document.querySelectorAll('button.sort')) o.closest('th').removeAttribute('aria-sort');
      b.closest('th').setAttribute('aria-sort', state.sort.startsWith('-') ? 'descending' : 'ascending');
      loadMembers();
    });
  }
  document.querySelector('button.sort[data-sort="email"]').closest('th').setAttribute('aria-sort', 'ascending');
  refresh().catch(() => {});
}

if (tab === 'members') setupMembers();
else drawSection(tab, hubId);

/**
 * An exemption's end as the owner picked it: a date is stored as the last instant of that day in
 * UTC (agent/members/member-decisions.ts `untilInstant`), shown as "through <date>"; an end at
 * another instant (an API date-time, an exemption from before) is shown with its time, so the
 * dashboard never names a day the exemption does not cover.
 */
function untilText(until) {
  if (until.endsWith('T23:59:59.999Z')) return `through ${until.slice(0, 10)}`;
  return `until ${until.slice(0, 16).replace('T', ' ')} UTC`;
}
