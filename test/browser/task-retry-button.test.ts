/**
 * The automation page's Retry button, in a browser, shown only where a click can succeed: on a
 * failed app change its hub's owner may retry (the task's `retryable`, agent/tasks/retry-rule.ts),
 * never on a forced removal (the retry route's 409) nor to a manager (its 403). The route stays
 * the control: the manager's retry, sent anyway, is still refused. Memory store only: what is
 * shown is the page's and the task view's, whatever the store.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Operation } from '../../agent/plan/operation.ts';
import type { TaskRecord } from '../../agent/tasks/task-record.ts';
import { FORBIDDEN_DETAIL } from '../../scim-server/web/hub-guard.ts';
import { readPage } from './a11y-checks.ts';
import { launchChromium, sessionHttp, type SessionHttp } from './browser-kit.ts';
import { HUB_A, PEOPLE, startHubRolesWorld, type HubRolesWorld, signInPage } from './hub-roles-world.ts';

const INVITE = 't-failed-invite';
const REMOVAL = 't-forced-removal';

describe('the Retry button on the automation page, by hub role', { timeout: 180_000 }, () => {
  let world: HubRolesWorld;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  async function signedIn(who: { login: string }): Promise<{ page: Page; http: SessionHttp }> {
    const { page, context } = await signInPage(world, browser, who, { contexts, pageErrors });
    return { page, http: await sessionHttp(context, world.url) };
  }

  /** The automation page with both failed tasks drawn. */
  async function automation(page: Page) {
    await page.goto(`${world.url}/ui/automation`);
    await page.locator(`#tasks tr[data-task="${INVITE}"]`).waitFor();
    await page.locator(`#tasks tr[data-task="${REMOVAL}"]`).waitFor();
  }

  before(async () => {
    world = await startHubRolesWorld();
    browser = await launchChromium();
    const at = new Date().toISOString();
    const failed = (id: string, op: Operation, force: boolean): TaskRecord => ({
      id, hubId: HUB_A, kind: op.kind, status: 'failed', idempotencyKey: `op:${op.key}:${id}`, payload: { op, ...(force ? { force: true } : {}) },
      summary: op.summary, trigger: { type: 'schedule' }, attempts: 1, attemptsEnded: 1, createdAt: at, updatedAt: at, completedAt: at,
      lastError: { kind: 'invalid-argument', message: 'refused [100]', providerCode: '100' },
    });
    await world.store.transact((tx) => {
      // Mona manages hub A (Meta Managers: hubRole manager, no seat); read on each request, nothing to plan.
      tx.put('directoryUsers', HUB_A, 'dir-mona', { hubId: HUB_A, id: 'dir-mona', userName: PEOPLE.manager.email, active: true, displayName: 'Mona', email: PEOPLE.manager.email, emails: [PEOPLE.manager.email], scim: {}, created: at, lastModified: at, version: 1 });
      tx.put('directoryGroups', HUB_A, 'grp-managers', { hubId: HUB_A, id: 'grp-managers', displayName: 'Meta Managers', members: [{ value: 'dir-mona' }], scim: {}, created: at, lastModified: at, version: 1 });
      for (const t of [
        failed(INVITE, { kind: 'invite', key: 'invite:nora@sandbox.example', email: 'nora@sandbox.example', role: 'EMPLOYEE', effect: 'grant', reason: 'assigned', directoryUserId: 'dir-nora', summary: 'invite nora@sandbox.example' } as Operation, false),
        failed(REMOVAL, { kind: 'remove-member', key: 'remove:9000000000000199', memberId: '9000000000000199', role: 'EMPLOYEE', effect: 'removal', reason: 'unassigned', summary: 'remove otto@sandbox.example' } as Operation, true),
      ]) tx.put('tasks', HUB_A, t.id, t);
    });
  });

  after(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await world?.close();
  });

  test('the owner of hub A sees Retry on the failed invite, not on the forced removal; the page passes the a11y checks', async () => {
    const { page } = await signedIn(PEOPLE.owner);
    await automation(page);
    await page.locator(`#tasks tr[data-task="${INVITE}"]`).getByRole('button', { name: 'Retry: invite nora@sandbox.example' }).waitFor();
    assert.equal(await page.locator(`#tasks tr[data-task="${REMOVAL}"] button`).count(), 0, 'no Retry on a forced removal (the route answers 409)');
    assert.deepEqual(await readPage(page, /^Automation · hubwarden$/), []);
  });

  test('a manager of hub A sees both failed tasks and no Retry; the route still refuses their retry (403)', async () => {
    const { page, http } = await signedIn(PEOPLE.manager);
    await automation(page);
    assert.equal(await page.locator('#tasks button[data-action="retry-task"]').count(), 0);
    const res = await http.post(`/ui/api/v1/hubs/${HUB_A}/tasks/${INVITE}/retry`, { reason: 'sent anyway' });
    assert.equal(res.status, 403);
    assert.equal((await world.store.get('tasks', HUB_A, INVITE))?.retried, undefined, 'not retried');
  });

  test('an owner demoted after the page loaded: Retry is refused, the reason is announced and the stale button goes', async () => {
    const { page } = await signedIn(PEOPLE.itAdmin);
    await automation(page);
    const row = page.locator(`#tasks tr[data-task="${INVITE}"]`);
    await row.getByRole('button', { name: 'Retry: invite nora@sandbox.example' }).waitFor();
    // Ivan leaves IT Admins (owner) for Meta Managers (manager): read on each request, the page still shows Retry.
    await world.store.transact(async (tx) => {
      for (const [id, add, drop] of [['grp-it', [], ['dir-ivan']], ['grp-managers', ['dir-ivan'], []]] as const) {
        const g = (await tx.get('directoryGroups', HUB_A, id))!;
        tx.put('directoryGroups', HUB_A, id, { ...g, members: [...g.members.filter((m) => !drop.includes(m.value as never)), ...add.map((value) => ({ value }))] });
      }
    });
    await row.getByRole('button', { name: 'Retry: invite nora@sandbox.example' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason (what was fixed)').fill('the app was fixed');
    await dialog.getByRole('button', { name: 'Retry' }).click();
    const alert = page.locator('#live-alert[role="alert"]');
    await alert.getByText(FORBIDDEN_DETAIL).waitFor(); // the server's own reason
    await row.locator('button[data-action="retry-task"]').waitFor({ state: 'detached' });
    await page.waitForTimeout(2500); // a poll of the list (POLL_MS) draws it without the button too
    assert.equal(await page.locator('#tasks button[data-action="retry-task"]').count(), 0, 'no stale Retry on the hub');
    assert.equal(await row.count(), 1, 'the row stays, refreshed');
    assert.equal((await world.store.get('tasks', HUB_A, INVITE))?.retried, undefined, 'not retried');
  });

  test('no script error on the pages', () => {
    assert.deepEqual(pageErrors, []);
  });
});
