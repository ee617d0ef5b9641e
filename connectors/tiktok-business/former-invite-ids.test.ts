import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTikTokTestBed, type TikTokTestBed } from './test-setup.ts';
import { TIKTOK_SANDBOX as S } from './emulator/sandbox-ids.ts';
import { emailKey } from '../sdk/email-key.ts';
import type { HubConnector } from '../sdk/definition.ts';
import { runCheckForUpdates } from '../../agent/check-for-updates/run-check.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect } from '../../agent/store/store.ts';
import type { DirectoryUserRecord } from '../../agent/desired-state/directory-records.ts';
import { configSchema } from '../../config/schema.ts';
import '../../agent/app-state/records.ts';
import '../../agent/matching/hub-matching.ts';

/**
 * Upgrading over the NFC invite key (`inviteIdOf`): an address TikTok lists decomposed had the id
 * `trim().toLowerCase()` before and has `emailKey` now. What hubwarden stored under the old row id
 * (an owner's exemption, a hand match, a drift hold) follows the invitation to its new id at the
 * first check for updates, once; an ASCII address keeps its id and nothing moves.
 */
const JOSE = 'Jose\u0301@sandbox.example'; // decomposed: "e" + U+0301
const RENE = 'rene\u0301@sandbox.example';
const OLD = (email: string) => email.trim().toLowerCase();
const hub = configSchema.parse({ hubs: [{ id: 'tt', connector: 'tiktok-business', tiktok: { businessCenterId: S.bcId, accessToken: 'env:TIKTOK_TOKEN' } }] }).hubs[0]!;
const trigger = { type: 'admin' as const, actor: 'test' };
const silent = { info() {}, warn() {} };
let clock = Date.parse('2026-12-07T10:00:00.000Z');
const now = () => new Date((clock += 1000));

function seedInvitation(bed: TikTokTestBed, email: string, status: 'PENDING' | 'REJECTED'): void {
  const state = bed.emulator.control.state();
  const pending = state.members.find((m) => m.bc_id === S.bcId && m.user_email === S.pendingEmail)!;
  state.members.push({ ...structuredClone(pending), user_email: email, relation_status: status });
  bed.emulator.control.seed(state);
}

/** The connector as releases before the NFC key listed invitations: the address lower-cased, no former ids. */
function earlierRelease(c: HubConnector): HubConnector {
  return {
    ...c,
    async listInvites(cursor) {
      const page = await c.listInvites!(cursor);
      return { ...page, items: page.items.map(({ formerIds: _, ...i }) => ({ ...i, id: OLD(i.email) })) };
    },
  };
}

const user = (id: string, email: string): DirectoryUserRecord =>
  ({ hubId: 'tt', id, userName: email, active: true, email, emails: [email], scim: {}, created: 'x', lastModified: 'x', version: 1 });

test('the connector names the id an earlier release gave a decomposed address; none for an ASCII one', async () => {
  const bed = await startTikTokTestBed();
  try {
    seedInvitation(bed, JOSE, 'PENDING');
    const items = [];
    for (let cursor: string | undefined, first = true; first || cursor; first = false) {
      const page = await bed.connector().listInvites!(cursor);
      items.push(...page.items);
      cursor = page.next;
    }
    // The address as listed, trimmed and lower-cased (README [INF] #72); its form kept.
    const jose = items.find((i) => i.email === OLD(JOSE))!;
    assert.equal(jose.id, emailKey(JOSE));
    assert.deepEqual(jose.formerIds, [OLD(JOSE)]);
    assert.equal(items.find((i) => i.email === S.pendingEmail)!.formerIds, undefined);
  } finally {
    await bed.close();
  }
});

