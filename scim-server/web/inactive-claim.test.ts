/**
 * docs/dashboard.md, "Hub roles and My access": a directory user the IdP deactivated or suspended,
 * or a leaver action offboarded (while the IdP may still sign them in), holds nothing. Their
 * offer is withdrawn by the next re-evaluation; a Claim pressed on My access before that runs,
 * with a session nothing ended, must not make the grant desired (a claimed offer outlives the
 * membership: it would seat them once active again without a claim). Over the dashboard's route
 * and the agent's real claim code (claim-fixtures.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defineAccessIndexes, directoryGroup, directoryUser, seedDirectory } from '../../agent/access/directory-fixtures.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import type { TestServer } from '../../test/admin/test-server.ts';
import { SessionStore } from './session-store.ts';
import { CLAIM_HUB, ClaimingAgent, claimConfig, offerBrand } from './claim-fixtures.ts';
import { serveDashboard, signedIn, type SignedIn } from './web-fixtures.ts';

const HUB = CLAIM_HUB;
const { config, hubs } = claimConfig('inactive-claim');
const AT = '2026-12-01T00:00:00.000Z';
const PEOPLE = {
  deactivated: { id: 'u-dee', email: 'dee@example.com', mark: { active: false } },
  suspended: { id: 'u-sue', email: 'sue@example.com', mark: { suspended: { at: AT, by: 'okta-event' } } },
  offboarded: { id: 'u-otto', email: 'otto@example.com', mark: { offboarded: { at: AT, by: 'api:admin' } } },
} as const;

describe('a person the IdP or a leaver action took out claims an offer still listed', () => {
  const store = new MemoryStore();
  defineAccessIndexes(store);
  const sessions = new SessionStore(new MemoryStore());
  let server: TestServer;
  const offers: Record<string, string> = {};

  const claim = (as: SignedIn, offerId: string) => fetch(`${server.url}/ui/my-access/offers/${encodeURIComponent(offerId)}/claim`, {
    method: 'POST', redirect: 'manual', headers: { cookie: as.cookie, origin: server.url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: as.csrf }),
  });

  before(async () => {
    await store.open();
    const people = Object.values(PEOPLE);
    await seedDirectory(store, people.map((p) => directoryUser(HUB, p.id, [p.email], p.mark)), [directoryGroup(HUB, 'g-brand', 'Brand', people.map((p) => p.id))]);
    await store.transact((tx) => { for (const p of people) offers[p.id] = offerBrand(tx, p.id, p.email); });
    server = await serveDashboard({ config, agent: new ClaimingAgent(store, hubs), store, sessions });
  });
  after(() => server.close());

  for (const [how, p] of Object.entries(PEOPLE)) {
    test(`${how}: refused (404, audited as failed), the offer stays unclaimed`, async () => {
      const res = await claim(await signedIn(sessions, p.email), offers[p.id]!);
      assert.equal(res.status, 404);
      assert.equal((await store.get('offers', HUB, offers[p.id]!))!.status, 'offered', 'not claimed');
      const audit: Array<{ action: string; outcome: string; detail?: Record<string, unknown> }> = [];
      for await (const e of store.list('audit', HUB)) audit.push(e as never);
      const mine = audit.filter((e) => e.action === 'offer-claimed' && e.detail?.offerId === offers[p.id]);
      assert.deepEqual(mine.map((e) => e.outcome), ['failed']);
      assert.equal(await store.count('tasks', HUB), 0, 'no re-evaluation queued to grant it');
    });
  }
});
