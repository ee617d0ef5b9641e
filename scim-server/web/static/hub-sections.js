// Hub details: the Assets, Partners and Settings tabs.
import { api, el, pager, shownText, uiApi } from './dashboard.js';
import { personLabel } from './person-label.js';

const table = (caption, head, rows) => el('div', { class: 'table-wrap' }, el('table', {},
  el('caption', { class: 'sr-only' }, caption),
  el('thead', {}, el('tr', {}, head.map((h) => el('th', { scope: 'col' }, h)))),
  el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { colspan: head.length, class: 'empty' }, 'Nothing here yet (run a check for updates).')))));

function assets(items) {
  if (!items.length) return [el('p', {}, 'No assets yet (run a check for updates).')];
  return items.map((a) => el('section', { 'data-asset': a.id },
    el('h2', {}, `${shownText(a.name ?? a.id)} `, el('span', { class: 'muted' }, `${a.type} ${a.id} · ${a.ownership}${a.permittedTasks ? ` · at most ${a.permittedTasks.join(', ')}` : ''}`)),
    table(`Who holds tasks on ${a.id}`, ['Person', 'Type', 'Tasks'], a.holders.map((h) => el('tr', {},
      el('td', {}, personLabel(h, 'userId')), el('td', {}, h.userType), el('td', {}, h.tasks.join(', '))))),
    a.holderCount > a.holders.length ? el('p', { class: 'hint' }, `${a.holderCount - a.holders.length} more not shown.`) : null,
  ));
}

function partners(items) {
  if (!items.length) return [el('p', {}, 'No partner business has access to this hub\'s assets.')];
  return items.map((p) => el('section', { 'data-partner': p.businessId },
    el('h2', {}, `${shownText(p.name ?? p.businessId)} `, el('span', { class: 'muted' }, `${p.relation} · business ${p.businessId}`)),
    el('p', {}, 'Shared assets: ', p.assets.map((a) => `${a.id} (${a.permittedTasks.join(', ')})`).join('; ') || 'none'),
    table(`People of ${shownText(p.name ?? p.businessId)}`, ['Person', 'Type', 'On our assets'], p.users.map((u) => el('tr', {},
      el('td', {}, personLabel(u, 'userId')), el('td', {}, u.userType),
      el('td', {}, u.assignments.map((x) => `${x.asset.id}: ${x.tasks.join(', ')}`).join('; '))))),
  ));
}

function settings(hub) {
  const s = hub.settings ?? {};
  const safety = s.safety ?? {};
  return [
    el('h2', {}, 'Team mappings'),
    table('Team mappings', ['Group', 'Hub role', 'App role', 'Assets'], (s.teams ?? []).map((t) => el('tr', {},
      el('td', {}, t.group), el('td', {}, t.hubRole), el('td', {}, t.appRole),
      el('td', {}, (t.assets ?? []).map((a) => `${a.type} ${a.id}: ${a.tasks.join(', ')}`).join('; '))))),
    el('h2', {}, 'Safety'),
    el('div', { class: 'card' }, el('dl', {},
      el('dt', {}, 'Settle window'), el('dd', {}, `${safety.settleSeconds ?? '?'} s`),
      el('dt', {}, 'Removal threshold'), el('dd', {}, `${safety.removalThresholdPercent ?? '?'} % of members`),
      el('dt', {}, 'Deprovisioning'), el('dd', {}, safety.confirmDeprovisioning ? 'an owner applies a report' : 'automatic'),
      el('dt', {}, `Drift found in ${document.body.dataset.app || 'the app'}`), el('dd', {}, safety.drift ?? '?'))),
    el('h2', {}, 'Effective config (secrets masked)'),
    el('pre', { class: 'settings', tabindex: 0 }, JSON.stringify(s, null, 2)),
  ];
}

export async function drawSection(tab, hubId) {
  const target = document.getElementById(tab);
  const id = encodeURIComponent(hubId);
  try {
    if (tab === 'assets') return await drawAssets(target, id, 0);
    const nodes = tab === 'partners' ? partners((await uiApi(`/hubs/${id}/partners`)).items)
      : settings(await api(`/hubs/${id}`));
    target.replaceChildren(...nodes);
  } catch (err) {
    target.replaceChildren(el('p', { class: 'error' }, err.message));
  }
  target.setAttribute('aria-busy', 'false');
}

async function drawAssets(target, id, offset) {
  try {
    const page = await uiApi(`/hubs/${id}/assets?offset=${offset}`);
    const controls = el('div', { class: 'pager' });
    target.replaceChildren(...assets(page.items), controls);
    pager(controls, page, (o) => drawAssets(target, id, o));
  } catch (err) {
    target.replaceChildren(el('p', { class: 'error' }, err.message));
  }
  target.setAttribute('aria-busy', 'false');
}
