import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeGrant } from '../grants/effective-grant.ts';
import { TEST_RULES, testHub, testUser } from '../grants/grant-fixtures.ts';
import { offerIdOf, type OfferRecord } from './offer-record.ts';
import { applyOfferChanges, decideOffers } from './sync-offers.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import '../audit/audit-log.ts';

const hub = testHub({
  teams: [
    { group: 'Meta Advertisers', appRole: 'EMPLOYEE', assets: [] },
    { group: 'Brand', appRole: 'EMPLOYEE', claim: true, assets: [{ type: 'page', id: '222', tasks: ['ANALYZE', 'DRAFT'] }] },
  ],
});
const NOW = new Date('2026-11-23T12:00:00.000Z');
const grantOf = (groups: string[], active = true) => computeGrant(hub, testUser('u-jane', 'jane@example.com', active), groups, TEST_RULES);
const offer = (extra: Partial<OfferRecord>): OfferRecord => ({
  id: offerIdOf(hub.id, 'u-jane', 'Brand'), hubId: hub.id, directoryUserId: 'u-jane', email: 'jane@example.com', group: 'Brand', appRole: 'EMPLOYEE',
  assets: [{ type: 'page', id: '222', tasks: ['ANALYZE', 'DRAFT'] }], status: 'offered', offeredAt: '2026-11-20T00:00:00.000Z', expiresAt: '2026-12-20T00:00:00.000Z', membership: 'brand', ...extra,
});

const cases: Array<{ name: string; groups?: string[]; active?: boolean; gone?: boolean; existing: OfferRecord[]; expect: string[] }> = [
  { name: 'joining a claim team makes an offer', groups: ['Brand'], existing: [], expect: ['offer-made offered 2026-12-23T12:00:00.000Z'] },
  { name: 'an open offer is left as it is', groups: ['Brand'], existing: [offer({})], expect: [] },
  { name: 'leaving before claiming withdraws it', groups: [], existing: [offer({})], expect: ['offer-withdrawn offered'] },
  { name: 'deactivated: withdrawn', groups: ['Brand'], active: false, existing: [offer({})], expect: ['offer-withdrawn offered'] },
  { name: 'deleted from the directory: withdrawn', gone: true, existing: [offer({})], expect: ['offer-withdrawn offered'] },
  { name: 'a claimed offer is kept after leaving (the seat goes through the removal path)', groups: [], existing: [offer({ status: 'claimed' })], expect: [] },
  { name: 'past its expiry: recorded as expired', groups: ['Brand'], existing: [offer({ expiresAt: '2026-11-22T00:00:00.000Z' })], expect: ['offer-expired expired'] },
  { name: 'expired, membership unchanged: not offered again', groups: ['Brand'], existing: [offer({ status: 'expired', expiresAt: '2026-11-22T00:00:00.000Z' })], expect: [] },
  { name: 'expired, membership changed: offered again', groups: ['Brand', 'Meta Advertisers'], existing: [offer({ status: 'expired', expiresAt: '2026-11-22T00:00:00.000Z' })], expect: ['offer-made offered 2026-12-23T12:00:00.000Z'] },
  { name: 'the team now offers another role: the open offer follows', groups: ['Brand'], existing: [offer({ appRole: 'ADMIN' })], expect: ['offer-updated offered'] },
];

describe('offers follow group membership', () => {
  for (const c of cases) {
    test(c.name, () => {
      const changes = decideOffers(hub.id, 'u-jane', c.gone ? undefined : grantOf(c.groups ?? [], c.active ?? true), c.existing, NOW);
      assert.deepEqual(changes.map((x) => [x.kind, x.record.status, x.kind === 'offer-made' ? x.record.expiresAt : ''].filter(Boolean).join(' ')), c.expect);
      for (const x of changes) assert.ok(x.why.length > 10, 'every audited change says why');
    });
  }

  test('a made offer carries what the team grants and the membership it was made for', () => {
    const [made] = decideOffers(hub.id, 'u-jane', grantOf(['Brand', 'Meta Advertisers']), [], NOW);
    assert.equal(made!.kind, 'offer-made');
    assert.deepEqual({ ...made!.record }, {
      id: offerIdOf(hub.id, 'u-jane', 'brand'), hubId: hub.id, directoryUserId: 'u-jane', email: 'jane@example.com', group: 'Brand', appRole: 'EMPLOYEE',
      assets: [{ type: 'page', id: '222', tasks: ['ANALYZE', 'DRAFT'] }], status: 'offered', offeredAt: NOW.toISOString(), expiresAt: '2026-12-23T12:00:00.000Z', membership: 'brand,meta advertisers',
    });
  });

  test('an offer changed by a config edit of its claim team is audited with the new and the former seat', async () => {
    const store = new MemoryStore();
    const changes = decideOffers(hub.id, 'u-jane', grantOf(['Brand']), [offer({ appRole: 'ADMIN', assets: [] })], NOW);
    await store.transact((tx) => applyOfferChanges(tx, changes, { trigger: { type: 'agent', detail: 'configuration reloaded' }, taskId: 't-1', now: NOW }));
    const entries = await collect(store.list('audit', hub.id));
    assert.deepEqual(entries.map((e) => [e.action, e.outcome, e.subject?.directoryUserId, e.taskId]), [['offer-updated', 'ok', 'u-jane', 't-1']]);
    assert.match(entries[0]!.why, /configuration of Brand changed: the offer is now EMPLOYEE with page 222 \[ANALYZE, DRAFT\] \(was ADMIN, no assets\)/);
    assert.deepEqual(entries[0]!.detail?.was, { appRole: 'ADMIN', assets: [] });
    assert.equal((await store.get('offers', hub.id, offerIdOf(hub.id, 'u-jane', 'Brand')))?.appRole, 'EMPLOYEE');
  });
});
