import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectorError, type ErrorKind } from '../../connectors/sdk/connector-error.ts';
import { capabilitiesOf, isAdminRole, type ConnectorDefinition, type ContractFixture, type ContractSetup, type HubConnector } from '../../connectors/sdk/connector.ts';
import { allPages } from '../../connectors/sdk/pages.ts';

/**
 * The contract every connector passes, unchanged (after baton-sdk's connector test):
 * list → grant → list shows it → revoke → list shows it gone; idempotent repeats are
 * already-done; every failure surfaces as the right ConnectorError kind. What differs per app
 * (emails, roles, access, throttles) comes from the connector's own ContractFixture
 * (connectors/sdk/contract-fixture.ts), reached through its definition in the registry.
 */

/** The agent drives pagination; here, all pages of a listing. */
export const all = allPages;

/** Retries at the caller, as the agent's retry policy does: unavailable and short rate limits. */
export async function withRetries<T>(fn: () => Promise<T>, attempts = 12): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const retryable = err instanceof ConnectorError && (err.kind === 'unavailable' || (err.kind === 'rate-limited' && (err.retryAfterMs ?? 0) <= 1000));
      if (!retryable || i >= attempts) throw err;
    }
  }
}

async function rejectsWith(promise: Promise<unknown>, kind: ErrorKind, extra?: (err: ConnectorError) => void): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ConnectorError, `expected a ConnectorError, got ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    extra?.(err);
    return true;
  });
}

function need<K extends keyof HubConnector>(c: HubConnector, k: K): NonNullable<HubConnector[K]> {
  const m = c[k];
  assert.equal(typeof m, 'function', `connector ${c.id} must implement ${String(k)}`);
  return (m as Function).bind(c) as NonNullable<HubConnector[K]>;
}

export function runConnectorContract(definition: ConnectorDefinition, fixture: ContractFixture): void {
  const withSetup = (fn: (s: ContractSetup) => Promise<void>) => async () => {
    const s = await fixture.start();
    try {
      await fn(s);
    } finally {
      s.faults.clear();
      await s.close();
    }
  };

  describe(`connector contract: ${definition.id}`, () => {
    test('lists are complete across pages and carry ids', withSetup(async (s) => {
      const members = await all(need(s.connector, 'listMembers'));
      assert.ok(members.length > 0);
      assert.equal(new Set(members.map((m) => m.id)).size, members.length, 'no member listed twice');
      assert.ok(members.some((m) => m.id === s.sample.memberId));
      for (const t of Object.keys(definition.assetTypes)) for (const a of await all((c) => need(s.connector, 'listAssets')(t, c))) assert.equal(a.type, t);
    }));

    test('capabilities come from the methods the instance implements; the sample access is one the app accepts', withSetup(async (s) => {
      const caps = capabilitiesOf(s.connector);
      for (const c of ['members', 'pending-invites', 'assets', 'invites', 'member-removal', 'asset-grants'] as const) assert.ok(caps.includes(c), `${definition.id} lacks ${c}`);
      assert.equal(caps.includes('member-role-change'), typeof s.connector.changeMemberRole === 'function');
      const rules = definition.assetTypes[s.sample.asset.type];
      assert.ok(rules, `the sample asset's type ${s.sample.asset.type} is one of the definition's asset types`);
      assert.equal(rules.isSupported(s.sample.tasks), true);
      assert.equal(rules.isSupported(s.sample.unsupportedTasks), false);
      assert.ok(definition.roles.assignable.includes(s.sample.inviteRole));
      assert.equal(isAdminRole(definition.roles, s.sample.memberRole), false);
    }));

    test('invite → listed → repeat is already-done → cancel → gone → cancel again is already-done', withSetup(async (s) => {
      const { inviteEmail: email, inviteRole: role } = s.sample;
      const first = await need(s.connector, 'invite')({ email, role });
      assert.equal(first.result, 'done');
      assert.ok(first.inviteId);
      const listed = (await all(need(s.connector, 'listInvites'))).find((i) => i.email === email && i.status === 'pending');
      assert.equal(listed?.id, first.inviteId);
      const again = await need(s.connector, 'invite')({ email, role });
      assert.deepEqual(again, { result: 'already-done', inviteId: first.inviteId });
      assert.equal(await need(s.connector, 'cancelInvite')(first.inviteId), 'done');
      const after = await all(need(s.connector, 'listInvites'));
      assert.equal(after.some((i) => i.id === first.inviteId && i.status === 'pending'), false);
      assert.equal(await need(s.connector, 'cancelInvite')(first.inviteId), 'already-done');
    }));

    test('assign → listed with tasks → repeat already-done → unassign → gone → repeat already-done', withSetup(async (s) => {
      const { asset, memberId, tasks } = s.sample;
      const assigned = async () => (await need(s.connector, 'listAssignments')([asset])).find((a) => a.userId === memberId);
      await need(s.connector, 'unassignAsset')({ asset, userId: memberId });
      assert.equal(await assigned(), undefined);
      assert.equal(await need(s.connector, 'assignAsset')({ asset, userId: memberId, tasks }), 'done');
      assert.deepEqual(new Set((await assigned())?.tasks), new Set(tasks));
      assert.equal(await need(s.connector, 'assignAsset')({ asset, userId: memberId, tasks }), 'already-done');
      assert.equal(await need(s.connector, 'unassignAsset')({ asset, userId: memberId }), 'done');
      assert.equal(await assigned(), undefined);
      assert.equal(await need(s.connector, 'unassignAsset')({ asset, userId: memberId }), 'already-done');
    }));

    test('share with a partner → listed → repeat already-done → unshare → gone', withSetup(async (s) => {
      const p = s.sample.partner;
      if (!p || !s.connector.shareAsset) return;
      const shared = async () => (await all(need(s.connector, 'listPartners'))).find((x) => x.businessId === p.businessId && x.relation === 'agency')?.assets.find((a) => a.id === p.asset.id);
      await need(s.connector, 'unshareAsset')({ asset: p.asset, partnerBusinessId: p.businessId });
      assert.equal(await shared(), undefined);
      assert.equal(await need(s.connector, 'shareAsset')({ asset: p.asset, partnerBusinessId: p.businessId, tasks: p.tasks }), 'done');
      assert.deepEqual(new Set((await shared())?.permittedTasks), new Set(p.tasks));
      assert.equal(await need(s.connector, 'shareAsset')({ asset: p.asset, partnerBusinessId: p.businessId, tasks: p.tasks }), 'already-done');
      assert.equal(await need(s.connector, 'unshareAsset')({ asset: p.asset, partnerBusinessId: p.businessId }), 'done');
      assert.equal(await shared(), undefined);
    }));

    test('an unknown member on removal is already-done; on role change not-found', withSetup(async (s) => {
      assert.equal(await need(s.connector, 'removeMember')(s.sample.unknownId), 'already-done');
      if (s.connector.changeMemberRole) await rejectsWith(s.connector.changeMemberRole(s.sample.unknownId, s.sample.memberRole), 'not-found');
    }));

    test('the last admin is never demoted or removed (conflict)', withSetup(async (s) => {
      if (s.connector.changeMemberRole) await rejectsWith(s.connector.changeMemberRole(s.sample.lastAdminId, s.sample.memberRole), 'conflict', (e) => assert.match(e.message, /last admin/));
      await rejectsWith(need(s.connector, 'removeMember')(s.sample.lastAdminId), 'conflict', (e) => assert.match(e.message, /last admin/));
      const members = await all(need(s.connector, 'listMembers'));
      assert.ok(isAdminRole(definition.roles, members.find((m) => m.id === s.sample.lastAdminId)?.role));
    }));

    test('unsupported access is invalid-argument, refused before any call', withSetup(async (s) => {
      const before = s.callCount();
      await rejectsWith(need(s.connector, 'assignAsset')({ asset: s.sample.asset, userId: s.sample.memberId, tasks: s.sample.unsupportedTasks }), 'invalid-argument', (e) => assert.equal(e.field, 'tasks'));
      assert.equal(s.callCount(), before);
    }));

    test('a bad credential is unauthenticated, and the token never appears in the message', withSetup(async (s) => {
      const bad = s.make({ badCredential: true });
      await rejectsWith(need(bad, 'listMembers')(), 'unauthenticated', (e) => assert.ok(!e.message.includes(s.sample.badCredential), 'the credential is not in the message'));
      if (bad.checkCredential) assert.equal((await bad.checkCredential()).valid, false);
    }));

    for (const [name, throttle] of Object.entries(fixture.throttles)) {
      test(`throttling (${name}) is rate-limited with a wait`, withSetup(async (s) => {
        s.faults.inject({ kind: 'throttle', name });
        await rejectsWith(need(s.connector, 'listAssignments')([s.sample.asset]), 'rate-limited', (e) => {
          assert.ok((e.retryAfterMs ?? 0) > 0, 'retryAfterMs');
          if (throttle.waitMs !== undefined) assert.equal(e.retryAfterMs, throttle.waitMs, 'the wait the API asked for');
        });
        assert.ok(Object.keys(need(s.connector, 'rateLimits')().blockedUntil).length > 0, 'rateLimits() reports the block');
      }));
    }

    for (const kind of ['server-error', 'timeout', 'drop'] as const) {
      test(`${kind} is unavailable`, withSetup(async (s) => {
        const connector = kind === 'timeout' ? s.make({ timeoutMs: 300 }) : s.connector;
        s.faults.inject({ kind });
        await rejectsWith(need(connector, 'listMembers')(), 'unavailable');
      }));
    }

    test('with faults on, reads with caller retries equal the fault-free reads, and an invite is sent once', withSetup(async (s) => {
      const read = async () => {
        const members = (await withRetries(() => all(need(s.connector, 'listMembers')))).map((m) => m.id).sort();
        const assets = await withRetries(() => all((c) => need(s.connector, 'listAssets')(s.sample.asset.type, c)));
        const assignments = (await withRetries(() => need(s.connector, 'listAssignments')(assets.slice(0, 50)))).map((a) => `${a.asset.id}:${a.userId}:${a.tasks.join(',')}`).sort();
        return { members, assignments };
      };
      const clean = await read();
      s.faults.inject({ kind: 'noisy', seed: 7 });
      assert.deepEqual(await read(), clean);
      const { inviteEmail: email, inviteRole: role } = s.sample;
      const results = [await withRetries(() => need(s.connector, 'invite')({ email, role })), await withRetries(() => need(s.connector, 'invite')({ email, role }))];
      s.faults.clear();
      const pending = (await all(need(s.connector, 'listInvites'))).filter((i) => i.email === email && i.status === 'pending');
      assert.equal(pending.length, 1, 'exactly one pending invite');
      assert.equal(results[1].result, 'already-done');
      assert.equal(results[1].inviteId, pending[0].id);
    }));
  });
}
