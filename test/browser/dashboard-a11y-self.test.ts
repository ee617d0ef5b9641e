/**
 * The dashboard pages a person signed in with their organisation account reaches, read as a
 * screen-reader or keyboard user (WCAG 2.2 AA, the checks of a11y-checks.ts): My access holding a
 * seat, a pending invite and an offer to claim, a claim's outcome and a refused claim announced,
 * the "Not yours to see" page (403); and, for a global administrator, the Match dialog when the
 * directory search finds no one and the approve and reject dialogs of a halted plan, each with its
 * error announced and tied to the field (SC 3.3.1, ARIA21
 * https://www.w3.org/WAI/WCAG22/Techniques/aria/ARIA21). Memory store only.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { recordDesiredChange } from '../../agent/outbox.ts';
import { offerIdOf } from '../../agent/offers/offer-record.ts';
import { launchChromium, until } from './browser-kit.ts';
import { errorNotTied, readDialog, readPage } from './a11y-checks.ts';
import { HUB_A, HUB_B, PEOPLE, startHubRolesWorld, type HubRolesWorld, signInPage } from './hub-roles-world.ts';

const EVE_OFFER = offerIdOf(HUB_A, 'dir-eve', 'Brand Studio');
const WALT_OFFER = offerIdOf(HUB_A, 'dir-walt', 'Brand Studio');
const CONTRACTOR = '1000000000000105';
const TRIGGER = { type: 'scim' as const, idp: 'okta' as const, actor: 'okta-provisioning' };

describe('My access, the refusal page and the decision dialogs, for screen-reader and keyboard users', { timeout: 240_000 }, () => {
  let world: HubRolesWorld;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  async function signedIn(who: { login: string }): Promise<Page> {
    return (await signInPage(world, browser, who, { contexts, pageErrors })).page;
  }

  before(async () => {
    world = await startHubRolesWorld();
    const at = new Date().toISOString();
    // Eve holds a seat on hub A (Meta Advertisers); the IdP pushes her into Brand Studio there (an
    // offer to claim) and into Beta Staff on hub B (hubwarden invites her); each decision test puts in a halted plan on hub A.
    await world.store.transact(async (tx) => {
      const brand = (await tx.get('directoryGroups', HUB_A, 'grp-brand'))!;
      tx.put('directoryGroups', HUB_A, brand.id, { ...brand, members: [...brand.members, { value: 'dir-eve' }], version: brand.version + 1, lastModified: at });
      recordDesiredChange(tx, { hubId: HUB_A, trigger: TRIGGER, changes: [{ kind: 'group-members', groupId: brand.id, displayName: brand.displayName, added: ['dir-eve'], removed: [] }] });
      const email = PEOPLE.collaborator.email;
      tx.put('directoryUsers', HUB_B, 'b-eve', { hubId: HUB_B, id: 'b-eve', userName: email, active: true, displayName: 'b-eve', email, emails: [email], scim: { userName: email }, created: at, lastModified: at, version: 1 });
      const staff = (await tx.get('directoryGroups', HUB_B, 'b-staff'))!;
      tx.put('directoryGroups', HUB_B, staff.id, { ...staff, members: [...staff.members, { value: 'b-eve' }], version: staff.version + 1, lastModified: at });
      recordDesiredChange(tx, { hubId: HUB_B, trigger: TRIGGER, changes: [{ kind: 'user-created', userId: 'b-eve' }, { kind: 'group-members', groupId: staff.id, displayName: staff.displayName, added: ['b-eve'], removed: [] }] });
    });
    await world.agent.idle();
    await until('the invite of Eve in hub B\'s business', () => world.emulatorB.control.state().invites.find((i) => i.email.toLowerCase() === PEOPLE.collaborator.email));
    browser = await launchChromium();
  });

  after(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await world?.close();
  });

  test('My access with a seat, a pending invite and an offer to claim; the claim announced; a refused claim announced', async () => {
    const page = await signedIn(PEOPLE.collaborator);
    await page.waitForURL(`${world.url}/ui/my-access`);
    await page.locator(`section[data-hub="${HUB_A}"] tr[data-seat]`).waitFor();
    await page.locator(`section[data-hub="${HUB_B}"] li[data-invite]`).waitFor();
    const claim = page.locator(`tr[data-offer="${EVE_OFFER}"]`).getByRole('button', { name: /^Claim EMPLOYEE on Acme on Meta \(sandbox\)/ });
    await claim.waitFor();
    assert.deepEqual(await readPage(page, /^My access · hubwarden$/), []);

    await claim.click();
    await page.getByRole('status').getByText(/^Claimed: hubwarden is inviting you now/).waitFor();
    assert.deepEqual(await readPage(page, /^My access · hubwarden$/), []);

    // Walt's offer is not hers: a form posts it as a Claim button does (with the page's CSRF token).
    await page.evaluate(([action]) => {
      const form = document.body.appendChild(document.createElement('form'));
      form.method = 'post';
      form.action = action!;
      const csrf = form.appendChild(document.createElement('input'));
      csrf.type = 'hidden';
      csrf.name = '_csrf';
      csrf.value = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')!.content;
      form.submit();
    }, [`${world.url}/ui/my-access/offers/${WALT_OFFER}/claim`]);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.equal(await alert.textContent(), 'That offer is not one of yours (or was withdrawn).');
    assert.deepEqual(await readPage(page, /^My access · hubwarden$/), []);
  });

  test('"Not yours to see": the 403 page names itself and leads to My access', async () => {
    const page = await signedIn(PEOPLE.collaborator);
    const res = await page.goto(`${world.url}/ui/automation`);
    assert.equal(res?.status(), 403);
    await page.getByRole('link', { name: 'My access' }).first().waitFor();
    assert.deepEqual(await readPage(page, /^Not yours to see · hubwarden$/), []);
  });

  test('the Match dialog: a search that finds no one shows no empty list, and Match pressed says so tied to the search field', async () => {
    const page = await signedIn(PEOPLE.admin);
    await page.goto(`${world.url}/ui/hubs/${HUB_A}`);
    await page.getByRole('tab', { name: /Unmatched/ }).click();
    await page.locator(`tr[data-member="${CONTRACTOR}"]`).getByRole('button', { name: 'Match contractor@agency.example' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Search the directory').fill('nobody-by-this-name');
    // What the search found is a status message, said without moving focus (SC 4.1.3).
    await dialog.getByRole('status').getByText('No directory user matches.', { exact: true }).waitFor();
    assert.deepEqual(await readDialog(page), []);
    await dialog.getByRole('button', { name: 'Match', exact: true }).click();
    const none = 'No directory user matches: search for another name or email.';
    await dialog.getByRole('alert').getByText(none).waitFor();
    assert.deepEqual(await errorNotTied(page, 'match-search', none), []);
    assert.deepEqual(await readDialog(page), []);

    // The next search that finds people shows them again; one that finds no one hides the list again.
    const users = dialog.getByRole('list', { name: 'Directory users' });
    await dialog.getByLabel('Search the directory').fill('brand');
    await dialog.getByRole('status').getByText('2 directory users match.', { exact: true }).waitFor();
    await users.waitFor({ state: 'visible' });
    assert.deepEqual(await users.getByRole('radio').evaluateAll((rs) => rs.map((r) => (r as HTMLInputElement).value).sort()), ['dir-cleo', 'dir-walt']);
    await dialog.getByLabel('Search the directory').fill('nobody-by-this-name-either');
    await dialog.getByRole('status').getByText('No directory user matches.', { exact: true }).waitFor();
    await users.waitFor({ state: 'hidden' });
    assert.equal(await users.count(), 0, 'no empty list in the accessibility tree');
    assert.deepEqual(await readDialog(page), []);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  for (const [decision, label, confirm] of [['approve', 'Approve', 'Approve and run'], ['reject', 'Reject', 'Reject']] as const) {
    test(`the ${decision} dialog of a halted plan: named fields and buttons, a missing reason tied to its field`, async () => {
      // Hub A's halted plan, put in once the agent is idle: a removal pass re-plans the hub, and a
      // pending approval none of whose changes it plans (this one names none) is withdrawn
      // (withdraw-approval.ts); the pushes above and the claim start such passes.
      await world.agent.idle();
      const at = new Date().toISOString();
      await world.store.transact((tx) => {
        tx.put('approvals', HUB_A, 'approval-a', { id: 'approval-a', hubId: HUB_A, createdAt: at, status: 'pending', explanation: 'would remove 4 of 6 members', operations: [{ kind: 'remove-member', summary: 'remove frank.ledger@sandbox.example' }], taskId: 'task-halted-a', planned: [] });
      });
      const page = await signedIn(PEOPLE.admin);
      await page.goto(`${world.url}/ui/automation`);
      await page.getByRole('button', { name: `${label} the halted plan on ${HUB_A}` }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('textbox', { name: decision === 'approve' ? 'Reason (who asked and why)' : 'Reason (optional)' }).waitFor();
      assert.deepEqual(await readDialog(page), []);
      if (decision === 'approve') {
        // Left empty: the dialog's own error, not the browser's bubble, which fades and ties nothing to the field.
        await dialog.getByRole('button', { name: confirm, exact: true }).click();
        await dialog.getByRole('alert').getByText('Give a reason.').waitFor();
        assert.deepEqual(await errorNotTied(page, 'decision-reason', 'Give a reason.'), []);
        assert.deepEqual(await readDialog(page), []);
      }
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
      assert.equal((await world.store.get('approvals', HUB_A, 'approval-a'))?.status, 'pending', 'nothing decided');
    });
  }

  test('no script error on any page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
