/**
 * Server-rendered HTML for the dashboard: an escaping tagged template and the page layout.
 * No inline script or style (the Content-Security-Policy forbids them); the page's script reads
 * what it needs from data- attributes.
 */
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export const escapeHtml = (value: unknown) => String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]);

/** Interpolations are escaped unless they are SafeHtml (or arrays of it). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0];
  values.forEach((v, i) => {
    if (v instanceof SafeHtml) out += v.text;
    else if (Array.isArray(v)) out += v.map((x) => (x instanceof SafeHtml ? x.text : escapeHtml(x))).join('');
    else out += escapeHtml(v);
    out += strings[i + 1];
  });
  return new SafeHtml(out);
}

export interface LayoutOptions {
  basePath: string;
  title: string;
  /** Which script under static/ drives the page (none on sign-in). */
  script?: string;
  /**
   * Signed in: the nav, the actor and the CSRF token the script sends back. `manages`: the hub
   * pages (hubs, automation, audit) are in the nav; without it only My access is (collaborators).
   */
  session?: { actor: string; csrf: string; manages: boolean };
  /** Nav item to mark as current. */
  current?: 'hubs' | 'automation' | 'audit' | 'my-access';
  data?: Record<string, string>;
  body: SafeHtml;
}

/**
 * Where the page scripts' messages after an action go (dashboard.js `toast`). In the page from
 * the start, empty: a screen reader announces a change inside a live region it already tracks,
 * while a region inserted together with its text is often not announced at all
 * (https://www.w3.org/WAI/WCAG22/Understanding/status-messages.html, ARIA 1.2 §6.3.9
 * https://www.w3.org/TR/wai-aria-1.2/#aria-live). Errors go to the alert (assertive) one.
 */
const LIVE_REGIONS = '<div class="live" id="live-status" role="status" aria-live="polite" aria-atomic="true"></div>\n<div class="live" id="live-alert" role="alert" aria-atomic="true"></div>';

export function layout(o: LayoutOptions): string {
  const b = o.basePath;
  const item = (href: string, key: LayoutOptions['current'], label: string) =>
    html`<li><a href="${b}${href}" ${o.current === key ? new SafeHtml('aria-current="page"') : ''}>${label}</a></li>`;
  const nav = o.session
    ? html`<header class="top"><a class="brand" href="${b}/">hubwarden</a>
<nav aria-label="Main"><ul>
${o.session.manages ? [item('/', 'hubs', 'Business hubs'), item('/automation', 'automation', 'Automation'), item('/audit', 'audit', 'Audit log')] : ''}
${item('/my-access', 'my-access', 'My access')}
</ul></nav>
<form class="who" method="post" action="${b}/sign-out"><span>${o.session.actor}</span><input type="hidden" name="_csrf" value="${o.session.csrf}"><button type="submit" class="link">Sign out</button></form>
</header>`
    : html``;
  const data = Object.entries({ base: b, ...(o.data ?? {}) }).map(([k, v]) => html` data-${k}="${v}"`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
${o.session ? html`<meta name="csrf-token" content="${o.session.csrf}">` : ''}
<title>${escapeHtml(o.title)} · hubwarden</title>
<link rel="stylesheet" href="${escapeHtml(b)}/static/dashboard.css">
<link rel="icon" href="data:,">
${o.script ? html`<script type="module" src="${b}/static/${o.script}"></script>` : ''}
</head><body${html`${data}`}>
<a class="skip" href="#main">Skip to content</a>
${nav}
<main id="main" tabindex="-1">
${o.body}
</main>
${o.script ? LIVE_REGIONS : ''}
</body></html>`;
}
