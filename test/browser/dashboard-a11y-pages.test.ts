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
import { DIR, HUB, signedInDashboard, type DashboardWorld } from './dashboard-world.ts';
import { newContext, until } from './browser-kit.ts';
import { domProblems, readPage, unnamedControls } from './a11y-checks.ts';

const HUB_LABEL = 'Acme on Meta (sandbox)';

describe('every dashboard page, for screen-reader and keyboard users', { timeout: 240_000 }, () => {
  let world: DashboardWorld;
  let browser: Browser;
  let page: Page;

  before(async () => {
    ({ world, browser, page } = await signedInDashboard());
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
