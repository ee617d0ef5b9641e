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

/**
 * Control characters and the bidi embeddings, overrides and isolates (Unicode UAX #9,
 * https://www.unicode.org/reports/tr9/), which reorder what is shown so it reads otherwise than it
 * is stored (Trojan Source, https://trojansource.codes/). Tab and line breaks are left: HTML shows
 * them as a space.
 */
const UNSHOWN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text as shown on a page: HTML-escaped, its control and bidi characters as visible escapes
 * (`\u202e`), as the pages' scripts show them (static/shown-text.js) and the CLI prints them.
 */
export const escapeText = (value: unknown) => escapeHtml(String(value ?? '').replace(UNSHOWN, (c) => {
  const n = c.codePointAt(0)!;
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
}));

/**
 * Whether the template's text so far ends inside a tag (an attribute value), given whether it did
 * before `literal`. Values are escaped (no `<` or `>` of their own) and SafeHtml is whole
 * elements, so the template's literals alone decide it.
 */
const inTagAfter = (wasInTag: boolean, literal: string) => {
  const open = literal.lastIndexOf('<');
  const close = literal.lastIndexOf('>');
  return open === close ? wasInTag : open > close;
};

/**
 * Interpolations are escaped unless they are SafeHtml (or arrays of it). In text, control and bidi
 * characters are shown as escapes too (`escapeText`); in an attribute a value stays as it is (the
 * pages' scripts read ids from data- attributes).
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0];
  let inTag = inTagAfter(false, strings[0]);
  values.forEach((v, i) => {
    // A fragment of attributes alone (` data-${k}="${v}"`) has no `<`: its quoted value is one too.
    const escape = inTag || /=["']$/.test(strings[i]) ? escapeHtml : escapeText;
    if (v instanceof SafeHtml) out += v.text;
    else if (Array.isArray(v)) out += v.map((x) => (x instanceof SafeHtml ? x.text : escape(x))).join('');
    else out += escape(v);
    out += strings[i + 1];
    inTag = inTagAfter(inTag, strings[i + 1]);
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
<title>${escapeText(o.title)} · hubwarden</title>
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
