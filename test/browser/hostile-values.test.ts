/**
 * Hostile values in a real browser: the pages' scripts fill the members table, the match dialog
 * and the audit log from `/ui/api`, and must show what comes from outside as text. A member whose
 * email and name in Meta carry markup comes in through a check for updates from the Meta emulator;
 * a directory user whose display name does, as SCIM stores it; an exemption reason that does, through
 * the agent. No script may run (no alert), no element may be injected, and the text reads as given.
 * Memory store only: the escaping is the pages', whatever the store (dashboard.test.ts runs both).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { SANDBOX, sandboxFixture } from '../../connectors/meta-business/emulator/index.ts';
import { HUB, signInWithToken, startDashboardWorld, type DashboardWorld } from './dashboard-world.ts';
import { launchChromium, newContext, until } from './browser-kit.ts';
import { appendAudit } from '../../agent/audit/audit-log.ts';

const XSS = '<img src=x onerror=alert(1)>';
const EMAIL = `mallory"'><img src=x onerror=alert(2)>@evil.example`;
const NAME = `</script><script>alert(3)</script>`;
const DISPLAY = `<svg onload=alert(4)>Mallory`;
const REASON = `"><img src=x onerror=alert(5)> javascript:alert(6)`;

describe('hostile values in the dashboard, in a browser', { timeout: 180_000 }, () => {
  let world: DashboardWorld;
  let browser: Browser;
  let page: Page;
  const dialogs: string[] = [];
  const errors: string[] = [];

  /** Nothing the values carried became markup: no injected element, no script run. */
  const assertInert = async (where: string) => {
    assert.equal(await page.locator('main img, main svg[onload], main script').count(), 0, `${where}: no injected element`);
    assert.deepEqual(dialogs, [], `${where}: no script ran`);
  };

  before(async () => {
    world = await startDashboardWorld();
    // Meta lets a person pick their name, and an invite goes to any address: both reach us from the app.
    const fixture = sandboxFixture();
    fixture.businessUsers.push({ id: '9000000000000099', businessId: SANDBOX.businessId, name: NAME, email: EMAIL, role: 'EMPLOYEE' });
    world.emulator.control.seed(fixture);
    // A directory user as the SCIM server stores one: its display name is the IdP's.
    const at = new Date().toISOString();
    await world.store.transact((tx) => {
      tx.put('directoryUsers', HUB, 'dir-mallory', { hubId: HUB, id: 'dir-mallory', userName: 'mallory@evil.example', displayName: DISPLAY, active: true, email: 'mallory@evil.example', emails: ['mallory@evil.example'], scim: {}, created: at, lastModified: at, version: 1 });
    });
    const task = await world.agent.api.checkForUpdates(HUB, { type: 'schedule' });
    await until('the check for updates', async () => ['completed', 'failed'].includes((await world.agent.api.task(task.id))?.status ?? '') && true, 60_000);
    assert.equal((await world.agent.api.task(task.id))?.status, 'completed');
    browser = await launchChromium();
    const context = await newContext(browser);
    page = await context.newPage();
    page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
    page.on('pageerror', (e) => errors.push(e.message));
    await signInWithToken(page, world.url);
  });

  after(async () => {
    await browser?.close();
    await world?.close();
  });

  test('the members table and the match dialog show an email from Meta and a display name from the IdP as text', async () => {
    await page.goto(`${world.url}/ui/hubs/${HUB}`);
    await page.getByRole('tab', { name: /Unmatched/ }).click();
    const cell = page.locator('#members-table tbody td[data-label="Email"]', { hasText: 'mallory' });
    await cell.waitFor();
    assert.equal(await cell.textContent(), EMAIL);
    await assertInert('members');

    await page.getByRole('button', { name: `Match ${EMAIL}` }).click();
    const dialog = page.getByRole('dialog');
    assert.equal(await dialog.getByRole('heading').textContent(), `Match ${EMAIL}`);
    await dialog.locator('#match-search').fill('mallory@evil');
    const choice = dialog.locator('#match-results label', { hasText: 'Mallory' });
    await choice.waitFor();
    assert.equal(await choice.textContent(), `${DISPLAY} · mallory@evil.example`);
    assert.equal(await page.locator('dialog svg').count(), 0, 'no injected svg in the dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.deepEqual(dialogs, []);
  });

  test('an exemption reason and the audit texts that name the member are text on the members and audit pages', async () => {
    const { items } = await world.agent.api.members(HUB, { search: 'mallory', offset: 0, limit: 10 });
    assert.equal(items.length, 1);
    await world.agent.api.exemptMember(HUB, items[0]!.id, { reason: REASON }, { type: 'dashboard', actor: 'admin-token:test', detail: 'admin-token' });

    await page.goto(`${world.url}/ui/hubs/${HUB}`);
    await page.getByRole('tab', { name: /Exempted/ }).click();
    const status = page.locator('#members-table tbody tr', { hasText: 'mallory' }).locator('td[data-label="Status"] .muted');
    await status.first().waitFor();
    assert.equal(await status.first().textContent(), REASON);
    await assertInert('exempted');

    await page.goto(`${world.url}/ui/audit`);
    await page.getByLabel('Email').fill('mallory');
    const why = page.locator('#audit tbody tr', { hasText: 'member-exempted' }).first();
    await why.waitFor();
    // The agent's text: who exempted whom and why (agent/members/member-decisions.ts), as given.
    assert.ok((await why.textContent() ?? '').includes(`exempted ${EMAIL}: "${REASON}"`), 'the audit row names the member and the reason as given');
    await assertInert('audit');
    assert.deepEqual(errors, [], 'no script error on any page');
  });

  // A bidi override in a value from the app shown raw reordered the rest of the cell: the why
  // below read "…exe.gpj" as stored but displayed otherwise (Trojan Source).
  test('bidi and control characters in an audit entry are shown as escapes, not applied', async () => {
    const why = 'invite Jane \u202egpj.exe\u202c\u2066x\u2069 \u001b[2J done';
    await world.store.transact((tx) => { appendAudit(tx, { hubId: HUB, trigger: { type: 'scim', actor: 'okta\u202eevil' }, action: 'hostile-text', subject: { email: 'jane\u202e@example.com' }, why, outcome: 'ok' }); });
    await page.goto(`${world.url}/ui/audit`);
    await page.getByLabel('Action').fill('hostile-text');
    const row = page.locator('#audit tbody tr', { hasText: 'hostile-text' }).first();
    await row.waitFor();
    const text = await row.textContent() ?? '';
    assert.doesNotMatch(text, /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/, 'no control or bidi character reaches the page');
    assert.equal(await row.locator('td[data-label="Why"]').textContent(), 'invite Jane \\u202egpj.exe\\u202c\\u2066x\\u2069 \\x1b[2J done');
    assert.equal(await row.locator('td[data-label="Who"]').textContent(), 'scim: okta\\u202eevil');
    assert.equal(await row.locator('td[data-label="Subject"]').textContent(), 'jane\\u202e@example.com');
    assert.deepEqual(errors, [], 'no script error');
  });
});
