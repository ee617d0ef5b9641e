/**
 * Hub roles in a real browser, enforced by the server: people signed in through the OIDC
 * provider who are not global administrators get what their directory groups' `hubRole` gives
 * them on each hub. Checked in chromium and by direct HTTP requests with the person's session
 * cookie (the buttons a page hides are never the control), against hubwarden composed as
 * `npm start` does, with two hubs on two Meta emulators.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { collect } from '../../agent/store/store.ts';
import { SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { launchChromium, sessionHttp, until, type SessionHttp, screenshotsDir } from './browser-kit.ts';
import { callsNaming, HUB_A, HUB_B, PEOPLE, startHubRolesWorld, type HubRolesWorld, signInPage } from './hub-roles-world.ts';
import { sharedStoreElseMemory } from '../suite-stores.ts';

const B_MEMBER = SANDBOX.employees[0];

/**
 * Every page, read and action of hub B the dashboard has (`{task}`: a task of hub B), and the
 * person-wide routes that are for global administrators only.
 */
const HUB_B_ROUTES: Array<[method: 'GET' | 'POST', path: string, body?: unknown]> = [
  ['GET', `/ui/hubs/${HUB_B}`], ['GET', `/ui/hubs/${HUB_B}?tab=assets`], ['GET', `/ui/hubs/${HUB_B}?tab=partners`], ['GET', `/ui/hubs/${HUB_B}?tab=settings`],
  ['GET', `/ui/charts/hubs/${HUB_B}/standing.svg`],
  ['GET', `/ui/api/v1/hubs/${HUB_B}`], ['GET', `/ui/api/v1/hubs/${HUB_B}/members`], ['GET', `/ui/api/v1/hubs/${HUB_B}/members/${B_MEMBER}`], ['GET', `/ui/api/v1/hubs/${HUB_B}/plan`],
  ['POST', `/ui/api/v1/hubs/${HUB_B}/members/${B_MEMBER}/match`, { directoryUserId: 'b-ada' }], ['POST', `/ui/api/v1/hubs/${HUB_B}/members/${B_MEMBER}/unmatch`, {}],
  ['POST', `/ui/api/v1/hubs/${HUB_B}/members/${B_MEMBER}/exempt`, { reason: 'taking over' }], ['POST', `/ui/api/v1/hubs/${HUB_B}/members/${B_MEMBER}/unexempt`, {}],
  ['POST', `/ui/api/v1/hubs/${HUB_B}/members/${B_MEMBER}/remove`, {}], ['POST', `/ui/api/v1/hubs/${HUB_B}/check-for-updates`, {}],
  ['GET', `/ui/api/v1/tasks?hubId=${HUB_B}`], ['GET', '/ui/api/v1/tasks/{task}'],
  ['GET', `/ui/api/v1/reports?hubId=${HUB_B}`], ['POST', '/ui/api/v1/reports/report-b/apply', { memberIds: 'all' }],
  ['GET', `/ui/api/v1/approvals?hubId=${HUB_B}`], ['POST', '/ui/api/v1/approvals/approval-b/approve', { reason: 'role check' }], ['POST', '/ui/api/v1/approvals/approval-b/reject', {}],
  ['GET', `/ui/api/v1/audit?hubId=${HUB_B}`], ['GET', `/ui/export/audit.csv?hubId=${HUB_B}`], ['GET', `/ui/export/hubs/${HUB_B}/members.csv`],
  ['GET', `/ui/api/hubs/${HUB_B}/assets`], ['GET', `/ui/api/hubs/${HUB_B}/partners`], ['GET', `/ui/api/hubs/${HUB_B}/directory-users?search=grace`],
  ['GET', `/ui/api/v1/people/${PEOPLE.collaborator.email}/offers`], ['POST', `/ui/api/v1/people/${PEOPLE.collaborator.email}/offboard`, {}],
  ['POST', `/ui/api/v1/people/${PEOPLE.collaborator.email}/reevaluate`, {}],
];

