/**
 * One person holding two seats, in a browser: Meta lists two business users at the two addresses
 * of one directory user (a work and a personal account). After a check for updates the members
 * table says on each row that the same person holds another seat, and the "Same person, several
 * seats" filter shows those rows only (the admin API's `flag=other-seats`, also in the CSV link).
 * Memory store only: the flag is the members index's, whatever the store.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { SANDBOX, sandboxFixture } from '../../connectors/meta-business/emulator/index.ts';
import { HUB, signInWithToken, startDashboardWorld, type DashboardWorld } from './dashboard-world.ts';
import { launchChromium, newContext, until } from './browser-kit.ts';

const WORK = '9000000000000101';
const HOME = '9000000000000102';

describe('one person, two seats: the dashboard members table, in a browser', { timeout: 180_000 }, () => {
  let world: DashboardWorld;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  before(async () => {
    world = await startDashboardWorld();
    const fixture = sandboxFixture();
    fixture.businessUsers.push(
      { id: WORK, businessId: SANDBOX.businessId, name: 'Ann Work', email: 'ann@sandbox.example', role: 'EMPLOYEE' },
      { id: HOME, businessId: SANDBOX.businessId, name: 'Ann Home', email: 'ann.private@mail.example', role: 'EMPLOYEE' },
    );
    world.emulator.control.seed(fixture);
    const at = new Date().toISOString();
    await world.store.transact(async (tx) => {
      tx.put('directoryUsers', HUB, 'dir-ann', { hubId: HUB, id: 'dir-ann', userName: 'ann@sandbox.example', active: true, email: 'ann@sandbox.example', emails: ['ann@sandbox.example', 'ann.private@mail.example'], scim: {}, created: at, lastModified: at, version: 1 });
      const g = (await tx.get('directoryGroups', HUB, 'grp-advertisers'))!;
      tx.put('directoryGroups', HUB, g.id, { ...g, members: [...g.members, { value: 'dir-ann' }], version: g.version + 1 });
    });
    const task = await world.agent.api.checkForUpdates(HUB, { type: 'schedule' });
    await until('the check for updates', async () => ['completed', 'failed'].includes((await world.agent.api.task(task.id))?.status ?? '') && true, 60_000);
    assert.equal((await world.agent.api.task(task.id))?.status, 'completed');
    browser = await launchChromium();
    page = await (await newContext(browser)).newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await signInWithToken(page, world.url);
  });

  after(async () => {
    await browser?.close();
    await world?.close();
  });

  test('each of the two seats names the other; the filter lists only them, and the CSV link carries it', async () => {
    await page.goto(`${world.url}/ui/hubs/${HUB}`);
    const note = (id: string) => page.locator(`#members-table tr[data-member="${id}"] [data-field="other-seats"]`);
    await note(WORK).waitFor();
    assert.equal(await note(WORK).textContent(), `the same person holds another seat here: ${HOME}`);
    assert.equal(await note(HOME).textContent(), `the same person holds another seat here: ${WORK}`);
    assert.ok(await page.locator('#members-table tr[data-member]').count() > 2, 'other members are listed without the filter');
    assert.equal(await page.locator('#members-table [data-field="other-seats"]').count(), 2, 'no other row carries the note');

    await page.getByLabel('Same person, several seats').check();
    await until('only the two seats', async () => (await page.locator('#members-table tr[data-member]').count()) === 2);
    assert.deepEqual((await page.locator('#members-table tr[data-member]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.member))).sort(), [WORK, HOME].sort());
    assert.match(await page.locator('#members-csv').getAttribute('href') ?? '', /[?&]flag=other-seats(&|$)/);
    assert.deepEqual(errors, []);
  });
});
