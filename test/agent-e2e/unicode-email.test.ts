import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxFixture, SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { collect } from '../../agent/store/store.ts';
import { checkForUpdates, HUB, startHarness, type Harness } from './harness.ts';

/**
 * One address in two Unicode forms: the IdP sends "josé" decomposed ("e" + U+0301, as typed on
 * macOS or exported by some HR systems) and the app lists the seat precomposed (U+00E9). They are
 * one address (canonically equivalent, Unicode Standard Annex #15), so emails are compared under
 * NFC (emailKey). Compared code unit by code unit, the seat was unmatched and the person was
 * invited a second time.
 */
const PRECOMPOSED = 'jos\u00e9@example.com';
const DECOMPOSED = 'jose\u0301@example.com';
const SEAT = '900000000000777';

let h: Harness;
before(async () => {
  const fixture = sandboxFixture();
  fixture.businessUsers.push({ id: SEAT, businessId: SANDBOX.businessId, name: 'José Núñez', email: PRECOMPOSED, role: 'EMPLOYEE' });
  h = await startHarness({ emulator: { fixture } });
  await checkForUpdates(h);
});
after(() => h.close());

const invitePostsOfJose = () =>
  h.emulator.calls.filter((c) => c.method === 'POST' && c.path === `/${SANDBOX.businessId}/business_users` && String(c.body.email).normalize('NFC').toLowerCase() === PRECOMPOSED);

test('a directory email sent decomposed matches the seat the app lists precomposed: matched at a check for updates, never invited again', async () => {
  assert.notEqual(DECOMPOSED, PRECOMPOSED, 'two spellings');
  await h.directory.createUser('u-jose', DECOMPOSED);
  await h.directory.patchGroup('Meta Advertisers', ['u-jose']);
  await h.agent.idle();
  assert.deepEqual(invitePostsOfJose(), [], 'the person already holds the seat: no invite on the group push');
  await checkForUpdates(h);
  const member = (await collect(h.store.list('appMembers', HUB))).find((m) => m.email !== undefined && m.email.normalize('NFC').toLowerCase() === PRECOMPOSED);
  assert.ok(member, 'the seat is imported');
  const match = await h.store.get('memberMatches', HUB, member.id);
  assert.equal(match?.outcome, 'onboarded', `matched, not unmatched or a guest: ${JSON.stringify(match)}`);
  assert.equal(match?.directoryUserId, 'u-jose');
  await h.agent.idle();
  assert.deepEqual(invitePostsOfJose(), [], 'and no invite after the check either');
  const user = await h.store.get('directoryUsers', HUB, 'u-jose');
  assert.equal(user?.emails[0], DECOMPOSED, 'the directory email is stored as the IdP sent it');
});