// On PostgreSQL (any replica serves the dashboard), or the memory store when the run has no PostgreSQL (test/suite-stores.ts).
for (const kind of await sharedStoreElseMemory()) {
  describe(`hub roles in a browser (${kind.kind})`, { timeout: 240_000, skip: kind.skip }, () => {
    let shots = '';
    let world: HubRolesWorld;
    let browser: Browser;
    const contexts: BrowserContext[] = [];
    const pageErrors: string[] = [];

    /** A fresh browser signed in as `who` through the IdP's login and consent pages. */
    async function signedIn(who: { login: string }, next = '/ui/'): Promise<{ page: Page; http: SessionHttp }> {
      const { page, context } = await signInPage(world, browser, who, { contexts, pageErrors, next });
      return { page, http: await sessionHttp(context, world.url) };
    }

    before(async () => {
      shots = screenshotsDir();
      world = await startHubRolesWorld(kind);
      browser = await launchChromium();
      const now = new Date().toISOString();
      // A deprovisioning report and a halted plan waiting on hub B, as its safety brakes leave them.
      await world.store.transact((tx) => {
        tx.put('reports', HUB_B, 'report-b', { id: 'report-b', hubId: HUB_B, createdAt: now, status: 'open', operations: {}, items: [{ memberId: B_MEMBER, action: 'remove-member', reason: 'deactivated in the directory' }] });
        tx.put('approvals', HUB_B, 'approval-b', { id: 'approval-b', hubId: HUB_B, createdAt: now, status: 'pending', explanation: 'would remove 4 of 6 members', operations: [{ kind: 'remove-member', summary: `remove ${B_MEMBER}` }], taskId: 'task-halted-b', planned: [] });
      });
    });

    after(async () => {
      for (const c of contexts) await c.close();
      await browser?.close();
      await world?.close();
    });

    test('the owner of hub A (not a global administrator) manages hub A only: cards, settings, health, a check for updates', async () => {
      const { page } = await signedIn(PEOPLE.owner);
      await page.waitForURL(`${world.url}/ui/`);
      await page.locator(`[data-hub="${HUB_A}"]`).getByText('Acme on Meta (sandbox)').waitFor();
      assert.equal(await page.locator('[data-hub]').count(), 1, 'no card of hub B');
      assert.deepEqual(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents(), ['Business hubs', 'Automation', 'Audit log', 'My access']);
      const card = page.locator(`[data-hub="${HUB_A}"]`);
      await card.getByText('Health').waitFor();
      await card.getByRole('button', { name: 'Check for updates' }).click();
      await card.getByText('Check for updates finished.').waitFor({ timeout: 30_000 });
      await page.screenshot({ path: `${shots}/20-owner-hubs.png`, fullPage: true });
      const check = (await world.agent.api.tasks({ hubId: HUB_A, kind: 'check-for-updates' })).items[0]!;
      assert.deepEqual(check.trigger, { type: 'dashboard', actor: PEOPLE.owner.email, detail: 'oidc' });

      await page.goto(`${world.url}/ui/hubs/${HUB_A}?tab=settings`);
      await page.getByRole('cell', { name: 'IT Admins' }).waitFor();
      await page.goto(`${world.url}/ui/automation`);
      assert.deepEqual(await page.locator('#task-filters select[name="hubId"] option').evaluateAll((o) => o.map((x) => (x as HTMLOptionElement).value)), ['', HUB_A]);
      await page.locator('#tasks tbody tr[data-task]').first().waitFor();
      const hubsShown = await page.locator('#tasks tbody tr[data-task] td[data-label="Hub"]').allTextContents();
      assert.ok(hubsShown.length > 0 && hubsShown.every((h) => h === HUB_A), hubsShown.join(','));
      await page.goto(`${world.url}/ui/audit`);
      await page.locator('#audit tbody tr[data-seq]').first().waitFor();
      assert.ok((await page.locator('#audit tbody tr[data-seq] td[data-label="Hub"]').allTextContents()).every((h) => h === HUB_A));

      // Hub B in the browser: the server refuses the page itself.
      const refused = await page.goto(`${world.url}/ui/hubs/${HUB_B}`);
      assert.equal(refused?.status(), 403);
      await page.getByRole('heading', { name: 'Not yours to see' }).waitFor();
      await page.screenshot({ path: `${shots}/21-owner-refused-hub-b.png`, fullPage: true });
    });

    test('with the owner\'s session cookie, every read and action of hub B is 403 and changes nothing', async () => {
      const { http } = await signedIn(PEOPLE.owner);
      const task = (await world.agent.api.tasks({ hubId: HUB_B, kind: 'check-for-updates' })).items[0]!;
      await world.agent.idle();
      const callsBefore = world.emulatorB.calls.length;
      const auditBefore = (await collect(world.store.list('audit', HUB_B))).length;
      for (const [method, raw, body] of HUB_B_ROUTES) {
        const path = raw.replace('{task}', task.id);
        const res = method === 'GET' ? await http.get(path) : await http.post(path, body);
        assert.equal(res.status, 403, `${method} ${path}`);
        const text = (await res.text()).split(path).join('');
        assert.doesNotMatch(text, new RegExp(`${B_MEMBER}|Beta on Meta|grace|"items"|memberCounts`, 'i'), `${method} ${path}: nothing of hub B in the answer`);
      }
      // The lists across hubs hold hub A only.
      const hubs = await (await http.get('/ui/api/v1/hubs')).json() as { items: Array<{ id: string }> };
      assert.deepEqual(hubs.items.map((h) => h.id), [HUB_A]);
      for (const list of ['/ui/api/v1/tasks?limit=500', '/ui/api/v1/audit?limit=500', '/ui/api/v1/reports', '/ui/api/v1/approvals']) {
        const { items } = await (await http.get(list)).json() as { items: Array<{ hubId?: string }> };
        assert.ok(items.every((i) => i.hubId === HUB_A), `${list}: ${[...new Set(items.map((i) => i.hubId))].join(',')}`);
      }
      await world.agent.idle();
      assert.equal(world.emulatorB.calls.length, callsBefore, 'nothing reached hub B\'s business');
      assert.equal((await collect(world.store.list('audit', HUB_B))).length, auditBefore, 'nothing audited on hub B');
      assert.equal((await world.store.get('reports', HUB_B, 'report-b'))?.status, 'open');
      assert.equal((await world.store.get('approvals', HUB_B, 'approval-b'))?.status, 'pending');
    });

    test('a seat-less owner (teams[].seat: false) owns hub A and is never invited: nothing reaches the Meta emulator for them', async () => {
      const { page } = await signedIn(PEOPLE.itAdmin);
      await page.waitForURL(`${world.url}/ui/`);
      const card = page.locator(`[data-hub="${HUB_A}"]`);
      await card.getByRole('button', { name: 'Check for updates' }).click();
      await card.getByText('Check for updates finished.').waitFor({ timeout: 30_000 });
      await world.agent.idle();
      await page.goto(`${world.url}/ui/my-access`);
      const mine = page.locator(`section[data-hub="${HUB_A}"]`);
      assert.equal(await mine.locator('[data-field="hub-role"]').textContent(), 'owner');
      await mine.getByText('Your team gives you the hub role without a seat: nobody invites you.').waitFor();
      assert.deepEqual(callsNaming(world.emulatorA, PEOPLE.itAdmin.email), []);
      const state = world.emulatorA.control.state();
      assert.equal(state.invites.some((i) => i.email.toLowerCase() === PEOPLE.itAdmin.email), false);
      assert.equal(state.users.some((u) => u.email?.toLowerCase() === PEOPLE.itAdmin.email), false);
      // The agent took in the SCIM push that made them an owner, and planned nothing for them then or now.
      const audit = await collect(world.store.list('audit', HUB_A));
      assert.ok(audit.some((e) => e.action === 'desired-state-change' && e.detail?.people === 3), 'the push naming the seat-less owner was dispatched');
      assert.equal(audit.some((e) => e.subject?.email === PEOPLE.itAdmin.email || e.subject?.directoryUserId === 'dir-ivan'), false, 'no operation was audited for them');
      assert.deepEqual((await world.agent.api.plan(HUB_A)).filter((op) => op.email === PEOPLE.itAdmin.email || op.summary.includes(PEOPLE.itAdmin.email)), []);
    });

    test('a collaborator sees only My access, and gets 403 on the admin pages and API', async () => {
      const { page, http } = await signedIn(PEOPLE.collaborator);
      await page.waitForURL(`${world.url}/ui/my-access`);
      assert.deepEqual(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents(), ['My access']);
      const mine = page.locator(`section[data-hub="${HUB_A}"]`);
      assert.equal(await mine.locator('[data-field="hub-role"]').textContent(), 'collaborator');
      await mine.locator('[data-field="standing"]').getByText('onboarded').waitFor();
      await mine.locator('tr[data-seat]').getByText(/act_111.*ADVERTISE, ANALYZE/).waitFor();
      await page.screenshot({ path: `${shots}/22-collaborator-my-access.png`, fullPage: true });
      for (const path of ['/ui/automation', '/ui/audit', `/ui/hubs/${HUB_A}`, `/ui/hubs/${HUB_A}?tab=settings`]) {
        assert.equal((await page.goto(`${world.url}${path}`))?.status(), 403, path);
      }
      await page.goto(`${world.url}/ui/`);
      assert.equal(page.url(), `${world.url}/ui/my-access`, 'the hubs page sends them to My access');
      for (const path of ['/ui/api/v1/hubs', `/ui/api/v1/hubs/${HUB_A}/members`, '/ui/api/v1/tasks', '/ui/api/v1/audit', `/ui/api/hubs/${HUB_A}/assets`, '/ui/export/audit.csv']) {
        assert.equal((await http.get(path)).status, 403, path);
      }
      assert.equal((await http.post(`/ui/api/v1/hubs/${HUB_A}/check-for-updates`, {})).status, 403);
    });

    test('no script error on any dashboard page', () => {
      assert.deepEqual(pageErrors, []);
    });
  });
}
