// Shared by every dashboard page: the API client (session cookie + CSRF token), a small DOM
// builder that never parses strings as HTML (member names come from outside), dialogs, toasts.
export const base = document.body.dataset.base;
const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';

/** `type`: the problem type URI of the answer (RFC 9457 §3.1.1), when it had one. */
export class ApiError extends Error {
  constructor(status, detail, type) { super(detail); this.status = status; this.type = type; }
}

// `background`: a page's own refresh, not the person's use; it does not keep the session alive
// (web-context.ts BACKGROUND_HEADER).
async function call(url, { method = 'GET', body, background = false } = {}) {
  const headers = { accept: 'application/json' };
  if (background) headers['x-hubwarden-background'] = '1';
  if (method !== 'GET') headers['x-csrf-token'] = csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'hubwarden could not be reached: check your connection and try again.');
  }
  if (res.status === 401) {
    location.assign(`${base}/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`);
    throw new ApiError(401, 'signed out');
  }
  const data = await res.json().catch(() => undefined);
  if (!res.ok) throw new ApiError(res.status, data?.detail ?? failureText(res), typeof data?.type === 'string' ? data.type : undefined);
  return data;
}

/**
 * An error answered without problem details (RFC 9457) — a proxy's page in front of hubwarden,
 * say — in words rather than a bare status code; Retry-After (RFC 9110 §10.2.3) says how long.
 */
function failureText(res) {
  const after = /^\d+$/.test(res.headers.get('retry-after') ?? '') ? ` in ${res.headers.get('retry-after')} s` : ' in a moment';
  if (res.status === 429) return `Too many requests: try again${after}.`;
  if (res.status === 403) return 'You may not do this (ask a hub owner or a hubwarden administrator).';
  if (res.status >= 500) return `hubwarden did not answer (HTTP ${res.status}): reload the page to see whether the change was made, then try again${after}.`;
  return `The request was refused (HTTP ${res.status}).`;
}

/** The admin REST API through the dashboard's session adapter. */
export const api = (path, options) => call(`${base}/api/v1${path}`, options);
/** The dashboard's own read-only routes (assets, partners, directory search). */
export const uiApi = (path) => call(`${base}/api${path}`);

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export const qs = (params) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
};

export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function ago(iso) {
  if (!iso) return 'never';
  const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

export const badge = (text) => el('span', { class: `badge ${String(text).replace(/\s+/g, '-')}` }, text);

let toastTimer;
/**
 * A message after an action, written into the live regions the layout put in the page empty
 * (html.ts LIVE_REGIONS): a region created with its text is often not announced. A success
 * fades after 6 s; an error (a refusal's reason, what to do next) stays until dismissed or the
 * next message, so nobody has to read it against a clock (WCAG 2.2 SC 2.2.1).
 */
export function toast(message, bad = false) {
  for (const region of document.querySelectorAll('.live')) region.replaceChildren();
  const node = el('div', { class: `toast${bad ? ' bad' : ''}` }, message);
  if (bad) node.append(' ', el('button', { type: 'button', class: 'link', 'aria-label': 'Dismiss the message', onclick: () => node.remove() }, 'Dismiss'));
  document.getElementById(bad ? 'live-alert' : 'live-status').append(node);
  clearTimeout(toastTimer);
  if (!bad) toastTimer = setTimeout(() => node.remove(), 6000);
}

/**
 * A confirmation dialog (<dialog>, modal, focus trapped by the browser, Esc cancels). `what`
 * says what will happen in the app; `fields` are extra form controls. Resolves with the form's
 * values when confirmed, or null. `validate` returns nothing, or `{ field, message }`: the message
 * is announced and tied to the named control (aria-invalid, aria-describedby), which takes focus
 * (WCAG 2.2 SC 3.3.1, https://www.w3.org/WAI/WCAG22/Techniques/aria/ARIA21). The browser's own
 * validation is off (`novalidate`, https://design-system.service.gov.uk/patterns/validation/): its
 * bubble fades and ties nothing to the field, and it stopped an empty required reason before
 * `validate` ran. `required` stays on the controls, which tells assistive technology.
 */
export function confirmDialog({ title, what, fields = [], confirmLabel, danger = false, validate }) {
  return new Promise((resolve) => {
    const error = el('p', { class: 'error', id: 'dialog-error', role: 'alert' });
    const form = el('form', { method: 'dialog', novalidate: true },
      el('h2', { id: 'dialog-title' }, title),
      el('p', { class: 'what', id: 'dialog-what' }, what),
      fields, error,
      el('div', { class: 'buttons' },
        el('button', { type: 'submit', value: 'cancel', formnovalidate: true }, 'Cancel'),
        el('button', { type: 'submit', value: 'confirm', class: danger ? 'danger' : 'primary' }, confirmLabel)));
    const dialog = el('dialog', { 'aria-labelledby': 'dialog-title', 'aria-describedby': 'dialog-what' }, form);
    form.addEventListener('submit', (event) => {
      if (event.submitter?.value !== 'confirm') return;
      const values = Object.fromEntries(new FormData(form).entries());
      const problem = validate?.(values);
      for (const c of form.querySelectorAll('[aria-invalid]')) { c.removeAttribute('aria-invalid'); c.removeAttribute('aria-describedby'); }
      error.textContent = problem?.message ?? '';
      if (problem) {
        event.preventDefault();
        const controls = [...form.elements].filter((c) => c.name === problem.field);
        for (const c of controls) { c.setAttribute('aria-invalid', 'true'); c.setAttribute('aria-describedby', error.id); }
        controls[0]?.focus();
        return;
      }
      dialog.returnValue = 'confirm';
      dialog.values = values;
    });
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'confirm' ? dialog.values : null);
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/**
 * After an action a page draws its rows or cards again and the control that started it is gone:
 * focus would fall back to the page's start and a keyboard user loses their place (WCAG 2.2
 * SC 2.4.3, https://www.w3.org/WAI/WCAG22/Understanding/focus-order.html). When focus was lost,
 * it goes to the first of `candidates` (elements or selectors) in the page.
 */
export function keepFocus(...candidates) {
  const at = document.activeElement;
  if (at && at !== document.body && at.isConnected) return;
  for (const c of candidates) {
    const node = typeof c === 'string' ? document.querySelector(c) : c;
    if (node?.isConnected) return void node.focus();
  }
}

/** Previous/next paging controls under a table. */
export function pager(container, { offset, limit, total }, onPage) {
  container.replaceChildren(
    el('span', {}, total === 0 ? 'Nothing to show' : `${offset + 1}–${Math.min(offset + limit, total)} of ${total}`),
    el('button', { type: 'button', disabled: offset === 0, onclick: () => onPage(Math.max(0, offset - limit)) }, 'Previous'),
    el('button', { type: 'button', disabled: offset + limit >= total, onclick: () => onPage(offset + limit) }, 'Next'),
  );
}

/** Polls a task until it finishes; `onProgress` sees every state. */
export async function waitForTask(taskId, onProgress, ms = 1000) {
  for (;;) {
    const task = await api(`/tasks/${encodeURIComponent(taskId)}`);
    onProgress?.(task);
    if (['completed', 'failed', 'cancelled', 'needs-approval'].includes(task.status)) return task;
    await new Promise((r) => setTimeout(r, ms));
  }
}

export function debounce(fn, ms = 250) {
  let t;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

/** Text from outside as it is shown: control and bidi characters as visible escapes (shown-text.js). */
export { shownText } from './shown-text.js';

export const triggerText = (t) => [t.type, t.actor ?? t.idp].filter(Boolean).join(': ');
