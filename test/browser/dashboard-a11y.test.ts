/**
 * The dashboard for keyboard and screen-reader users, in a real browser (WCAG 2.2 AA):
 * a dialog's validation error is tied to its field, the message after an action lands in a live
 * region that was in the page before it, focus has somewhere to go when the action's row or
 * report is drawn again, a report's buttons say which item each applies, and an error the
 * server sent no words for is still said in words, until dismissed. Memory store only: this is the pages' behaviour, whatever the store.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { DIR, HUB, signedInDashboard, type DashboardWorld } from './dashboard-world.ts';
import { until } from './browser-kit.ts';

describe('dashboard accessibility, in a browser', { timeout: 120_000 }, () => {
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

  test('the live regions for messages after an action are in the served page, empty', async () => {
    const served = await page.evaluate(async (url) => (await fetch(url)).text(), `${world.url}/ui/hubs/${HUB}`);
    assert.match(served, /<div class="live" id="live-status" role="status" aria-live="polite" aria-atomic="true"><\/div>/);
    assert.match(served, /<div class="live" id="live-alert" role="alert" aria-atomic="true"><\/div>/);
  });

  test('exempt by keyboard: a missing reason is tied to its field, the result is announced, focus stays in the members', async () => {
    await page.goto(`${world.url}/ui/hubs/${HUB}`);
    const row = page.locator('#members-table tbody tr[data-member]').first();
    await row.waitFor();
    const email = (await row.locator('td').first().textContent()) ?? '';
    // The status region as the page had it before the action: the message must land in it.
    await page.evaluate(() => { (window as unknown as { region: Element | null }).region = document.querySelector('[role="status"]'); });
    await row.getByRole('button', { name: `Exempt ${email}` }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await page.keyboard.type('   ');
    await dialog.getByRole('button', { name: 'Exempt', exact: true }).click();
    await dialog.getByText('Give a reason.').waitFor();
    const reason = page.locator('#exempt-reason');
    assert.equal(await reason.getAttribute('aria-invalid'), 'true');
    const describedBy = (await reason.getAttribute('aria-describedby')) ?? '';
    assert.ok(describedBy, 'the reason field names its error');
    assert.equal(await page.locator(`#${describedBy}`).textContent(), 'Give a reason.');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'exempt-reason');

    await page.keyboard.type('asked by the CFO');
    await dialog.getByRole('button', { name: 'Exempt', exact: true }).focus();
    await page.keyboard.press('Enter');
    await reason.waitFor({ state: 'detached' });
    await page.waitForFunction((e) => document.querySelector('[role="status"]')?.textContent === `${e} exempted`, email);
    assert.equal(await page.evaluate(() => (window as unknown as { region: Element | null }).region === document.querySelector('[role="status"]')), true, 'the message is in the region that was already there');
    // The row left the Onboarded tab with the button that opened the dialog: focus is on the tab, not lost.
    // (The dialog first hands focus back to that button; the list is drawn again after, and focus
    // moves on: waiting only for "not the body" read the button on a loaded machine.)
    await page.waitForFunction(() => document.activeElement?.getAttribute('role') === 'tab');
    assert.match(await page.evaluate(() => `${document.activeElement?.getAttribute('role')} ${document.activeElement?.textContent}`), /^tab Onboarded/);
  });

  test('automation by keyboard: each Apply names its item, and applying one leaves focus in the reports', async () => {
    const frank = SANDBOX.employees[1];
    await world.deactivate(DIR.frank);
    await until('a report naming Frank', async () => (await world.agent.api.reports(HUB)).find((r) => r.items.some((i) => i.memberId === frank)));
    await page.goto(`${world.url}/ui/automation`);
    const apply = page.getByRole('button', { name: 'Apply: remove-member frank.ledger@sandbox.example', exact: true });
    await apply.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Apply', exact: true }).focus();
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await page.waitForFunction(() => document.querySelector('[role="status"]')?.textContent === 'Report applied; the removals are queued.');
    await page.waitForFunction(() => document.activeElement !== document.body);
    assert.equal(await page.evaluate(() => !!document.activeElement?.closest('section[aria-labelledby="reports-title"]')), true, 'focus is on the reports');
  });

  test('business hubs by keyboard: after a check for updates the cards are drawn again and focus is back on the hub\'s button', async () => {
    await page.goto(`${world.url}/ui/`);
    const check = page.locator(`[data-hub="${HUB}"] [data-action="check-for-updates"]`);
    await check.focus();
    await page.keyboard.press('Enter');
    await page.locator(`[data-hub="${HUB}"]`).getByText('Check for updates finished.').waitFor();
    await page.waitForFunction(() => document.activeElement !== document.body);
    assert.equal(await page.evaluate((hub) => document.activeElement === document.querySelector(`[data-hub="${hub}"] [data-action="check-for-updates"]`), HUB), true);
  });

  test('an error without problem details (a proxy\'s 429) is said in words, with when to retry, and stays until dismissed', async () => {
    await page.clock.install();
    await page.goto(`${world.url}/ui/hubs/${HUB}`);
    await page.route('**/api/v1/hubs/*/members/*/remove', (r) => r.fulfill({ status: 429, headers: { 'retry-after': '30' }, contentType: 'text/html', body: '<html><body>429 Too Many Requests</body></html>' }));
    const row = page.locator('#members-table tbody tr[data-member]').first();
    await row.locator('button[data-action="remove"]').click();
    await page.getByRole('dialog').locator('button.danger').click();
    const alert = page.locator('#live-alert');
    await alert.getByText('Too many requests: try again in 30 s.').waitFor();
    await page.clock.fastForward('00:30');
    assert.match((await alert.textContent()) ?? '', /Too many requests: try again in 30 s\./, 'still shown after 30 s');
    await alert.getByRole('button', { name: 'Dismiss the message' }).click();
    assert.equal(await alert.textContent(), '');
    await page.unroute('**/api/v1/hubs/*/members/*/remove');
  });

  test('the keyboard focus ring stands out 3:1 against the page (SC 1.4.11)', async () => {
    await page.goto(`${world.url}/ui/hubs/${HUB}`);
    await page.getByRole('button', { name: 'Email' }).focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    const [ring, background] = await page.evaluate(() => [getComputedStyle(document.activeElement!).outlineColor, getComputedStyle(document.body).backgroundColor || '']);
    const pageColor = background === 'rgba(0, 0, 0, 0)' ? await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor) : background;
    assert.ok(contrast(ring, pageColor) >= 3, `focus outline ${ring} on ${pageColor}: ${contrast(ring, pageColor).toFixed(2)}:1`);
  });
});

/** WCAG 2.2 contrast ratio of two computed `rgb(r, g, b)` colours (https://www.w3.org/TR/WCAG22/#dfn-contrast-ratio). */
function contrast(a: string, b: string): number {
  const luminance = (rgb: string) => {
    const [r, g, bl] = (rgb.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}
