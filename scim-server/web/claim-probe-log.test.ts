/**
 * A signed-in person posting My access's Claim with an offer id that is not theirs (another
 * person's, or made up) is answered 404 and nothing is claimed: the id names no offer of their
 * email, so the agent has no hub to audit it in. That probe was then written nowhere, unlike the
 * dashboard's other failed access-control decisions (forbidden-log.ts, OWASP ASVS 4.0.3 V7.2.2):
 * it is now logged once a minute per person, the rest counted into the next line.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { defineAccessIndexes, directoryGroup, directoryUser, seedDirectory } from '../../agent/access/directory-fixtures.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { SessionStore } from './session-store.ts';
import { CLAIM_HUB, ClaimingAgent, claimConfig, offerBrand } from './claim-fixtures.ts';
import { serveDashboard, signedIn } from './web-fixtures.ts';

const HUB = CLAIM_HUB;
const { config, hubs } = claimConfig('claim-probe-log');

const store = new MemoryStore();
defineAccessIndexes(store);
await store.open();
await seedDirectory(store, [directoryUser(HUB, 'u-jane', ['jane@example.com']), directoryUser(HUB, 'u-raj', ['raj@example.com'])], [directoryGroup(HUB, 'g-brand', 'Brand', ['u-jane', 'u-raj'])]);
const janes = await store.transact((tx) => offerBrand(tx, 'u-jane', 'jane@example.com'));

type Line = { message: string; meta?: Record<string, unknown> };
const lines: Line[] = [];
const log = {
  info(message: string, meta?: object) { lines.push({ message, meta: meta as Record<string, unknown> }); },
  warn(message: string, meta?: object) { lines.push({ message, meta: meta as Record<string, unknown> }); },
  error() {},
};
const sessions = new SessionStore(new MemoryStore());
const server = await serveDashboard({ config, agent: new ClaimingAgent(store, hubs), store, sessions, log });
after(() => server.close());

test('a claim of an offer id that is not the person\'s is refused 404, nothing claimed, and logged once a minute with who and the path', async () => {
  const raj = await signedIn(sessions, 'raj@example.com');
  const claim = (offerId: string) => fetch(`${server.url}/ui/my-access/offers/${encodeURIComponent(offerId)}/claim`, {
    method: 'POST', redirect: 'manual', headers: { cookie: raj.cookie, origin: server.url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: raj.csrf }),
  });
  assert.equal((await claim(janes)).status, 404, "Jane's offer");
  assert.equal((await claim('offer-0000000000')).status, 404, 'a made-up id');
  assert.equal((await store.get('offers', HUB, janes))!.status, 'offered', 'nothing claimed');
  const refused = lines.filter((l) => /refused a claim/.test(l.message));
  assert.deepEqual(refused.map((l) => l.meta), [{ actor: 'raj@example.com', path: `/ui/my-access/offers/${janes}/claim`, status: '404' }],
    'the second probe within the minute is counted into the next line, not logged');
});
