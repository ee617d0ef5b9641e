// Audit log: filters, paging and CSV export of the same filtered entries.
import { api, base, debounce, el, pager, qs, shownText, triggerText, badge, when } from './dashboard.js';

const PAGE = 50;
const filters = document.getElementById('audit-filters');
let offset = 0;

function query() {
  // Trimmed: a filter of spaces only is no filter (the API refuses a blank one).
  const f = Object.fromEntries([...new FormData(filters).entries()].map(([k, v]) => [k, typeof v === 'string' ? v.trim() : v]));
  return { ...f, since: f.since ? new Date(`${f.since}T00:00:00`).toISOString() : undefined };
}

function row(e) {
  return el('tr', { 'data-seq': e.seq },
    el('td', { 'data-label': 'When' }, when(e.at)),
    el('td', { 'data-label': 'Hub' }, shownText(e.hubId)),
    el('td', { 'data-label': 'Who' }, shownText(triggerText(e.trigger))),
    el('td', { 'data-label': 'Action' }, shownText(e.action)),
    el('td', { 'data-label': 'Subject' }, shownText(e.subject?.email ?? e.subject?.label ?? e.subject?.memberId)),
    el('td', { 'data-label': 'Why' }, shownText(e.why)),
    el('td', { 'data-label': 'Outcome' }, badge(e.outcome)),
  );
}

let generation = 0;

async function load() {
  const mine = ++generation;
  const q = query();
  document.getElementById('audit-csv').href = `${base}/export/audit.csv${qs({ ...q, since: q.since })}`;
  try {
    const page = await api(`/audit${qs({ ...q, offset, limit: PAGE })}`);
    if (mine !== generation) return; // a newer filter is on its way
    document.querySelector('#audit tbody').replaceChildren(...(page.items.length ? page.items.map(row) : [el('tr', {}, el('td', { colspan: 7, class: 'empty' }, 'No audit entries match.'))]));
    pager(document.getElementById('audit-pager'), page, (o) => { offset = o; load(); });
  } catch (err) {
    document.querySelector('#audit tbody').replaceChildren(el('tr', {}, el('td', { colspan: 7, class: 'error' }, err.message)));
  }
}

filters.addEventListener('input', debounce(() => { offset = 0; load(); }));
filters.addEventListener('submit', (e) => { e.preventDefault(); offset = 0; load(); });
document.getElementById('audit').classList.add('stack');
load();