test('an exemption, a hand match and a drift hold stored under the old invite id survive the upgrade; an ASCII address is untouched', async () => {
  const bed = await startTikTokTestBed();
  try {
    seedInvitation(bed, JOSE, 'PENDING');
    seedInvitation(bed, RENE, 'REJECTED');
    const store = new MemoryStore();
    const check = (c: HubConnector, taskId: string) => runCheckForUpdates({ store, hub, connector: c, trigger, taskId, now, log: silent });
    await check(earlierRelease(bed.connector()), 't-before');
    const [joseOld, reneOld, ascii] = [`invite:${OLD(JOSE)}`, `invite:${OLD(RENE)}`, `invite:${emailKey(S.pendingEmail)}`];
    assert.notEqual(joseOld, `invite:${emailKey(JOSE)}`);
    const at = '2026-12-07T09:00:00.000Z';
    await store.transact((tx) => {
      tx.put('exemptions', 'tt', joseOld, { hubId: 'tt', memberId: joseOld, reason: 'agency contact', by: 'owner@acme.example', at });
      tx.put('exemptions', 'tt', ascii, { hubId: 'tt', memberId: ascii, reason: 'contractor', by: 'owner@acme.example', at });
      // The owner matched René's invitation by hand to a directory user of another address.
      tx.put('directoryUsers', 'tt', 'u-rene', user('u-rene', 'rene.martin@acme.example'));
      tx.put('matchDecisions', 'tt', reneOld, { hubId: 'tt', memberId: reneOld, outcome: 'onboarded', directoryUserId: 'u-rene', manual: true, at });
      tx.put('driftHolds', 'tt', `${joseOld}|seat`, { hubId: 'tt', id: `${joseOld}|seat`, rowId: joseOld, change: 'seat', drift: 'invited-by-hand', after: ['STANDARD'], before: [], since: at, taskId: 't-before' });
    });

    await check(bed.connector(), 't-upgrade');
    const [joseNew, reneNew] = [`invite:${emailKey(JOSE)}`, `invite:${emailKey(RENE)}`];
    assert.equal((await store.get('exemptions', 'tt', joseNew))?.reason, 'agency contact');
    assert.equal(await store.get('exemptions', 'tt', joseOld), undefined);
    assert.equal((await store.get('matchDecisions', 'tt', reneNew))?.directoryUserId, 'u-rene');
    assert.equal(await store.get('matchDecisions', 'tt', reneOld), undefined);
    const reneMatch = await store.get('memberMatches', 'tt', reneNew);
    assert.deepEqual([reneMatch?.directoryUserId, reneMatch?.manual], ['u-rene', true]);
    assert.equal((await store.get('memberMatches', 'tt', joseNew))?.outcome, 'exempted');
    assert.equal((await store.get('driftHolds', 'tt', `${joseNew}|seat`))?.rowId, joseNew);
    // One invitation each, under the new id, with what hubwarden knew of it (no row left under the old id).
    const invites = (await collect(store.list('appInvites', 'tt'))).filter((i) => emailKey(i.email) === emailKey(JOSE) || emailKey(i.email) === emailKey(RENE));
    assert.deepEqual(invites.map((i) => `${i.id}:${i.status}`).sort(), [`${emailKey(RENE)}:declined`, `${emailKey(JOSE)}:pending`].sort());
    const run = await store.get('checkRuns', 'tt', 't-upgrade');
    assert.deepEqual(run?.changes?.drift ?? [], [], 'no invitation reported as made by hand');
    // The ASCII address kept its id: its exemption stayed where it was, and nothing was carried for it.
    assert.equal((await store.get('exemptions', 'tt', ascii))?.reason, 'contractor');
    const audit = await collect(store.list('audit', 'tt'));
    const carried = audit.filter((e) => e.taskId === 't-upgrade' && e.detail?.carriedFrom !== undefined);
    assert.deepEqual(carried.map((e) => [e.action, e.outcome, e.subject?.memberId]).sort(), [
      ['drift-hold-carried', 'ok', joseNew], ['member-exempted', 'ok', joseNew], ['member-matched', 'ok', reneNew],
    ]);

    // Once: a second check carries nothing.
    await check(bed.connector(), 't-again');
    assert.deepEqual((await collect(store.list('audit', 'tt'))).filter((e) => e.taskId === 't-again' && e.detail?.carriedFrom !== undefined), []);
    assert.equal((await store.get('exemptions', 'tt', joseNew))?.reason, 'agency contact');
  } finally {
    await bed.close();
  }
});

test('an exemption under both the old and the new id: the new one is kept and the conflict audited', async () => {
  const bed = await startTikTokTestBed();
  try {
    seedInvitation(bed, JOSE, 'PENDING');
    const store = new MemoryStore();
    const check = (c: HubConnector, taskId: string) => runCheckForUpdates({ store, hub, connector: c, trigger, taskId, now, log: silent });
    await check(earlierRelease(bed.connector()), 't-before');
    const [joseOld, joseNew] = [`invite:${OLD(JOSE)}`, `invite:${emailKey(JOSE)}`];
    await store.transact((tx) => {
      tx.put('exemptions', 'tt', joseOld, { hubId: 'tt', memberId: joseOld, reason: 'old', by: 'a@acme.example', at: '2026-12-01T00:00:00.000Z' });
      tx.put('exemptions', 'tt', joseNew, { hubId: 'tt', memberId: joseNew, reason: 'new', by: 'b@acme.example', at: '2026-12-02T00:00:00.000Z' });
    });
    await check(bed.connector(), 't-upgrade');
    assert.equal((await store.get('exemptions', 'tt', joseNew))?.reason, 'new');
    assert.equal(await store.get('exemptions', 'tt', joseOld), undefined);
    const conflict = (await collect(store.list('audit', 'tt'))).filter((e) => e.taskId === 't-upgrade' && e.action === 'member-exempted');
    assert.deepEqual(conflict.map((e) => [e.outcome, (e.detail?.dropped as { reason?: string } | undefined)?.reason]), [['skipped', 'old']]);
  } finally {
    await bed.close();
  }
});
