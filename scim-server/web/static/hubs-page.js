// Business hubs page: one card per hub with health, member counts and Check for updates.
import { ago, api, badge, base, el, keepFocus, toast, waitForTask, when } from './dashboard.js';

const container = document.getElementById('hubs');
const STATUSES = ['onboarded', 'invited', 'lapsed', 'unmatched', 'guest', 'exempted'];
/** The last check-for-updates message per hub, kept across re-renders of the cards. */
const lastStatus = new Map();

// A hub's health is its owners' (and administrators'): a manager's cards come without it.
function health(h) {
  if (!h.health) return null;
  const c = h.health.credential;
  const last = h.health.lastCheckForUpdates;
  return el('dl', {},
    el('dt', {}, 'Health'), el('dd', {}, badge(h.health.status)),
    el('dt', {}, 'Token'), el('dd', {}, !c ? 'not checked yet' : !c.valid ? 'invalid' : c.expiresAt ? `valid until ${when(c.expiresAt)}` : c.expiryUnknown ? 'valid, expiry unknown' : 'valid, does not expire'),
    el('dt', {}, 'Last check'), el('dd', {}, last ? [`${ago(last.at)} `, badge(last.outcome)] : 'never'),
    el('dt', {}, 'Failing tasks'), el('dd', {}, String(h.health.failingTasks)),
  );
}

function card(h) {
  const button = el('button', { type: 'button', class: 'primary', 'data-action': 'check-for-updates' }, 'Check for updates');
  const status = el('p', { class: 'hint', 'aria-live': 'polite' }, lastStatus.get(h.id) ?? '');
  const say = (text) => { status.textContent = text; lastStatus.set(h.id, text); };
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const { task } = await api(`/hubs/${encodeURIComponent(h.id)}/check-for-updates`, { method: 'POST', body: {} });
      say('Check for updates queued…');
      const done = await waitForTask(task.id, (t) => {
        say(t.progress ? `Checking: ${t.progress.phase ?? ''} ${t.progress.done}/${t.progress.total}` : `Check for updates ${t.status}…`);
      });
      say(done.status === 'completed' ? 'Check for updates finished.' : `Check for updates ${done.status}: ${done.lastError?.message ?? ''}`);
      toast(`${h.label}: check for updates ${done.status}`, done.status !== 'completed');
      await load();
    } catch (err) {
      toast(`${h.label}: ${err.message}`, true);
    } finally {
      button.disabled = false;
    }
    // The cards were drawn again (or the disabled button let go of focus): back to this hub's button.
    keepFocus([...container.querySelectorAll('[data-hub]')].find((c) => c.dataset.hub === h.id)?.querySelector('[data-action="check-for-updates"]'), button);
  });
  return el('article', { class: 'card', 'data-hub': h.id, 'aria-labelledby': `hub-${h.id}` },
    el('h2', { id: `hub-${h.id}` }, el('a', { href: `${base}/hubs/${encodeURIComponent(h.id)}` }, h.label), ' ', el('span', { class: 'muted' }, h.connector)),
    health(h),
    h.health?.problems.length ? el('ul', { class: 'problems' }, h.health.problems.map((p) => el('li', {}, p))) : null,
    // The bar is drawn by the server (an SVG image); the counts under it are its legend in words.
    el('img', { class: 'standing', src: `${base}/charts/hubs/${encodeURIComponent(h.id)}/standing.svg?at=${Date.now()}`, width: 640, height: 24,
      alt: `Standing of ${h.label}: ${STATUSES.map((s) => `${h.memberCounts[s] ?? 0} ${s}`).join(', ')}` }),
    el('ul', { class: 'counts', 'aria-label': 'Members by status' }, STATUSES.map((s) => el('li', { 'data-count': s }, `${h.memberCounts[s] ?? 0} ${s}`))),
    el('div', { class: 'actions' }, button, el('a', { class: 'button', href: `${base}/hubs/${encodeURIComponent(h.id)}` }, 'Members')),
    status,
  );
}

async function load() {
  try {
    const { items } = await api('/hubs');
    container.replaceChildren(...(items.length ? items.map(card) : [el('p', {}, 'No hubs in the config.')]));
  } catch (err) {
    container.replaceChildren(el('p', { class: 'error' }, `Cannot load the hubs: ${err.message}`));
  }
  container.setAttribute('aria-busy', 'false');
}

load();
