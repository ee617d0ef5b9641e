/**
 * Every dashboard page read as a screen-reader or keyboard user meets it (WCAG 2.2 AA), in a real
 * browser: the language and one h1 (SC 3.1.1, 1.3.1), a title naming the page and its hub
 * (SC 2.4.2), a name for every form control, button and link (SC 4.1.2, read from the
 * accessibility tree playwright's ariaSnapshot gives), header cells on tables (SC 1.3.1),
 * status in words and not colour alone (SC 1.4.1), text alternatives for images (SC 1.1.1), a
 * visible focus ring on every Tab stop (SC 2.4.7), and an input error announced and tied to its
 * field (SC 3.3.1, ARIA21 https://www.w3.org/WAI/WCAG22/Techniques/aria/ARIA21). Memory store only.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { DIR, HUB, signInWithToken, startDashboardWorld, type DashboardWorld } from './dashboard-world.ts';
import { launchChromium, newContext, until } from './browser-kit.ts';

const HUB_LABEL = 'Acme on Meta (sandbox)';
/** Roles that are controls: each needs an accessible name (ARIA 1.2 "name required"). */
const NAMED_ROLES = ['button', 'link', 'textbox', 'searchbox', 'combobox', 'listbox', 'checkbox', 'radio', 'spinbutton', 'slider', 'switch', 'tab', 'img'];

