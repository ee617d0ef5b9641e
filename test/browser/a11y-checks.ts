/**
 * The accessibility checks the dashboard's browser tests share (WCAG 2.2 AA), read in a real
 * browser: the language and one h1 (SC 3.1.1, 1.3.1), a title (SC 2.4.2), a name for every form
 * control, button and link (SC 4.1.2, from the accessibility tree playwright's ariaSnapshot
 * gives), header cells on tables (SC 1.3.1), status in words and not colour alone (SC 1.4.1),
 * text alternatives for images (SC 1.1.1), and a visible focus ring on every Tab stop (SC 2.4.7).
 */
import type { Page } from 'playwright-core';

/** Roles that are controls: each needs an accessible name (ARIA 1.2 "name required"). */
export const NAMED_ROLES = ['button', 'link', 'textbox', 'searchbox', 'combobox', 'listbox', 'checkbox', 'radio', 'spinbutton', 'slider', 'switch', 'tab', 'img'];

/** What a page gets wrong, read from its DOM and computed styles; [] when nothing. */
export function domProblems(): string[] {
  const problems: string[] = [];
  const tag = (e: Element) => `<${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.getAttribute('name') ? ` name=${e.getAttribute('name')}` : ''}>`;
  if (!document.documentElement.lang) problems.push('<html> has no lang');
  const h1s = document.querySelectorAll('h1').length;
  if (h1s !== 1) problems.push(`${h1s} <h1> (one expected)`);
  const byId = (id: string) => document.getElementById(id)?.textContent?.trim();
  for (const c of document.querySelectorAll<HTMLInputElement>('input:not([type=hidden]), select, textarea')) {
    const named = (c.labels?.length ?? 0) > 0 || c.getAttribute('aria-label')?.trim() || (c.getAttribute('aria-labelledby') ?? '').split(/\s+/).some((id) => id && byId(id));
    if (!named) problems.push(`${tag(c)} has no label`);
    for (const id of (c.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean)) if (!document.getElementById(id)) problems.push(`${tag(c)} is described by a missing #${id}`);
  }
  for (const t of document.querySelectorAll('table')) {
    if (!t.querySelector('th')) problems.push(`${tag(t)} has no header cells`);
    for (const th of t.querySelectorAll('thead th')) if (th.getAttribute('scope') !== 'col') problems.push(`${tag(t)}: column header "${th.textContent?.trim()}" without scope="col"`);
  }
  for (const img of document.querySelectorAll('img')) if (!img.hasAttribute('alt')) problems.push(`<img src=${img.getAttribute('src')}> has no alt`);
  for (const svg of document.querySelectorAll('svg')) {
    const name = (svg.getAttribute('aria-labelledby') ?? '').split(/\s+/).map((id) => byId(id) ?? '').join('') || svg.getAttribute('aria-label');
    if (svg.getAttribute('aria-hidden') !== 'true' && !name) problems.push(`${tag(svg)} has no text alternative`);
  }
  // Status shown by colour: the badge, legend entry or error says it in words too.
  for (const s of document.querySelectorAll('.badge, .counts li, .error, .toast, .notice')) if (!s.textContent?.trim() && s.id !== 'dialog-error') problems.push(`${tag(s)}.${s.className} is colour without text`);
  // A focus ring taken away: only from what Tab never reaches (main, the skip link's target, tabindex -1).
  const rules: CSSStyleRule[] = [];
  const walk = (list: CSSRuleList) => { for (const r of list) { if (r instanceof CSSStyleRule) rules.push(r); else if ('cssRules' in r) walk((r as CSSGroupingRule).cssRules); } };
  for (const sheet of document.styleSheets) walk(sheet.cssRules);
  for (const r of rules) {
    const o = r.style.outlineStyle || r.style.outline;
    const replaced = (r.style.boxShadow && r.style.boxShadow !== 'none') || r.style.borderColor || r.style.textDecorationLine;
    if (!/^(none|0(px)?)$/.test(o.trim()) || replaced) continue;
    const plain = r.selectorText.replace(/:(focus-visible|focus-within|focus)/g, '') || '*';
    for (const e of document.querySelectorAll<HTMLElement>(plain)) if (e.tabIndex >= 0) problems.push(`"${r.selectorText}" hides the focus ring of ${tag(e)}`);
  }
  return problems;
}

