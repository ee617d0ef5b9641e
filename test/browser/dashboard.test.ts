/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core
 * signs in through a real OIDC provider's login and consent pages, runs a check for updates on
 * the sandbox hub, matches the unmatched contractor, exempts a member, applies a deprovisioning
 * report, and checks both what the page shows and what changed in the Meta emulator and the store.
 * Screenshots of every page go to test-artifacts/screenshots/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { ADMIN_TOKEN, DIR, HUB, PEOPLE, startDashboardWorld, type DashboardWorld } from './dashboard-world.ts';
import { launchChromium, newContext, signInWithIdp, until, screenshotsDir } from './browser-kit.ts';
import { recordDesiredChange } from '../../agent/outbox.ts';
import { collect } from '../../agent/store/store.ts';
import { graphCallsByHour } from '../../scim-server/ops/hourly-counts.ts';
import { sharedStoreElseMemory } from '../suite-stores.ts';

const CONTRACTOR = SANDBOX.employees[2];
const FRANK = SANDBOX.employees[1];
const DAN = SANDBOX.employees[3];

// On PostgreSQL (any replica serves the dashboard), or the memory store when the run has no PostgreSQL (test/suite-stores.ts).
for (const kind of await sharedStoreElseMemory()) {
  describe(`dashboard in a browser (${kind.kind})`, { timeout: 240_000, skip: kind.skip }, () => {
    let shots = '';
    let world: DashboardWorld;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    /** Console errors and uncaught exceptions on the dashboard's own pages (the IdP's are not ours). */
    const errors: string[] = [];

    const shot = (name: string) => page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
    const watch = (p: Page) => {
      p.on('console', (m) => { if (m.type() === 'error' && p.url().startsWith(world.url)) errors.push(`${p.url()}: ${m.text()}`); });
      p.on('pageerror', (e) => { if (p.url().startsWith(world.url)) errors.push(`${p.url()}: ${e.message}`); });
    };

    before(async () => {
      shots = screenshotsDir();
      world = await startDashboardWorld(kind);
      browser = await launchChromium();
      // The provider's dev login page imports a web font; there is no internet in CI.
      context = await newContext(browser);
      page = await context.newPage();
      watch(page);
    });

    after(async () => {
      await browser?.close();
      await world?.close();
    });

    test('sign in through the OIDC provider (login + consent pages, code flow with PKCE)', async () => {
      await page.goto(`${world.url}/ui/hubs/${HUB}`);
      assert.match(page.url(), /\/ui\/sign-in\?next=/);
      await shot('01-sign-in');
      await signInWithIdp(page, world.idp.issuer, PEOPLE.owner.login);
      await page.waitForURL(`${world.url}/ui/hubs/${HUB}`);
      await page.getByText(PEOPLE.owner.email).waitFor();
      const cookies = await context.cookies(world.url);
      const session = cookies.find((c) => c.name === 'hubwarden-session');
      assert.ok(session, 'a session cookie');
      assert.equal(session.httpOnly, true);
      assert.equal(session.sameSite, 'Lax');
    });

    test('business hubs: check for updates runs and the card shows the imported members', async () => {
      await page.goto(`${world.url}/ui/`);
      const card = page.locator(`[data-hub="${HUB}"]`);
      await card.getByText('Acme on Meta (sandbox)').waitFor();
      await card.getByRole('button', { name: 'Check for updates' }).click();
      await card.getByText('Check for updates finished.').waitFor({ timeout: 20_000 });
      await card.locator('[data-count="unmatched"]').getByText('1 unmatched').waitFor();
      assert.equal(await card.locator('[data-count="onboarded"]').textContent(), '5 onboarded');
      assert.equal((await world.store.get('appImports', HUB, HUB))?.complete, true);
      const check = (await world.agent.api.tasks({ hubId: HUB, kind: 'check-for-updates' })).items[0];
      assert.deepEqual(check.trigger, { type: 'dashboard', actor: PEOPLE.owner.email, detail: 'oidc' });
      await shot('02-business-hubs');
    });

    test('members: match the unmatched contractor to a directory user; the agent grants the team tasks in Meta', async () => {
      await page.goto(`${world.url}/ui/hubs/${HUB}`);
      await page.getByRole('tab', { name: /Unmatched/ }).click();
      const row = page.locator(`tr[data-member="${CONTRACTOR}"]`);
      await row.getByText('contractor@agency.example').waitFor();
      await shot('03-members-unmatched');
      await row.getByRole('button', { name: 'Match contractor@agency.example' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByText(/hubwarden manages it from the chosen directory user's groups/).waitFor();
      await dialog.getByLabel('Search the directory').fill('casey');
      await dialog.getByLabel(/casey@sandbox.example/).check();
      await shot('04-match-dialog');
      await dialog.getByRole('button', { name: 'Match' }).click();
      await row.waitFor({ state: 'detached' });
      await page.locator('[data-count="unmatched"]').getByText('(0)').waitFor();

      const match = await world.store.get('memberMatches', HUB, CONTRACTOR);
      assert.equal(match?.manual, true);
      assert.equal(match?.directoryUserId, DIR.casey);
      // The reconcile pass the match asked for gives the contractor the advertisers' tasks in Meta.
      await until('act_111 tasks for the contractor', () => world.emulator.control.state().assignments.find((a) => a.assetId === 'act_111' && a.userId === CONTRACTOR && a.tasks.includes('ADVERTISE')));
      await page.getByRole('tab', { name: /Onboarded/ }).click();
      await page.locator(`tr[data-member="${CONTRACTOR}"]`).getByText('Meta Advertisers').waitFor();
    });

    test('members: exempt a member with a reason and an end date', async () => {
      const row = page.locator(`tr[data-member="${DAN}"]`);
      await row.getByRole('button', { name: 'Exempt dan.designer@sandbox.example' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByText(/never remove them while the exemption lasts/).waitFor();
      await dialog.getByLabel('Reason (who asked and why)').fill('brand designer managed by the agency');
      await dialog.getByLabel('Until (optional)').fill('2027-06-30');
      await dialog.getByRole('button', { name: 'Exempt' }).click();
      await row.waitFor({ state: 'detached' });
      await page.getByRole('tab', { name: /Exempted/ }).click();
      await page.locator(`tr[data-member="${DAN}"]`).getByText('brand designer managed by the agency').waitFor();
      const exemption = await world.store.get('exemptions', HUB, DAN);
      assert.equal(exemption?.reason, 'brand designer managed by the agency');
      assert.equal(exemption?.by, PEOPLE.owner.email);
      assert.match(exemption?.until ?? '', /^2027-06-30/);
      await shot('05-members-exempted');
      // The agency's people are guests whose seats live in the agency's business: no actions here.
      await page.getByRole('tab', { name: /Guest/ }).click();
      const partnerRow = page.locator(`tr[data-member="partner:${SANDBOX.partner.businessId}:${SANDBOX.partner.users[0]}"]`);
      await partnerRow.getByText("partner's person (see Partners)").waitFor();
      assert.equal(await partnerRow.getByRole('button').count(), 0);
    });

    test('keyboard: skip link, arrow keys between status tabs, a dialog opened with Enter and cancelled with Esc changes nothing', async () => {
      await page.goto(`${world.url}/ui/hubs/${HUB}`);
      await page.locator('#members-table tbody tr[data-member]').first().waitFor();
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
      await page.getByRole('tab', { name: /Onboarded/ }).focus();
      await page.keyboard.press('ArrowRight');
      assert.equal(await page.getByRole('tab', { name: /Invited/ }).getAttribute('aria-selected'), 'true');
      assert.match(await page.evaluate(() => document.activeElement?.textContent ?? ''), /^Invited/);
      await page.keyboard.press('ArrowLeft');
      // Sorting is done by the server: Email descending puts the last address first.
      const emails = () => page.locator('#members-table tbody tr[data-member] td:first-child').allTextContents();
      await page.locator('#members-table tbody tr[data-member]').nth(3).waitFor();
      const ascending = await emails();
      await page.getByRole('button', { name: 'Email' }).click();
      await page.locator('th[aria-sort="descending"]').waitFor();
      await page.waitForFunction((first) => document.querySelector('#members-table tbody tr[data-member] td')?.textContent !== first, ascending[0]);
      assert.deepEqual(await emails(), [...ascending].reverse());
      const row = page.locator(`tr[data-member="${CONTRACTOR}"]`);
      const remove = row.getByRole('button', { name: 'Remove contractor@agency.example' });
      await remove.focus();
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog');
      await dialog.getByText(/loses their seat in Acme on Meta \(sandbox\)/).waitFor();
      assert.equal(await page.evaluate(() => !!document.activeElement?.closest('dialog')), true, 'focus moved into the dialog');
      const tasksBefore = (await world.agent.api.tasks({ hubId: HUB, kind: 'remove-member' })).total;
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      assert.equal((await world.agent.api.tasks({ hubId: HUB, kind: 'remove-member' })).total, tasksBefore, 'cancelled: no removal queued');
      assert.ok(world.emulator.control.state().users.some((u) => u.id === CONTRACTOR));
    });

    test('automation: a deprovisioning report is applied for one member and the seat goes in Meta', async () => {
      await world.deactivate(DIR.frank);
      await until('a report naming Frank', async () => (await world.agent.api.reports(HUB)).find((r) => r.items.some((i) => i.memberId === FRANK)));
      assert.ok(world.emulator.control.state().users.some((u) => u.id === FRANK), 'not removed before the report is applied');
      await page.goto(`${world.url}/ui/automation`);
      const item = page.locator(`li[data-item="${FRANK}"]`);
      await item.getByText('frank.ledger@sandbox.example').waitFor();
      await page.locator('#tasks tbody tr').first().waitFor();
      await shot('06-automation');
      await item.getByRole('button', { name: 'Apply' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByText(new RegExp(`is carried out in the app of hub ${HUB} now`)).waitFor();
      await dialog.getByRole('button', { name: 'Apply' }).click();
      await page.getByText('Report applied; the removals are queued.').waitFor();
      await until('Frank removed from the business in Meta', () => !world.emulator.control.state().users.some((u) => u.id === FRANK));
      const report = (await world.agent.api.reports(HUB)).find((r) => r.items.some((i) => i.memberId === FRANK))!;
      assert.ok(report.items.find((i) => i.memberId === FRANK)?.appliedAt);
      // The task list shows the removal, filterable by kind.
      await page.getByLabel('Kind').fill('remove-member');
      await page.getByLabel('Kind').press('Enter');
      const removal = (await world.agent.api.tasks({ hubId: HUB, kind: 'remove-member' })).items[0];
      await page.locator(`#tasks tbody tr[data-task="${removal.id}"]`).getByText('completed').waitFor();
      // The removal row can already be on the unfiltered page: wait for the filtered page itself.
      await page.waitForFunction(() => [...document.querySelectorAll('#tasks tbody tr[data-task]')]
        .every((r) => r.querySelector('td .muted')?.textContent === 'remove-member'));
      assert.equal(await page.locator('#tasks tbody tr[data-task]').count(), (await world.agent.api.tasks({ kind: 'remove-member' })).total);
      // Live: work started elsewhere (a schedule) appears without reloading the page.
      await page.getByLabel('Kind').fill('check-for-updates');
      await page.getByLabel('Kind').press('Enter');
      const scheduled = await world.agent.api.checkForUpdates(HUB, { type: 'schedule', detail: 'browser test' });
      await page.locator(`#tasks tbody tr[data-task="${scheduled.id}"]`).getByText('schedule').waitFor();
    });

    test('audit log: the owner\'s actions, filterable, with a CSV export', async () => {
      await page.goto(`${world.url}/ui/audit`);
      await page.locator('#audit tbody tr[data-seq]').first().waitFor();
      await page.getByLabel('Action').fill('member-matched');
      // The filter runs on the server after a short debounce: wait for the filtered page itself.
      await page.waitForFunction(() => {
        const rows = [...document.querySelectorAll('#audit tbody tr[data-seq]')];
        return rows.length > 0 && rows.every((r) => r.textContent?.includes('member-matched'));
      });
      await page.locator('#audit-csv[href*="action=member-matched"]').waitFor({ state: 'attached' });
      const row = page.locator('#audit tbody tr[data-seq]').filter({ hasText: 'member-matched' }).first();
      await row.getByText(`dashboard: ${PEOPLE.owner.email}`).waitFor();
      await shot('07-audit');
      const csv = await page.evaluate(async (href) => (await fetch(href)).text(), await page.locator('#audit-csv').getAttribute('href') as string);
      assert.match(csv.split('\r\n')[0], /^seq,at,hub,trigger,actor,action/);
      assert.ok(csv.split('\r\n').slice(1).filter(Boolean).every((l) => l.includes('member-matched')), csv);
      assert.ok(csv.includes(PEOPLE.owner.email));
    });

    test('assets, partners and settings (secrets masked) tabs', async () => {
      await page.goto(`${world.url}/ui/hubs/${HUB}?tab=assets`);
      await page.locator('[data-asset="act_111"]').getByText('contractor@agency.example').waitFor();
      await shot('08-assets');
      await page.goto(`${world.url}/ui/hubs/${HUB}?tab=partners`);
      await page.locator(`[data-partner="${SANDBOX.partner.businessId}"]`).getByText('act_111: ADVERTISE, ANALYZE').first().waitFor();
      await shot('09-partners');
      await page.goto(`${world.url}/ui/hubs/${HUB}?tab=settings`);
      await page.getByRole('cell', { name: 'Meta Advertisers' }).waitFor();
      const text = await page.locator('pre.settings').textContent();
      assert.match(text ?? '', /\[secret env:PARTNER_TOKEN\]/);
      assert.doesNotMatch(await page.content(), new RegExp(SANDBOX.partner.token));
      await shot('10-settings');
    });

    test('members: end an exemption; the member leaves the Exempted tab and the audit log names the owner', async () => {
      await page.goto(`${world.url}/ui/hubs/${HUB}`);
      await page.getByRole('tab', { name: /Exempted/ }).click();
      const row = page.locator(`tr[data-member="${DAN}"]`);
      await row.getByRole('button', { name: 'End the exemption of dan.designer@sandbox.example' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByText(/manages dan.designer@sandbox.example's seat .* again from the directory/).waitFor();
      await dialog.getByRole('button', { name: 'End exemption' }).click();
      await row.waitFor({ state: 'detached' });
      await page.locator('[data-count="exempted"]').getByText('(0)').waitFor();
      assert.equal(await world.store.get('exemptions', HUB, DAN), undefined);
      const ended = (await collect(world.store.list('audit', HUB))).filter((e) => e.action === 'member-unexempted' && e.subject?.memberId === DAN);
      assert.equal(ended.length, 1);
      assert.match(ended[0]!.why, new RegExp(`^${PEOPLE.owner.email.replace(/[.]/g, '\\.')} ended the exemption`));
    });

    test('narrow screen: members, hubs and automation fit 390 px', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`${world.url}/ui/hubs/${HUB}`);
      await page.locator(`tr[data-member="${CONTRACTOR}"]`).waitFor();
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `no horizontal scrolling at 390 px (page is ${width} px wide)`);
      await shot('11-members-narrow');
      for (const [path, ready, name] of [['/ui/', `[data-hub="${HUB}"]`, '12-hubs-narrow'], ['/ui/automation', '#tasks tbody tr[data-task]', '13-automation-narrow']] as const) {
        await page.goto(`${world.url}${path}`);
        await page.locator(ready).first().waitFor();
        const w = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(w <= 390, `${path}: no horizontal scrolling at 390 px (page is ${w} px wide)`);
        await shot(name);
      }
      await page.setViewportSize({ width: 1280, height: 900 });
    });

    test('an IdP user outside the allowed groups whom no directory knows gets an empty My access; an admin token signs in', async () => {
      const other = await newContext(browser);
      const p = await other.newPage();
      watch(p);
      await p.goto(`${world.url}/ui/`);
      await signInWithIdp(p, world.idp.issuer, PEOPLE.outsider.login);
      await p.waitForURL(`${world.url}/ui/my-access`);
      await p.getByText(`No business hub's directory has ${PEOPLE.outsider.email}`).waitFor();
      assert.deepEqual(await p.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents(), ['My access']);
      assert.equal((await p.request.get(`${world.url}/ui/hubs/${HUB}`)).status(), 403, 'no hub role: no hub page');

      await p.getByRole('button', { name: 'Sign out' }).click();
      await p.getByLabel('Admin token').fill(ADMIN_TOKEN);
      await p.getByRole('button', { name: 'Sign in with token' }).click();
      await p.locator(`[data-hub="${HUB}"]`).waitFor();
      assert.match(await p.locator('header .who span').textContent() ?? '', /^admin-token:[0-9a-f]{6}$/);
      await other.close();
    });

    test('charts: standing bar, invite funnel and the automation activity are drawn by the server with the right numbers', async () => {
      // Two new advertisers: hubwarden invites both; one accepts, the other's invite expires.
      const newcomers = [['dir-chart-one', 'chart.one@sandbox.example'], ['dir-chart-two', 'chart.two@sandbox.example']] as const;
      const at = new Date().toISOString();
      await world.store.transact(async (tx) => {
        for (const [id, email] of newcomers) {
          tx.put('directoryUsers', HUB, id, { hubId: HUB, id, userName: email, active: true, displayName: id, email, emails: [email], scim: { userName: email }, created: at, lastModified: at, version: 1 });
        }
        const g = (await tx.get('directoryGroups', HUB, 'grp-advertisers'))!;
        tx.put('directoryGroups', HUB, g.id, { ...g, members: [...g.members, ...newcomers.map(([value]) => ({ value }))], version: g.version + 1 });
        recordDesiredChange(tx, { hubId: HUB, trigger: { type: 'scim', idp: 'okta', actor: 'okta-provisioning' }, changes: [
          ...newcomers.map(([userId]) => ({ kind: 'user-created' as const, userId })),
          { kind: 'group-members', groupId: g.id, displayName: g.displayName, added: newcomers.map(([id]) => id), removed: [] },
        ] });
      });
      const pendingInvite = (email: string) => until(`an invite for ${email}`, () => world.emulator.control.state().invites.find((i) => i.email === email && i.status === 'PENDING'));
      const accepted = await pendingInvite(newcomers[0][1]);
      const expired = await pendingInvite(newcomers[1][1]);
      const checkNow = async (detail: string) => {
        const task = await world.agent.api.checkForUpdates(HUB, { type: 'schedule', detail });
        await until(`the check for updates (${detail}) to finish`, async () => (await world.agent.api.task(task.id))?.status === 'completed', 20_000);
        return task;
      };
      // A check reads Meta's ids of the two invites (days pass before an invite expires).
      await checkNow('browser test: the invites');
      world.emulator.control.acceptInvite(accepted.id);
      world.emulator.control.expireInvite(expired.id);
      const check = await checkNow('browser test: accepted and expired');
      // The expired invite is re-sent once after that check: let the agent finish before the page is
      // drawn, so the page and the audit records read below see the same invites.
      await world.agent.idle();

      // Hub page: the standing bar has one segment per standing, with the members API's counts.
      await page.goto(`${world.url}/ui/hubs/${HUB}`);
      const standing = page.locator(`svg#standing-${HUB}`);
      await standing.waitFor();
      const statuses = ['onboarded', 'invited', 'lapsed', 'unmatched', 'guest', 'exempted'] as const;
      const expected = Object.fromEntries(await Promise.all(statuses.map(async (s) => [s, (await world.agent.api.members(HUB, { status: s, limit: 1 })).total] as const)));
      const drawn = Object.fromEntries(await standing.locator('[data-segment]').evaluateAll((nodes) => nodes.map((n) => [n.getAttribute('data-segment'), Number(n.getAttribute('data-value'))])));
      assert.deepEqual(drawn, Object.fromEntries(statuses.filter((s) => expected[s] > 0).map((s) => [s, expected[s]])));
      const total = statuses.reduce((n, s) => n + expected[s], 0);
      assert.equal(await standing.getAttribute('aria-labelledby'), `standing-${HUB}-title standing-${HUB}-desc`);
      assert.equal(await standing.locator('title').first().textContent(), `Standing of Acme on Meta (sandbox): ${total} people`);
      const onboardedWidth = Number(await standing.locator('[data-segment="onboarded"] rect').getAttribute('width'));
      assert.ok(Math.abs(onboardedWidth - (expected.onboarded / total) * 640) < 0.2, `onboarded segment ${onboardedWidth} of 640 for ${expected.onboarded}/${total}`);

      // The invite funnel: counted here from the stored audit records, not through the page's code.
      const audit = await collect(world.store.list('audit', HUB));
      const count = (keep: (e: (typeof audit)[number]) => boolean) => audit.filter(keep).length;
      const funnel = {
        sent: count((e) => (e.action === 'invite' || e.action === 'reinvite') && e.outcome === 'ok'),
        accepted: count((e) => e.action === 'invite-accepted'),
        expired: count((e) => e.action === 'invite-expired' && e.detail?.sentByHubwarden === true),
      };
      assert.ok(funnel.sent >= 2 && funnel.accepted >= 1 && funnel.expired >= 1, JSON.stringify(funnel));
      const bars = Object.fromEntries(await page.locator(`svg#funnel-${HUB} [data-bar]`).evaluateAll((nodes) => nodes.map((n) => [n.getAttribute('data-bar'), Number(n.getAttribute('data-value'))])));
      assert.deepEqual(bars, funnel);
      assert.equal(await page.locator(`svg#funnel-${HUB} desc`).textContent(), `${funnel.sent} invites sent by hubwarden, ${funnel.accepted} accepted, ${funnel.expired} expired`);
      await page.locator('[data-chart="funnel"]').scrollIntoViewIfNeeded();
      await shot('14-charts-hub');

      // Hubs page: each card shows the same bar as an image (server-drawn SVG).
      await page.goto(`${world.url}/ui/`);
      const img = page.locator(`[data-hub="${HUB}"] img.standing`);
      await img.waitFor();
      await page.waitForFunction((sel) => (document.querySelector(sel) as HTMLImageElement | null)?.naturalHeight === 24, `[data-hub="${HUB}"] img.standing`);
      assert.equal(await img.getAttribute('alt'), `Standing of Acme on Meta (sandbox): ${statuses.map((s) => `${expected[s]} ${s}`).join(', ')}`);
      const svgImage = await page.request.get(await img.evaluate((n) => (n as HTMLImageElement).src));
      assert.equal(svgImage.headers()['content-type'], 'image/svg+xml; charset=utf-8');
      assert.match(await svgImage.text(), new RegExp(`data-segment="onboarded" data-value="${expected.onboarded}"`));
      await shot('15-charts-hubs');

      // Automation: finished tasks per hour by outcome, Graph calls by hour, the latest durations.
      const response = await page.goto(`${world.url}/ui/automation`);
      assert.match(response?.headers()['content-security-policy'] ?? '', /^default-src 'self'; img-src 'self' data:; object-src 'none'/, 'the strict CSP is unchanged');
      const perHour = page.locator('svg#tasks-per-hour');
      await perHour.waitFor();
      const drawnTasks = await perHour.locator('rect[data-series]').evaluateAll((nodes) => nodes.reduce<Record<string, number>>((sum, n) => {
        const key = n.getAttribute('data-series')!;
        sum[key] = (sum[key] ?? 0) + Number(n.getAttribute('data-value'));
        return sum;
      }, {}));
      const dayAgo = Date.now() - 23 * 3_600_000 - (Date.now() % 3_600_000);
      const finished = async (status: 'completed' | 'failed' | 'cancelled') => (await world.agent.api.tasks({ status, limit: 500 })).items.filter((t) => Date.parse(t.completedAt ?? t.updatedAt) >= dayAgo).length;
      const counted = await Promise.all((['completed', 'failed', 'cancelled'] as const).map(async (s) => [s, await finished(s)] as const));
      const expectedTasks = Object.fromEntries(counted.filter(([, n]) => Number(n) > 0));
      assert.ok(Number(expectedTasks.completed) > 5, JSON.stringify(expectedTasks));
      assert.deepEqual(drawnTasks, expectedTasks);
      const graphTotal = graphCallsByHour.recent().reduce((n, b) => n + (b.values.calls ?? 0) + (b.values.throttled ?? 0), 0);
      const drawnCalls = await page.locator('svg#graph-calls rect[data-series]').evaluateAll((nodes) => nodes.reduce((n, r) => n + Number(r.getAttribute('data-value')), 0));
      assert.ok(graphTotal > 0, 'the checks for updates called the Graph API');
      assert.ok(drawnCalls <= graphTotal && drawnCalls >= graphTotal - 50, `drawn ${drawnCalls}, counted ${graphTotal} (calls made since the page was drawn are not on it)`);
      const durations = await page.locator('svg#task-durations [data-bar]').evaluateAll((nodes) => nodes.map((n) => [n.getAttribute('data-bar'), Number(n.getAttribute('data-value'))]));
      assert.ok(durations.length >= 5, 'the latest finished tasks');
      for (const [id, ms] of durations) {
        const t = (await world.agent.api.task(String(id)))!;
        assert.equal(ms, Date.parse(t.completedAt!) - Date.parse(t.startedAt!), `duration of ${id}`);
      }
      const row = page.locator(`#tasks tbody tr[data-task="${check.id}"] td[data-label="Duration"]`);
      await row.waitFor();
      assert.match(await row.textContent() ?? '', /^\d+(\.\d)? (ms|s)$|^\d+ min \d{2} s$/);
      await shot('16-charts-automation');
    });

    test('no console errors on any dashboard page', () => {
      assert.deepEqual(errors, []);
    });
  });
}
