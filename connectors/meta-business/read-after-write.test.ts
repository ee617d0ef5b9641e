import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SANDBOX } from './emulator/index.ts';
import type { HubConnector } from '../sdk/connector.ts';
import { servedEmulator, type Reading } from './alternative-fetch.test-double.ts';

/**
 * A Graph whose listings lag its writes. Meta documents read-after-write only as `fields` on the
 * POST itself and says nothing of how soon `pending_users` lists a new invite (README [INF]); a
 * separately written Graph may show it a moment later. The connector must never take "not listed
 * yet" for "not made": that is how one person gets two invites.
 */
describe('meta-business connector against a Graph whose listings lag its writes', () => {
  const graph = servedEmulator();

  /** pending_users hides the invites POSTed through it until `catchUp()`. */
  const lagging = () => {
    const fresh = new Set<string>();
    const reading: Reading = async (op, forward) => {
      const a = await forward();
      if (op.method === 'POST' && op.path.endsWith('/business_users') && a.status === 200) fresh.add(String(op.body.get('email')).toLowerCase());
      if (op.method === 'GET' && op.path.endsWith('/pending_users') && Array.isArray(a.body?.data)) {
        a.body.data = a.body.data.filter((i: { email?: string }) => !fresh.has(String(i.email).toLowerCase()));
      }
      return a;
    };
    return { c: graph.connector(reading), catchUp: () => fresh.clear() };
  };
  /** pending_users keeps listing a cancelled invite as PENDING (the DELETE not yet seen by the listing). */
  const keepsCancelled = (): HubConnector => {
    const ghosts: Array<{ id: string; email: string; role: string; status: string }> = [];
    const reading: Reading = async (op, forward) => {
      const held = op.method === 'DELETE' ? graph.emulator.control.state().invites.find((i) => i.id === op.path && i.status === 'PENDING') : undefined;
      const a = await forward();
      if (held && a.status === 200) ghosts.push({ id: held.id, email: held.email, role: held.role, status: 'PENDING' });
      if (op.method === 'GET' && op.path.endsWith('/pending_users') && Array.isArray(a.body?.data)) {
        const email = op.query.get('email');
        for (const g of ghosts) if ((email === null || g.email === email) && !a.body.data.some((i: { id: string }) => i.id === g.id)) a.body.data.push(g);
      }
      return a;
    };
    return graph.connector(reading);
  };
  const pendingFor = (email: string) => graph.emulator.control.state().invites.filter((i) => i.email === email && i.status === 'PENDING');

  test('an invite POST answered with success but not yet listed by pending_users is done, once; its id resolves when the listing catches up', async () => {
    const { c, catchUp } = lagging();
    const email = 'lagged.hire@sandbox.example';
    const r = await c.invite!({ email, role: 'EMPLOYEE' });
    assert.equal(r.result, 'done', 'the invite went out: never an error that makes the task try again');
    assert.equal(pendingFor(email).length, 1);
    // The task is over: a later invite for the same person (the listing caught up) is already-done.
    catchUp();
    const again = await c.invite!({ email, role: 'EMPLOYEE' });
    assert.deepEqual([again.result, again.inviteId], ['already-done', pendingFor(email)[0]!.id]);
    assert.equal(await c.cancelInvite!(r.inviteId), 'done', 'the id given resolves to the invite made');
    assert.equal(pendingFor(email).length, 0);
  });

  test('a re-send whose cancelled invite the listing still shows pending: the new invite goes out and its id is returned, not the cancelled one', async () => {
    const c = keepsCancelled();
    const r = await c.reinvite!({ inviteId: SANDBOX.pendingInviteId, email: SANDBOX.pendingInviteEmail, role: 'EMPLOYEE' });
    const pending = pendingFor(SANDBOX.pendingInviteEmail);
    assert.equal(pending.length, 1, 'a new invite is pending');
    assert.notEqual(pending[0]!.id, SANDBOX.pendingInviteId);
    assert.deepEqual([r.result, r.inviteId], ['done', pending[0]!.id]);
  });

  test('against the emulator\'s own listingLagMs fault: a retried invite is done once, and its retry is no second invite', async () => {
    const c = graph.connector();
    graph.emulator.control.setFaults({ listingLagMs: 3_600_000 });
    try {
      const email = 'fault.lagged@sandbox.example';
      assert.equal((await c.invite!({ email, role: 'EMPLOYEE' })).result, 'done');
      // A retry still meets the lag: Meta refuses the second invite (our emulator's reading), read as a conflict; never two invites.
      await c.invite!({ email, role: 'EMPLOYEE' }).catch(() => undefined);
      assert.equal(pendingFor(email).length, 1);
    } finally {
      graph.emulator.control.setFaults({});
    }
  });
});
