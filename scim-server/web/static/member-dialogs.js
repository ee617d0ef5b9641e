// The member actions, each behind a confirmation dialog that says what will happen in the app.
import { api, confirmDialog, debounce, el, shownText, toast, uiApi } from './dashboard.js';
import { personLabel } from './person-label.js';

/** Hub roles the viewer may write on a match: none above their own (the server refuses those too). */
function labelsAllowed() {
  const roles = ['owner', 'manager', 'collaborator'];
  const own = document.body.dataset.role;
  return own && roles.includes(own) ? roles.slice(roles.indexOf(own)) : roles;
}

/** Never a bare display name where an email is expected (person-label.js). */
const who = (m) => personLabel(m);
/** The hub's app as its connector names it (`data-app`, from the connector definition's label): never one app's name here. */
const app = () => document.body.dataset.app || 'the app';

export async function matchMember(hubId, hubLabel, m) {
  // Hidden while it holds no one: an empty list is an empty box on screen and a list of no items to
  // a screen reader; the status message below already says the search found no one.
  const results = el('ul', { class: 'results', id: 'match-results', 'aria-label': 'Directory users', hidden: true });
  // What a search found, said without moving focus (WCAG 2.2 SC 4.1.3 status messages, its search
  // results example): in the dialog, empty, before the first search writes it.
  const found = el('p', { class: 'hint', id: 'match-found', role: 'status' });
  const search = el('input', { type: 'search', id: 'match-search', name: 'search', autocomplete: 'off', maxlength: '200', value: m.email?.split('@')[0] ?? '' });
  const find = debounce(async () => {
    try {
      const { items } = await uiApi(`/hubs/${encodeURIComponent(hubId)}/directory-users?search=${encodeURIComponent(search.value)}`);
      results.replaceChildren(...(items.length ? items.map((u, i) => el('li', {}, el('label', {},
        el('input', { type: 'radio', name: 'directoryUserId', value: u.id, required: true, checked: i === 0 && items.length === 1 }),
        `${shownText(u.displayName ?? u.userName)} · ${shownText(u.email ?? u.userName)}${u.offboarded && u.active === false && !u.suspended ? ' (offboarded)' : u.suspended ? ' (suspended in the IdP)' : u.active ? '' : ' (deactivated)'}`))) : []));
      results.hidden = items.length === 0;
      found.className = 'hint';
      found.textContent = items.length === 0 ? 'No directory user matches.' : `${items.length} directory user${items.length === 1 ? ' matches' : 's match'}.`;
    } catch (err) {
      results.replaceChildren();
      results.hidden = true;
      found.className = 'error';
      found.textContent = err.message;
    }
  });
  search.addEventListener('input', find);
  find();
  const values = await confirmDialog({
    title: `Match ${who(m)}`,
    what: `${who(m)} keeps their seat in ${hubLabel}. From now on hubwarden manages it from the chosen directory user's groups: on the next pass their role and asset tasks in ${app()} follow the team mappings (or the hub role you choose), and they are removed when that user leaves the groups.`,
    fields: [
      el('label', { for: 'match-search' }, 'Search the directory', search),
      found, results,
      el('label', {}, 'Hub role', el('select', { name: 'hubRole' }, el('option', { value: '' }, 'From the groups'), labelsAllowed().map((r) => el('option', { value: r }, r)))),
    ],
    confirmLabel: 'Match',
    // With no one found there is no choice to tie the error to: it goes to the search field.
    validate: (v) => (v.directoryUserId ? undefined : results.querySelector('input[name="directoryUserId"]')
      ? { field: 'directoryUserId', message: 'Choose a directory user.' }
      : { field: 'search', message: 'No directory user matches: search for another name or email.' }),
  });
  if (!values) return false;
  const body = { directoryUserId: values.directoryUserId, ...(values.hubRole ? { hubRole: values.hubRole } : {}) };
  await act(() => api(`/hubs/${encodeURIComponent(hubId)}/members/${encodeURIComponent(m.id)}/match`, { method: 'POST', body }), `${who(m)} matched`);
  return true;
}

export async function exemptMember(hubId, hubLabel, m) {
  const values = await confirmDialog({
    title: `Exempt ${who(m)}`,
    what: `hubwarden will leave ${who(m)}'s seat, role and asset tasks in ${hubLabel} exactly as they are in ${app()} and never remove them while the exemption lasts. Nothing is changed in ${app()} now.`,
    fields: [
      el('label', {}, 'Reason (who asked and why)', el('textarea', { name: 'reason', required: true, rows: 2, maxlength: 500, id: 'exempt-reason' })),
      el('label', {}, 'Until (optional)', el('input', { type: 'date', name: 'until', id: 'exempt-until' })),
    ],
    confirmLabel: 'Exempt',
    validate: (v) => (String(v.reason ?? '').trim() ? undefined : { field: 'reason', message: 'Give a reason.' }),
  });
  if (!values) return false;
  // The reason is one line wherever it is shown (the API refuses line breaks and other control
  // characters): the textarea only wraps a long one, so a line typed across two is joined.
  const body = { reason: String(values.reason).replace(/\s+/g, ' ').trim(), ...(values.until ? { until: values.until } : {}) };
  await act(() => api(`/hubs/${encodeURIComponent(hubId)}/members/${encodeURIComponent(m.id)}/exempt`, { method: 'POST', body }), `${who(m)} exempted`);
  return true;
}

export async function unexemptMember(hubId, hubLabel, m) {
  const values = await confirmDialog({
    title: `End the exemption of ${who(m)}`,
    what: `hubwarden manages ${who(m)}'s seat in ${hubLabel} again from the directory: if no mapped group grants it, the seat is removed after the settle window (or reported for approval). Nothing is changed in ${app()} now.`,
    confirmLabel: 'End exemption',
  });
  if (!values) return false;
  await act(() => api(`/hubs/${encodeURIComponent(hubId)}/members/${encodeURIComponent(m.id)}/unexempt`, { method: 'POST', body: {} }), `${who(m)} is no longer exempted`);
  return true;
}

export async function removeMember(hubId, hubLabel, m) {
  const invite = m.kind === 'invite';
  const values = await confirmDialog({
    title: invite ? `Cancel the invite of ${who(m)}` : `Remove ${who(m)}`,
    what: invite
      ? `The pending invitation of ${who(m)} to ${hubLabel} is cancelled in ${app()}; the link in their email stops working.`
      : `${who(m)} loses their seat in ${hubLabel}: ${app()} removes them with their ${m.appRole ?? ''} role and every asset task they hold${m.assets?.length ? ` (${m.assets.map((a) => a.id).join(', ')})` : ''}. If their groups still grant access, hubwarden will invite them again.`,
    confirmLabel: invite ? 'Cancel invite' : `Remove from ${app()}`,
    danger: true,
  });
  if (!values) return false;
  await act(() => api(`/hubs/${encodeURIComponent(hubId)}/members/${encodeURIComponent(m.id)}/remove`, { method: 'POST', body: {} }), `Removal of ${who(m)} queued`);
  return true;
}

async function act(run, done) {
  try {
    await run();
    toast(done);
  } catch (err) {
    toast(err.message, true);
    throw err;
  }
}
