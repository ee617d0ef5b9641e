import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectorError, type ErrorKind } from '../../connectors/sdk/connector-error.ts';
import type { HubConnector } from '../../connectors/sdk/connector.ts';
import type { AssetRef, AssetType, Page } from '../../connectors/sdk/hub-model.ts';

/**
 * The contract every connector passes (issue 3, item 6; after baton-sdk's connector test):
 * list → grant → list shows it → revoke → list shows it gone; idempotent repeats are
 * already-done; every failure surfaces as the right ConnectorError kind. A connector's test file
 * calls `runConnectorContract(name, setup)` with a setup that starts its fake API (emulator).
 */

export type ContractFault =
  | { kind: 'throttle'; code: number }
  | { kind: 'server-error' }
  | { kind: 'timeout' }
  | { kind: 'drop' }
  /** Random transient errors, dropped sockets and short pages: reads must still be complete with caller retries. */
  | { kind: 'noisy'; seed: number };

export interface ContractSetup {
  connector: HubConnector;
  /** Another instance on the same fake API: a revoked credential, or a short timeout. */
  make(options: { badCredential?: boolean; timeoutMs?: number }): HubConnector;
  sample: {
    /** An email that is neither a member nor invited. */
    inviteEmail: string;
    inviteRole: string;
    /** A member who is not an admin, assignable to `asset`. */
    memberId: string;
    /** The only admin. */
    lastAdminId: string;
    asset: AssetRef;
    tasks: string[];
    unsupportedTasks: string[];
    /** An id nobody holds. */
    unknownId: string;
    partner?: { businessId: string; asset: AssetRef; tasks: string[] };
    /** The wait the fake API's throttle announces, when it announces one. */
    throttleWaitMs?: number;
  };
  faults: { inject(fault: ContractFault): void; clear(): void };
  /** HTTP calls the fake API has received (to prove local refusals make none). */
  callCount(): number;
  close(): Promise<void>;
}

/** The agent drives pagination (design brief, idea 5); here, all pages of a listing. */
export async function all<T>(list: (cursor?: string) => Promise<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await list(cursor);
    out.push(...page.items);
    cursor = page.next;
    assert.ok(++pages < 10_000, 'pagination does not end');
  } while (cursor);
  return out;
}

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

export function runConnectorContract(name: string, setup: () => Promise<ContractSetup>): void {
  const withSetup = (fn: (s: ContractSetup) => Promise<void>) => async () => {
    const s = await setup();
    try {
      await fn(s);
    } finally {
      s.faults.clear();
      await s.close();
    }
  };

  describe(`connector contract: ${name}`, () => {
    test('lists are complete across pages and carry ids', withSetup(async (s) => {
      const members = await all(need(s.connector, 'listMembers'));
      assert.ok(members.length > 0);
      assert.equal(new Set(members.map((m) => m.id)).size, members.length, 'no member listed twice');
      assert.ok(members.some((m) => m.id === s.sample.memberId));
      const types: AssetType[] = ['ad_account', 'page', 'catalog', 'pixel'];
      for (const t of types) for (const a of await all((c) => need(s.connector, 'listAssets')(t, c))) assert.equal(a.type, t);
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
      await rejectsWith(need(s.connector, 'changeMemberRole')(s.sample.unknownId, 'EMPLOYEE'), 'not-found');
    }));

    test('the last admin is never demoted or removed (conflict)', withSetup(async (s) => {
      await rejectsWith(need(s.connector, 'changeMemberRole')(s.sample.lastAdminId, 'EMPLOYEE'), 'conflict', (e) => assert.match(e.message, /last admin/));
      await rejectsWith(need(s.connector, 'removeMember')(s.sample.lastAdminId), 'conflict', (e) => assert.match(e.message, /last admin/));
      const members = await all(need(s.connector, 'listMembers'));
      assert.equal(members.find((m) => m.id === s.sample.lastAdminId)?.role, 'ADMIN');
    }));

    test('an unsupported task bundle is invalid-argument, refused before any call', withSetup(async (s) => {
      const before = s.callCount();
      await rejectsWith(need(s.connector, 'assignAsset')({ asset: s.sample.asset, userId: s.sample.memberId, tasks: s.sample.unsupportedTasks }), 'invalid-argument', (e) => assert.equal(e.field, 'tasks'));
      assert.equal(s.callCount(), before);
    }));

    test('a bad credential is unauthenticated, and the token never appears in the message', withSetup(async (s) => {
      const bad = s.make({ badCredential: true });
      await rejectsWith(need(bad, 'listMembers')(), 'unauthenticated', (e) => assert.doesNotMatch(e.message, /access_token=[^[]/));
      if (bad.checkCredential) assert.equal((await bad.checkCredential()).valid, false);
    }));

    for (const code of [4, 17, 613, 80004]) {
      test(`throttling code ${code} is rate-limited with a wait`, withSetup(async (s) => {
        s.faults.inject({ kind: 'throttle', code });
        await rejectsWith(need(s.connector, 'listAssignments')([s.sample.asset]), 'rate-limited', (e) => {
          assert.ok((e.retryAfterMs ?? 0) > 0, 'retryAfterMs');
          if (s.sample.throttleWaitMs !== undefined) assert.equal(e.retryAfterMs, s.sample.throttleWaitMs, 'the wait the API asked for');
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
        const assets = await withRetries(() => all((c) => need(s.connector, 'listAssets')('ad_account', c)));
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
