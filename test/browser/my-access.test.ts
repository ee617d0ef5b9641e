/**
 * My access and claiming in a real browser: Cleo and Walt are in Brand Studio, a team of the
 * `brand` collection, so the agent offered them a seat and sent nothing to Meta. Cleo claims on
 * My access (a form POST with the session's CSRF token) and Meta gets exactly one invite, also
 * when she claims again; she cannot claim Walt's offer. Walt leaves the group before claiming:
 * his offer is withdrawn and Meta never hears of him.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { offerIdOf } from '../../agent/offers/offer-record.ts';
import { collect } from '../../agent/store/store.ts';
import { launchChromium, sessionHttp, until, type SessionHttp, screenshotsDir } from './browser-kit.ts';
import { callsNaming, HUB_A, PEOPLE, startHubRolesWorld, type HubRolesWorld, signInPage } from './hub-roles-world.ts';
import { sharedStoreElseMemory } from '../suite-stores.ts';

const CLEO_OFFER = offerIdOf(HUB_A, 'dir-cleo', 'Brand Studio');
const WALT_OFFER = offerIdOf(HUB_A, 'dir-walt', 'Brand Studio');

// On PostgreSQL (any replica serves the dashboard), or the memory store when the run has no PostgreSQL (test/suite-stores.ts).
for (const kind of await sharedStoreElseMemory()) {
  describe(`My access and claiming an offer (${kind.kind})`, { timeout: 240_000, skip: kind.skip }, () => {
    let shots = '';
    let world: HubRolesWorld;
    let browser: Browser;
    const contexts: BrowserContext[] = [];
    const pageErrors: string[] = [];

    async function signedIn(who: { login: string }): Promise<{ page: Page; http: SessionHttp }> {
      const { page, context } = await signInPage(world, browser, who, { contexts, pageErrors, landing: '/ui/my-access' });
      return { page, http: await sessionHttp(context, world.url) };
    }
    const invitesOf = (email: string) => world.emulatorA.control.state().invites.filter((i) => i.email.toLowerCase() === email);
    const inviteCalls = (email: string) => callsNaming(world.emulatorA, email).filter((c) => c.method === 'POST' && /\/business_users$/.test(c.path));

    before(async () => {
      shots = screenshotsDir();
      world = await startHubRolesWorld(kind);
      browser = await launchChromium();
    });

    after(async () => {
      for (const c of contexts) await c.close();
      await browser?.close();
      await world?.close();
    });

    test('membership in a collection team makes offers, and nothing reaches Meta before a claim', async () => {
      for (const [email, id] of [[PEOPLE.claimer.email, CLEO_OFFER], [PEOPLE.leaver.email, WALT_OFFER]] as const) {
        const offer = await world.store.get('offers', HUB_A, id);
        assert.equal(offer?.status, 'offered', email);
        assert.equal(offer?.collection, 'brand');
        assert.deepEqual(callsNaming(world.emulatorA, email), [], `no Graph call names ${email}`);
      }
    });

    test('a person claims their offer on My access; the invite reaches Meta exactly once, also after claiming twice', async () => {
      const { page, http } = await signedIn(PEOPLE.claimer);
      const hub = page.locator(`section[data-hub="${HUB_A}"]`);
      const row = hub.locator(`tr[data-offer="${CLEO_OFFER}"]`);
      await row.getByText('Brand studio (collection)').waitFor();
      await row.getByText(/act_112.*ADVERTISE, ANALYZE/).waitFor();
      assert.match(await row.locator('td[data-label="Expires"]').textContent() ?? '', /^\d{4}-\d{2}-\d{2}$/);
      await page.screenshot({ path: `${shots}/23-my-access-offer.png`, fullPage: true });

      // She may claim only her own offers: Walt's offer id is not found for her, and nothing is sent.
      const stranger = await http.post(`/ui/my-access/offers/${WALT_OFFER}/claim`, {}, true);
      assert.equal(stranger.status, 404);
      assert.equal((await world.store.get('offers', HUB_A, WALT_OFFER))?.status, 'offered');

      await row.getByRole('button', { name: /^Claim EMPLOYEE on Acme on Meta \(sandbox\)/ }).click();
      await page.getByRole('status').getByText(/Claimed: hubwarden is inviting you now/).waitFor();
      const invite = await until('the invite for Cleo in Meta', () => invitesOf(PEOPLE.claimer.email).find((i) => i.status === 'PENDING'));
      assert.equal(invite.role, 'EMPLOYEE');

      const again = await http.post(`/ui/my-access/offers/${CLEO_OFFER}/claim`, {}, true);
      assert.equal(again.status, 303, 'claiming again is accepted');
      await world.agent.idle();
      await new Promise((r) => setTimeout(r, 1_500)); // past the settle window: anything queued would have run
      // A check for updates reads the invite back from Meta (its expiry) and re-plans the whole hub.
      const check = await world.agent.api.checkForUpdates(HUB_A, { type: 'schedule', detail: 'browser test' });
      await until('the check for updates', async () => (await world.agent.api.task(check.id))?.status === 'completed', 30_000);
      await world.agent.idle();
      assert.equal(invitesOf(PEOPLE.claimer.email).length, 1, 'one invite in Meta');
      assert.equal(inviteCalls(PEOPLE.claimer.email).length, 1, 'one invite call to the Graph API');

      const audit = (await collect(world.store.list('audit', HUB_A))).filter((e) => e.action === 'offer-claimed' && e.detail?.offerId === CLEO_OFFER);
      assert.equal(audit.length, 1, 'one claim audited (the second found it claimed)');
      assert.deepEqual(audit[0]!.trigger, { type: 'dashboard', actor: PEOPLE.claimer.email, detail: 'oidc' });
      assert.equal(audit[0]!.detail?.claimedBy, `dashboard:${PEOPLE.claimer.email}`);

      await page.reload();
      await row.locator('.badge.claimed').waitFor();
      await hub.locator('li[data-invite]').getByText(/EMPLOYEE for cleo\.brand@sandbox\.example, expires \d{4}-\d{2}-\d{2}/).waitFor();
      await page.screenshot({ path: `${shots}/24-my-access-claimed.png`, fullPage: true });
    });

    test('a withdrawn offer (the person left the group before claiming) sends nothing to Meta', async () => {
      await world.removeFromGroup(HUB_A, 'grp-brand', 'dir-walt');
      await world.agent.idle();
      assert.equal(await world.store.get('offers', HUB_A, WALT_OFFER), undefined, 'the offer is withdrawn');
      const withdrawn = (await collect(world.store.list('audit', HUB_A))).filter((e) => e.action === 'offer-withdrawn' && e.detail?.offerId === WALT_OFFER);
      assert.equal(withdrawn.length, 1);
      assert.match(withdrawn[0]!.why, /nothing was sent to the app/);

      const { page, http } = await signedIn(PEOPLE.leaver);
      const hub = page.locator(`section[data-hub="${HUB_A}"]`);
      await hub.locator('[data-field="standing"]').getByText('none').waitFor();
      assert.equal(await hub.locator('tr[data-offer]').count(), 0, 'no offer left on My access');
      const late = await http.post(`/ui/my-access/offers/${WALT_OFFER}/claim`, {}, true);
      assert.equal(late.status, 404, 'a withdrawn offer cannot be claimed');
      await world.agent.idle();
      assert.deepEqual(callsNaming(world.emulatorA, PEOPLE.leaver.email), [], 'no Graph call ever named Walt');
      assert.equal(invitesOf(PEOPLE.leaver.email).length, 0);
    });

    test('no script error on any dashboard page', () => {
      assert.deepEqual(pageErrors, []);
    });
  });
}
