/**
 * The dashboard's audit log pages by cursor: entries written while someone reads it (every
 * change hubwarden makes is one) do not push the pages down, so the next page neither repeats
 * the last entries of the one before nor skips any.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { appendAudit } from '../../agent/audit/audit-log.ts';
import { HUB, signInWithToken, startDashboardWorld, type DashboardWorld } from './dashboard-world.ts';
import { launchChromium, newContext } from './browser-kit.ts';

const ACTION = 'paging-check';

describe('the dashboard audit log while entries are written', { timeout: 180_000 }, () => {
  let world: DashboardWorld;
  let browser: Browser;
  let page: Page;

  const write = (from: number, to: number) => world.store.transact((tx) => {
    for (let i = from; i <= to; i++) appendAudit(tx, { hubId: HUB, trigger: { type: 'schedule' }, action: ACTION, why: `entry ${i}`, outcome: 'ok' });
  });
  const shownWhys = async () => page.locator('#audit tbody td[data-label="Why"]').allTextContents();

  before(async () => {
    world = await startDashboardWorld();
    await write(1, 60);
    browser = await launchChromium();
    page = await (await newContext(browser)).newPage();
    await signInWithToken(page, world.url);
  });

  after(async () => {
    await browser?.close();
    await world?.close();
  });

  test('Next after new entries were written shows the entries older than the page shown, none twice', async () => {
    await page.goto(`${world.url}/ui/audit`);
    await page.getByLabel('Action').fill(ACTION);
    const pager = page.locator('#audit-pager span');
    await page.waitForFunction(() => document.querySelector('#audit-pager span')?.textContent === '1–50 of 60');
    const first = await shownWhys();
    assert.deepEqual(first, Array.from({ length: 50 }, (_, i) => `entry ${60 - i}`));

    await write(61, 65); // written while the person reads page 1
    await page.getByRole('button', { name: 'Next' }).click();
    await page.waitForFunction(() => document.querySelector('#audit tbody td[data-label="Why"]')?.textContent !== 'entry 60');
    const second = await shownWhys();
    assert.deepEqual(second, Array.from({ length: 10 }, (_, i) => `entry ${10 - i}`), 'the ten entries older than page 1, none of page 1 again');
    assert.equal(await pager.textContent(), '51–60 of 60');

    await page.getByRole('button', { name: 'Previous' }).click();
    await page.waitForFunction(() => document.querySelector('#audit-pager span')?.textContent?.startsWith('1–50'));
    assert.equal((await shownWhys())[0], 'entry 65', 'page 1 again, with what was written meanwhile');
  });
});