/** What a page gets wrong, read from its DOM and computed styles; [] when nothing. */
function domProblems(): string[] {
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
async function unnamedControls(page: Page): Promise<string[]> {
  const snapshot = await page.locator('body').ariaSnapshot();
  const unnamed = new RegExp(`^\\s*- (${NAMED_ROLES.join('|')})(?=$|:|\\s\\[)`);
  return snapshot.split('\n').filter((line) => unnamed.test(line)).map((line) => `unnamed in the accessibility tree: ${line.trim()}`);
}

/** Tab through the page (up to `stops`): every element reached shows a focus ring (an outline or a box shadow). */
async function focusWithoutRing(page: Page, stops = 30): Promise<string[]> {
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
async function readPage(page: Page, title: RegExp): Promise<string[]> {
  const problems = [...await page.evaluate(domProblems), ...await unnamedControls(page), ...await focusWithoutRing(page)];
  const shown = await page.title();
  if (!title.test(shown)) problems.push(`<title> "${shown}" does not match ${title}`);
  return problems;
}

describe('every dashboard page, for screen-reader and keyboard users', { timeout: 240_000 }, () => {
  let world: DashboardWorld;
  let browser: Browser;
  let page: Page;

  before(async () => {
    world = await startDashboardWorld();
    const task = await world.agent.api.checkForUpdates(HUB, { type: 'schedule' });
    await until('the check for updates', async () => ['completed', 'failed'].includes((await world.agent.api.task(task.id))?.status ?? '') && true, 60_000);
    browser = await launchChromium();
    page = await (await newContext(browser)).newPage();
    await signInWithToken(page, world.url);
  });

  after(async () => {
    await browser?.close();
    await world?.close();
  });

  test('business hubs: the cards, their standing image and Check for updates', async () => {
    await page.goto(`${world.url}/ui/`);
    await page.locator(`[data-hub="${HUB}"] img.standing`).waitFor();
    assert.deepEqual(await readPage(page, /^Business hubs · hubwarden$/), []);
  });

  for (const [tab, label, ready] of [
    ['members', 'Members', '#members-table tbody tr[data-member]'],
    ['assets', 'Assets', '#assets [data-asset]'],
    ['partners', 'Partners', '#partners [data-partner]'],
    ['settings', 'Settings', '#settings pre.settings'],
  ] as const) {
    test(`hub page, ${label}: the title names the section and the hub`, async () => {
      await page.goto(`${world.url}/ui/hubs/${HUB}?tab=${tab}`);
      await page.locator(ready).first().waitFor();
      assert.deepEqual(await readPage(page, new RegExp(`^${label} · ${HUB_LABEL.replace(/[()]/g, '\\$&')} · hubwarden$`)), []);
    });
  }

  test('hub page, a member dialog: its fields are named and its error tied to the field', async () => {
    await page.goto(`${world.url}/ui/hubs/${HUB}`);
    await page.locator('#members-table tbody tr[data-member] button[data-action="exempt"]').first().click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: 'Reason (who asked and why)' }).waitFor();
    assert.ok(await dialog.getByLabel('Until (optional)').isVisible());
    assert.deepEqual(await page.evaluate(domProblems), []);
    assert.deepEqual(await unnamedControls(page), []);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  test('automation: a report waiting for approval, the task filters and table', async () => {
    await world.deactivate(DIR.frank);
    await until('a report', async () => (await world.agent.api.reports(HUB)).length > 0);
    await page.goto(`${world.url}/ui/automation`);
    await page.locator('[data-report] button[data-action="apply-one"]').first().waitFor();
    await page.locator('#tasks tbody tr').first().waitFor();
    assert.deepEqual(await readPage(page, /^Automation · hubwarden$/), []);
  });

  test('audit log: filters, the entries table and the CSV link', async () => {
    await page.goto(`${world.url}/ui/audit`);
    await page.locator('#audit tbody tr').first().waitFor();
    assert.deepEqual(await readPage(page, /^Audit log · hubwarden$/), []);
  });

  test('My access', async () => {
    await page.goto(`${world.url}/ui/my-access`);
    assert.deepEqual(await readPage(page, /^My access · hubwarden$/), []);
  });

  test('a hub that does not exist: the error page', async () => {
    const res = await page.goto(`${world.url}/ui/hubs/no-such-hub`);
    assert.equal(res?.status(), 404);
    assert.deepEqual(await readPage(page, /^Hub not found · hubwarden$/), []);
  });

  test('the checks see what they look for: each fault put into a page is named', async () => {
    await page.goto(`${world.url}/ui/audit`);
    await page.locator('#audit tbody tr').first().waitFor();
    // Through the DOM and the CSSOM, which the page's Content-Security-Policy allows (no inline style or script).
    await page.evaluate(() => {
      document.documentElement.removeAttribute('lang');
      const main = document.getElementById('main')!;
      const add = (tag: string, attrs: Record<string, string> = {}, text = '') => {
        const e = main.appendChild(document.createElement(tag));
        for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
        e.textContent = text;
        return e;
      };
      add('h1', {}, 'A second heading');
      add('input', { name: 'nameless' });
      add('button', { type: 'button', id: 'icon-only' });
      add('img', { src: 'data:,' });
      add('span', { class: 'badge failed' });
      add('table', { id: 'headless' }).appendChild(document.createElement('tr')).appendChild(document.createElement('td')).textContent = 'x';
      document.styleSheets[0]!.insertRule('a:focus-visible { outline: none; box-shadow: none }', document.styleSheets[0]!.cssRules.length);
      document.title = 'hubwarden';
    });
    const problems = (await readPage(page, /^Audit log · hubwarden$/)).join('\n');
    for (const fault of [/<html> has no lang/, /2 <h1>/, /<input name=nameless> has no label/, /unnamed in the accessibility tree: - button/, /<img src=data:,> has no alt/,
      /badge failed is colour without text/, /<table#headless> has no header cells/, /"a:focus-visible" hides the focus ring of <a/, /no visible focus on a "Skip to content"/, /<title> "hubwarden"/]) {
      assert.match(problems, fault);
    }
  });

  test('sign-in: the page, and a wrong token announced and tied to the token field', async () => {
    const guest = await (await newContext(browser)).newPage();
    await guest.goto(`${world.url}/ui/sign-in`);
    assert.deepEqual(await readPage(guest, /^Sign in · hubwarden$/), []);
    const field = guest.getByLabel('Admin token');
    assert.equal(await field.getAttribute('aria-invalid'), null, 'nothing is wrong before a try');
    await field.fill('not-a-token');
    await guest.getByRole('button', { name: 'Sign in with token' }).click();
    const alert = guest.getByRole('alert');
    await alert.waitFor();
    assert.equal(await alert.textContent(), 'That token is not one of the admin tokens in the config.');
    const again = guest.getByLabel('Admin token');
    assert.equal(await again.getAttribute('aria-invalid'), 'true');
    assert.equal(await guest.evaluate(() => {
      const input = document.getElementById('admin-token');
      return (input?.getAttribute('aria-describedby') ?? '').split(/\s+/).map((id) => document.getElementById(id)?.getAttribute('role')).join(' ');
    }), 'alert', 'the token field is described by the alert');
    assert.deepEqual(await readPage(guest, /^Sign in · hubwarden$/), []);
    await guest.context().close();
  });
});
