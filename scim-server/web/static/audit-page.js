// Audit log: filters, paging and CSV export of the same filtered entries.
import { api, base, debounce, el, pager, qs, shownText, triggerText, badge, when } from './dashboard.js';

const PAGE = 50;
const filters = document.getElementById('audit-filters');
/**
 * The pages visited, each read by its cursor (`before`: the API's `next` of the page before it):
 * read by offset, every entry written while someone read the log pushed the pages down, and the
 * next page showed again the last entries of the one before (the API's `before` is stable).
 * `offset`: entries shown on the pages before it, for "51–100 of N".
 */
let pages = [{ offset: 0 }];
let at = 0;
const firstPage = () => { pages = [{ offset: 0 }]; at = 0; };

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
    const here = pages[at];
    const page = await api(`/audit${qs({ ...q, before: here.before, offset: 0, limit: PAGE })}`);
    if (mine !== generation) return; // a newer filter is on its way
    document.querySelector('#audit tbody').replaceChildren(...(page.items.length ? page.items.map(row) : [el('tr', {}, el('td', { colspan: 7, class: 'empty' }, 'No audit entries match.'))]));
    // `total` of a page read by cursor counts the entries older than it: those before it are added.
    pager(document.getElementById('audit-pager'), { offset: here.offset, limit: page.items.length || PAGE, total: here.offset + page.total }, (o) => {
      if (o > here.offset && page.next !== undefined) {
        pages = [...pages.slice(0, at + 1), { before: page.next, offset: here.offset + page.items.length }];
        at++;
      } else if (o < here.offset) at--;
      load();
    });
  } catch (err) {
    document.querySelector('#audit tbody').replaceChildren(el('tr', {}, el('td', { colspan: 7, class: 'error' }, err.message)));
  }
}

filters.addEventListener('input', debounce(() => { firstPage(); load(); }));
filters.addEventListener('submit', (e) => { e.preventDefault(); firstPage(); load(); });
document.getElementById('audit').classList.add('stack');
load();
