import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGraph } from './graph-test-client.ts';
import { SANDBOX } from './sandbox-ids.ts';

test('POST /__emulator/accept_invite/{request-id} accepts like /__emulator/invites/{id}/accept', async () => {
  const g = await startTestGraph();
  try {
    const r = await g.raw(`/__emulator/accept_invite/${SANDBOX.pendingInviteId}`, { method: 'POST' });
    assert.equal(r.status, 200);
    const members = await g.get(`/${SANDBOX.businessId}/business_users`, { fields: 'id,email,business_role_request' });
    const joined = members.body.data.find((m: { id: string }) => m.id === r.body.memberId);
    assert.equal(joined?.email, 'new.hire@sandbox.example');
    assert.equal(joined.business_role_request.id, SANDBOX.pendingInviteId);
    assert.equal((await g.get(`/${SANDBOX.businessId}/pending_users`, { email: 'new.hire@sandbox.example' })).body.data.length, 0);
    assert.equal((await g.raw(`/__emulator/accept_invite/${SANDBOX.pendingInviteId}`, { method: 'POST' })).status, 404, 'gone once accepted');
  } finally {
    await g.close();
  }
});
