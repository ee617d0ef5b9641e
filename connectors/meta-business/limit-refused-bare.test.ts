import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SANDBOX } from './emulator/index.ts';
import { all, graphError, servedEmulator } from './alternative-fetch.test-double.ts';

/**
 * Meta documents no maximum `limit` and no words for refusing one ("some edges cap limit",
 * https://developers.facebook.com/docs/graph-api/results). A Graph that refuses a large limit
 * with a bare "(#100) Invalid parameter", naming no field, is one reading of that silence: the
 * connector's reads must go on with a smaller page, and an unrelated bare (#100) must not shrink
 * every later page (README "Other readings").
 */
describe('meta-business: a limit above the edge maximum refused with a bare (#100)', () => {
  const served = servedEmulator();

  test('reads go on with a smaller page, single calls and batch operations alike', async () => {
    const MAX = 100;
    const refused: string[] = [];
    const c = served.connector(async (op, forward) => {
      if (op.method === 'GET' && Number(op.query.get('limit') ?? 25) > MAX) {
        refused.push(op.path);
        return graphError(100, '(#100) Invalid parameter');
      }
      return forward();
    });
    const members = await all((x) => c.listMembers!(x));
    const state = served.emulator.control.state();
    assert.deepEqual(members.map((m) => m.id).sort(), state.users.filter((u) => u.businessId === SANDBOX.businessId).map((u) => u.id).sort());
    const assignments = await c.listAssignments!([{ type: 'ad_account', id: 'act_111' }, { type: 'ad_account', id: 'act_112' }]);
    assert.ok(assignments.some((a) => a.asset.id === 'act_111'));
    // Learned once the smaller page was answered: later reads do not run into the refusal again.
    const before = refused.length;
    assert.ok(before > 0);
    await all((x) => c.listMembers!(x));
    await c.listAssignments!([{ type: 'ad_account', id: 'act_111' }]);
    assert.equal(refused.length, before);
  });

  test('a bare (#100) that is not about the limit fails the read and leaves later pages their size', async () => {
    const limits: string[] = [];
    let refuse = true;
    const c = served.connector(async (op, forward) => {
      if (op.method === 'GET' && op.path.endsWith('/business_users')) {
        limits.push(op.query.get('limit') ?? '');
        if (refuse) return graphError(100, '(#100) Invalid parameter');
      }
      return forward();
    });
    await assert.rejects(c.listMembers!(), (e: unknown) => (e as { kind?: string }).kind === 'invalid-argument');
    refuse = false;
    limits.length = 0;
    await c.listMembers!();
    assert.deepEqual(limits, ['1000']);
  });
});