/** Controls in the accessibility tree without a name: lines like `- button` or `- link:` with no quoted name. */
export async function unnamedControls(page: Page): Promise<string[]> {
  const snapshot = await page.locator('body').ariaSnapshot();
  const unnamed = new RegExp(`^\\s*- (${NAMED_ROLES.join('|')})(?=$|:|\\s\\[)`);
  return snapshot.split('\n').filter((line) => unnamed.test(line)).map((line) => `unnamed in the accessibility tree: ${line.trim()}`);
}

/** Tab through the page (up to `stops`): every element reached shows a focus ring (an outline or a box shadow). */
export async function focusWithoutRing(page: Page, stops = 30): Promise<string[]> {
  await page.locator('body').focus();
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const problems: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < stops; i++) {
    await page.keyboard.press('Tab');
    const stop = await page.evaluate(() => {
      const e = document.activeElement as HTMLElement | null;
      if (!e || e === document.body) return undefined;
      const s = getComputedStyle(e);
      const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
      return { what: `${e.tagName.toLowerCase()} "${(e.getAttribute('aria-label') ?? e.textContent ?? '').trim().slice(0, 40)}"`, ring, key: e.outerHTML.slice(0, 200) };
    });
    if (!stop || seen.has(stop.key)) break;
    seen.add(stop.key);
    if (!stop.ring) problems.push(`no visible focus on ${stop.what}`);
  }
  if (seen.size === 0) problems.push('Tab reaches nothing');
  return problems;
}

/** Everything the checks find on the page open now, its title matched against `title`. */
export async function readPage(page: Page, title: RegExp): Promise<string[]> {
  const problems = [...await page.evaluate(domProblems), ...await unnamedControls(page), ...await focusWithoutRing(page)];
  const shown = await page.title();
  if (!title.test(shown)) problems.push(`<title> "${shown}" does not match ${title}`);
  return problems;
}

/**
 * Lists, listboxes and tables shown in the open dialog with nothing in them: an empty box on screen,
 * and to a screen reader a list "with 0 items" (ARIA 1.2 list, listbox and table each own their
 * items: https://www.w3.org/TR/wai-aria-1.2/#mustContain). A status message says "none found" instead.
 */
export function emptyGroupsInDialog(): string[] {
  const dialog = document.querySelector('dialog[open]');
  if (!dialog) return [];
  const groups = dialog.querySelectorAll<HTMLElement>('ul, ol, table, [role=list], [role=listbox], [role=table], [role=grid]');
  return [...groups].filter((g) => g.checkVisibility() && !g.querySelector('li, tbody tr, [role=listitem], [role=option], [role=row]'))
    .map((g) => `<${g.tagName.toLowerCase()}${g.id ? `#${g.id}` : ''}> is shown with nothing in it`);
}

/** An open modal dialog: its controls named, its Tab stops ringed (Tab stays in a modal dialog), no empty list shown. */
export async function readDialog(page: Page): Promise<string[]> {
  return [...await page.evaluate(domProblems), ...await page.evaluate(emptyGroupsInDialog), ...await unnamedControls(page), ...await focusWithoutRing(page, 12)];
}

/**
 * How the error `text` is tied to the control `#id` (ARIA21): the control is aria-invalid,
 * described by an alert saying the error, and has focus. Each miss is named; [] when tied.
 */
export async function errorNotTied(page: Page, id: string, text: string): Promise<string[]> {
  return page.evaluate(([id, text]) => {
    const c = document.getElementById(id);
    if (!c) return [`no #${id}`];
    const problems: string[] = [];
    if (c.getAttribute('aria-invalid') !== 'true') problems.push(`#${id} is not aria-invalid`);
    const by = (c.getAttribute('aria-describedby') ?? '').split(/\s+/).map((d) => document.getElementById(d)).filter((e) => e?.getAttribute('role') === 'alert');
    if (!by.some((e) => e!.textContent?.trim() === text)) problems.push(`#${id} is not described by an alert saying "${text}"`);
    if (document.activeElement !== c) problems.push(`focus is on ${document.activeElement?.tagName.toLowerCase()}#${document.activeElement?.id}, not #${id}`);
    return problems;
  }, [id, text] as const);
}
