/**
 * `decideApproval`'s `within` runs in the decision's transaction: a caller's check pinned to the
 * approval it read (approvalAsChecked, the dashboard's rank rule) refuses a decision on an
 * approval whose operations changed since, and nothing is queued; unchanged, the decision runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAgentApi } from '../agent-api.ts';
import { AgentError } from '../agent-error.ts';
import { testUser } from '../grants/grant-fixtures.ts';
import { collect } from '../store/store.ts';
import { approvalAsChecked } from './approvals.ts';
import { hubWithInvites, removalPass } from './test-removal-pass.ts';

const NOW = Date.parse('2026-12-06T09:00:00Z');
const owner = { type: 'admin' as const, actor: 'owner@example.com' };

test('an approval decided with a check pinned to other operations is refused (conflict), nothing queued; pinned to its own, it runs', async () => {
  const { store, hub } = await hubWithInvites(10, true, new Date(NOW).toISOString());
  await store.transact((tx) => { for (const i of [0, 1, 2, 3, 4]) tx.put('directoryUsers', hub.id, `u-${i}`, testUser(`u-${i}`, `p${i}@example.com`, false)); });
  const held = await removalPass(store, hub, 'deprovision', 'apply-removals:deprovision:0', new Date(NOW));
  assert.equal(held.status, 'needs-approval', JSON.stringify(held.result));
  const [approval] = await collect(store.list('approvals', hub.id));
  const api = createAgentApi({ store, hubs: () => new Map([[hub.id, hub]]), connectorFor: () => undefined, clock: () => NOW + 60_000 });
  const cancellations = async () => (await collect(store.list('tasks', hub.id))).filter((t) => t.kind === 'cancel-invite').length;

  // What the caller checked: the same keys, one operation naming someone else (a refresh in between).
  const checked = approval!.planned.map((op, i) => (i === 0 ? { ...op, directoryUserId: 'u-someone-else' } : op));
  await assert.rejects(api.decideApproval(approval!.id, 'approve', owner, { within: approvalAsChecked(hub.id, approval!.id, checked) }),
    (e: unknown) => e instanceof AgentError && e.kind === 'conflict' && /changed since it was checked/.test(e.message));
  assert.equal(await cancellations(), 0, 'nothing queued');
  assert.equal((await store.get('approvals', hub.id, approval!.id))!.status, 'pending');

  await api.decideApproval(approval!.id, 'approve', owner, { within: approvalAsChecked(hub.id, approval!.id, approval!.planned) });
  assert.equal(await cancellations(), 5, 'approved as checked: queued');
});
