import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGraph } from './graph-test-client.ts';
import { SANDBOX } from './sandbox-ids.ts';

const BIZ = SANDBOX.businessId;

describe('invites: pending BusinessRoleRequest until accepted (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users, https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/pending_users, connectors/meta-business/README.md [INF])', () => {
  test('invite → pending_users → accept → business_users; invited once', async () => {
    const g = await startTestGraph();
    try {
      const invited = await g.post(`/${BIZ}/business_users`, { email: 'jo.new@sandbox.example', role: 'EMPLOYEE' });
      assert.equal(invited.status, 200);
      const requestId = invited.body.id as string;
      assert.match(requestId, /^\d+$/);
      const members = await g.get(`/${BIZ}/business_users`, { fields: 'email', limit: '100' });
      assert.ok(!members.body.data.some((m: { email: string }) => m.email === 'jo.new@sandbox.example'), 'not a member before accepting');
      const mwa = await g.post(`/${BIZ}/business_users`, { email: 'mwa@sandbox.example', invited_user_type: '["MWA"]' });
      assert.deepEqual((await g.get(`/${mwa.body.id}`, { fields: 'invited_user_type' })).body, { id: mwa.body.id, invited_user_type: ['MWA'] }, 'Graph always includes id');
      const pending = await g.get(`/${BIZ}/pending_users`, { email: 'JO.NEW@sandbox.example' });
      assert.deepEqual(pending.body.data, [{ id: requestId, email: 'jo.new@sandbox.example', role: 'EMPLOYEE', status: 'PENDING' }]);

      const { memberId } = g.emulator.control.acceptInvite(requestId, { name: 'Jo New' });
      const member = await g.get(`/${memberId}`, { fields: 'id,name,email,role,business_role_request' });
      assert.deepEqual(member.body, { id: memberId, name: 'Jo New', email: 'jo.new@sandbox.example', role: 'EMPLOYEE', business_role_request: { id: requestId } });
      assert.deepEqual((await g.get(`/${BIZ}/pending_users`, { email: 'jo.new@sandbox.example' })).body.data, []);
      assert.equal((await g.get(`/${requestId}`)).body.error.error_subcode, 33, 'the request is gone');
      const invitesSent = g.emulator.calls.filter((c) => c.method === 'POST' && c.path === `/${BIZ}/business_users` && c.body.email === 'jo.new@sandbox.example');
      assert.equal(invitesSent.length, 1);
      assert.equal(invitesSent[0].body.access_token, '[redacted]');
    } finally {
      await g.close();
    }
  });

  test('inviting a pending email or a member is refused with #100 (strict: Meta documents neither); nothing is created', async () => {
    const g = await startTestGraph();
    try {
      const again = await g.post(`/${BIZ}/business_users`, { email: SANDBOX.pendingInviteEmail });
      assert.equal(again.status, 400);
      assert.equal(again.body.error.code, 100);
      assert.equal(again.body.error.message, `(#100) The user with email ${SANDBOX.pendingInviteEmail} already has a pending invitation to this business`);
      const member = await g.post(`/${BIZ}/business_users`, { email: SANDBOX.contractorEmail.toUpperCase() });
      assert.equal(member.body.error.code, 100);
      assert.match(member.body.error.message, /^\(#100\) The user with email .* is already a member of this business$/);
      assert.equal(g.emulator.control.state().invites.length, 2);
    } finally {
      await g.close();
    }
  });

  test('HTTP control endpoints accept, decline and expire; accepting a gone invite is 404, an expired one 409', async () => {
    const g = await startTestGraph({ inviteVisibility: 'keep-expired' });
    try {
      const a = (await g.post(`/${BIZ}/business_users`, { email: 'a@sandbox.example' })).body.id;
      const d = (await g.post(`/${BIZ}/business_users`, { email: 'd@sandbox.example' })).body.id;
      const e = (await g.post(`/${BIZ}/business_users`, { email: 'e@sandbox.example' })).body.id;
      const accepted = await g.raw(`/__emulator/invites/${a}/accept`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"A Person"}' });
      assert.equal(accepted.status, 200);
      assert.match(accepted.body.memberId, /^\d+$/);
      assert.equal((await g.raw(`/__emulator/invites/${a}/accept`, { method: 'POST' })).status, 404);
      assert.equal((await g.raw(`/__emulator/invites/${d}/decline`, { method: 'POST' })).status, 200);
      assert.equal((await g.raw(`/__emulator/invites/${e}/expire`, { method: 'POST' })).status, 200);
      assert.equal((await g.raw(`/__emulator/invites/${e}/accept`, { method: 'POST' })).status, 409);
      const statuses = (await g.get(`/${BIZ}/pending_users`, { fields: 'email,status' })).body.data;
      assert.deepEqual(
        statuses.filter((s: { email: string }) => /^[ade]@/.test(s.email)).map(({ email, status }: { email: string; status: string }) => ({ email, status })),
        [{ email: 'd@sandbox.example', status: 'DECLINE' }, { email: 'e@sandbox.example', status: 'EXPIRED' }],
      );
      const state = await g.raw('/__emulator/state');
      assert.ok(state.body.users.some((u: { name: string }) => u.name === 'A Person'));
      assert.ok(state.body.tokens.length > 0);
      assert.ok(!JSON.stringify(state.body).includes(SANDBOX.token), 'token values are redacted over HTTP');
    } finally {
      await g.close();
    }
  });

  test('invites expire by the injectable clock; re-inviting replaces the expired one', async () => {
    let now = Date.parse('2026-11-01T00:00:00Z');
    const g = await startTestGraph({ now: () => now, inviteTtlMs: 7 * 86_400_000, inviteVisibility: 'keep-expired' });
    try {
      const id = (await g.post(`/${BIZ}/business_users`, { email: 'slow@sandbox.example' })).body.id;
      now += 8 * 86_400_000;
      const listed = await g.get(`/${BIZ}/pending_users`, { email: 'slow@sandbox.example', fields: 'id,status,expiration_time' });
      assert.deepEqual(listed.body.data, [{ id, status: 'EXPIRED', expiration_time: '2026-11-08T00:00:00+0000' }]);
      const fresh = (await g.post(`/${BIZ}/business_users`, { email: 'slow@sandbox.example' })).body.id;
      assert.notEqual(fresh, id);
      const after = await g.get(`/${BIZ}/pending_users`, { email: 'slow@sandbox.example', fields: 'id,status' });
      assert.deepEqual(after.body.data, [{ id: fresh, status: 'PENDING' }]);
    } finally {
      await g.close();
    }
  });

  test("by default (inviteVisibility 'pending-only', as Meta lists pending users) expired invites are not listed", async () => {
    const g = await startTestGraph();
    try {
      const ids = (await g.get(`/${BIZ}/pending_users`)).body.data.map((i: { id: string }) => i.id);
      assert.deepEqual(ids, [SANDBOX.pendingInviteId]);
    } finally {
      await g.close();
    }
  });

  test('invite limit: code 17 after N invites per business, resumes after the window', async () => {
    let now = Date.parse('2026-11-01T00:00:00Z');
    const g = await startTestGraph({ now: () => now, inviteLimit: { count: 2, windowMs: 86_400_000 } });
    try {
      assert.equal((await g.post(`/${BIZ}/business_users`, { email: 'one@sandbox.example' })).status, 200);
      now += 3_600_000;
      assert.equal((await g.post(`/${BIZ}/business_users`, { email: 'two@sandbox.example' })).status, 200);
      const limited = await g.post(`/${BIZ}/business_users`, { email: 'three@sandbox.example' });
      assert.equal(limited.status, 400);
      assert.equal(limited.body.error.code, 17);
      // A business-node edge: no BUC type is documented, so X-App-Usage only (the wait is the documented 24 h).
      assert.equal(limited.headers.get('x-business-use-case-usage'), null);
      assert.ok(limited.headers.get('x-app-usage'));
      assert.equal((await g.post(`/${BIZ}/business_users`, { email: 'one@sandbox.example' })).body.error.code, 100, 'a refused repeat is not counted');
      const pending = (await g.get(`/${BIZ}/pending_users`, { email: 'one@sandbox.example' })).body.data[0].id;
      assert.equal((await g.del(`/${pending}`)).body.error.code, 17, 'cancelling is subject to the invite limit too');
      now += 23 * 3_600_000;
      assert.equal((await g.post(`/${BIZ}/business_users`, { email: 'three@sandbox.example' })).status, 200);
    } finally {
      await g.close();
    }
  });

  test('pending invite: POST changes role and returns {id}; DELETE cancels', async () => {
    const g = await startTestGraph();
    try {
      const updated = await g.post(`/${SANDBOX.pendingInviteId}`, { role: 'ADMIN' });
      assert.deepEqual(updated.body, { id: SANDBOX.pendingInviteId });
      assert.equal((await g.get(`/${SANDBOX.pendingInviteId}`)).body.role, 'ADMIN');
      assert.equal((await g.post(`/${SANDBOX.expiredInviteId}`, { role: 'ADMIN' })).body.error.code, 100, 'an expired invite cannot be changed');
      assert.deepEqual((await g.del(`/${SANDBOX.pendingInviteId}`)).body, { success: true });
      assert.equal((await g.del(`/${SANDBOX.pendingInviteId}`)).body.error.error_subcode, 33);
    } finally {
      await g.close();
    }
  });

  test('bad invites: missing email, malformed email, unknown role', async () => {
    const g = await startTestGraph();
    try {
      assert.equal((await g.post(`/${BIZ}/business_users`, { role: 'EMPLOYEE' })).body.error.message, '(#100) The parameter email is required');
      assert.equal((await g.post(`/${BIZ}/business_users`, { email: 'not-an-email' })).body.error.code, 100);
      assert.match((await g.post(`/${BIZ}/business_users`, { email: 'x@y.example', role: 'BOSS' })).body.error.message, /Param role must be one of/);
      assert.match((await g.post(`/${BIZ}/business_users`, { email: 'x@y.example', invited_user_type: '["XX"]' })).body.error.message, /invited_user_type\[0\] must be one of/);
      assert.match((await g.post(`/${BIZ}/business_users`, { email: 'x@y.example', tasks: '["OWN"]' })).body.error.message, /tasks\[0\] must be one of/);
      assert.equal(g.emulator.control.state().invites.length, 2, 'nothing created');
    } finally {
      await g.close();
    }
  });
});

describe('business users: role changes, removal, last admin (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business-user, connectors/meta-business/README.md [INF])', () => {
  test('a new email waits for verification in pending_email; clear_pending_email drops it (business-user reference)', async () => {
    const g = await startTestGraph();
    try {
      const eve = SANDBOX.employees[0];
      const before = (await g.get(`/${eve}`, { fields: 'email' })).body.email;
      assert.deepEqual((await g.post(`/${eve}`, { email: 'eve.new@sandbox.example', skip_verification_email: 'true' })).body, { success: true });
      const after = (await g.get(`/${eve}`, { fields: 'email,pending_email' })).body;
      assert.equal(after.email, before, 'the address in use stays until the person verifies the new one');
      assert.equal(after.pending_email, 'eve.new@sandbox.example');
      assert.deepEqual((await g.post(`/${eve}`, { clear_pending_email: 'true' })).body, { success: true });
      assert.equal((await g.get(`/${eve}`, { fields: 'email,pending_email' })).body.pending_email, undefined);
    } finally {
      await g.close();
    }
  });

  test('demoting or removing the last admin is 3914; with two admins the first may go', async () => {
    const g = await startTestGraph();
    try {
      const [ada, grace] = SANDBOX.admins;
      assert.deepEqual((await g.post(`/${ada}`, { role: 'EMPLOYEE' })).body, { success: true });
      assert.equal((await g.get(`/${ada}`, { fields: 'role' })).body.role, 'EMPLOYEE');
      const demote = await g.post(`/${grace}`, { role: 'EMPLOYEE' });
      assert.equal(demote.status, 400);
      assert.equal(demote.body.error.code, 3914);
      assert.deepEqual(Object.keys(demote.body.error).sort(), ['code', 'fbtrace_id', 'message', 'type'], 'only the fields Meta documents for 3914');
      const remove = await g.del(`/${grace}`);
      assert.equal(remove.body.error.code, 3914);
      const viaTasks = await g.post(`/${grace}`, { tasks: '["DEFAULT"]' });
      assert.equal(viaTasks.body.error.code, 3914);
      assert.equal((await g.get(`/${grace}`, { fields: 'role' })).body.role, 'ADMIN', 'unchanged');
    } finally {
      await g.close();
    }
  });

  test('finance_permission follows the role set (POST /{bsuid}, accepted invite); other writes keep it ([INF] connector README)', async () => {
    const g = await startTestGraph();
    try {
      const [eve, frank] = SANDBOX.employees;
      const read = async (id: string) => (await g.get(`/${id}`, { fields: 'role,tasks,finance_permission' })).body;
      assert.deepEqual(await read(frank), { id: frank, role: 'EMPLOYEE', tasks: ['DEFAULT', 'FINANCE_EDIT'], finance_permission: 'EDITOR' }, 'the fixture as written');
      await g.post(`/${frank}`, { title: 'Controller' });
      assert.equal((await read(frank)).finance_permission, 'EDITOR', 'a write without role or tasks leaves it');
      await g.post(`/${eve}`, { role: 'FINANCE_EDITOR' });
      assert.deepEqual(await read(eve), { id: eve, role: 'EMPLOYEE', tasks: ['DEFAULT', 'FINANCE_EDITOR'], finance_permission: 'EDITOR' });
      await g.post(`/${eve}`, { role: 'FINANCE_ANALYST' });
      assert.equal((await read(eve)).finance_permission, 'ANALYST');
      await g.post(`/${frank}`, { role: 'EMPLOYEE' });
      assert.deepEqual(await read(frank), { id: frank, role: 'EMPLOYEE', tasks: ['DEFAULT'] }, 'demoted: no finance permission left');
      await g.post(`/${eve}`, { role: 'ADMIN' });
      assert.deepEqual(await read(eve), { id: eve, role: 'ADMIN', tasks: ['MANAGE'] });
      const invited = (await g.post(`/${BIZ}/business_users`, { email: 'fin.new@sandbox.example', role: 'FINANCE_ANALYST' })).body.id as string;
      const { memberId } = g.emulator.control.acceptInvite(invited);
      assert.deepEqual(await read(memberId), { id: memberId, role: 'EMPLOYEE', tasks: ['DEFAULT', 'FINANCE_ANALYST'], finance_permission: 'ANALYST' });
      const plain = g.emulator.control.acceptInvite((await g.post(`/${BIZ}/business_users`, { email: 'plain.new@sandbox.example', role: 'EMPLOYEE' })).body.id).memberId;
      assert.equal((await read(plain)).finance_permission, undefined);
    } finally {
      await g.close();
    }
  });

  test('removing a person removes their asset tasks in the business', async () => {
    const g = await startTestGraph();
    try {
      const eve = SANDBOX.employees[0];
      assert.equal((await g.get(`/${eve}/assigned_ad_accounts`)).body.data.length, 1);
      assert.deepEqual((await g.del(`/${eve}`)).body, { success: true });
      assert.equal((await g.get(`/${eve}`)).body.error.error_subcode, 33);
      const left = await g.get('/act_111/assigned_users', { business: BIZ });
      assert.ok(!left.body.data.some((u: { id: string }) => u.id === eve));
      assert.ok(!g.emulator.control.state().assignments.some((a) => a.userId === eve));
    } finally {
      await g.close();
    }
  });

  test('the next page of a nested edge keeps the sub-fields asked for (results guide: next keeps fields)', async () => {
    const g = await startTestGraph();
    try {
      const sys = await g.get(`/${SANDBOX.systemUserId}`, { fields: 'assigned_ad_accounts.limit(1){id,name}' });
      assert.deepEqual(sys.body.assigned_ad_accounts.data, [{ id: 'act_111', name: 'Sandbox Ads - Main' }]);
      const next = new URL(sys.body.assigned_ad_accounts.paging.next);
      assert.equal(next.searchParams.get('fields'), 'id,name');
      const rest = await fetch(next).then((r) => r.json());
      assert.deepEqual(rest.data.map((a: { id: string; name?: string }) => Object.keys(a).sort()), [['id', 'name']]);
    } finally {
      await g.close();
    }
  });

  test('fields: defaults, edge default role, nested business, unknown field', async () => {
    const g = await startTestGraph();
    try {
      const node = await g.get(`/${SANDBOX.admins[0]}`);
      assert.deepEqual(Object.keys(node.body), ['id', 'name', 'business']);
      assert.deepEqual(node.body.business, { id: BIZ, name: 'Sandbox Portfolio' });
      const edge = await g.get(`/${BIZ}/business_users`, { limit: '1' });
      assert.deepEqual(Object.keys(edge.body.data[0]), ['id', 'name', 'business', 'role']);
      const nested = await g.get(`/${SANDBOX.admins[0]}`, { fields: 'business{name},assigned_ad_accounts{id,tasks}' });
      assert.deepEqual(nested.body.business, { id: BIZ, name: 'Sandbox Portfolio' });
      assert.deepEqual(nested.body.assigned_ad_accounts.data, [{ id: 'act_111', tasks: ['MANAGE', 'ADVERTISE', 'ANALYZE'] }]);
      const sys = await g.get(`/${SANDBOX.systemUserId}`, { fields: 'assigned_ad_accounts.limit(1){id}' });
      assert.deepEqual(sys.body.assigned_ad_accounts.data, [{ id: 'act_111' }]);
      const rest = await fetch(sys.body.assigned_ad_accounts.paging.next).then((r) => r.json());
      assert.deepEqual(rest.data.map((a: { id: string }) => a.id), ['act_112']);
      const bad = await g.get(`/${BIZ}/business_users`, { fields: 'id,shoe_size' });
      assert.equal(bad.body.error.message, '(#100) Tried accessing nonexisting field (shoe_size) on node type (BusinessUser)');
      const inv = await g.get(`/${BIZ}/pending_users`, { fields: 'id,owner{id}' });
      assert.deepEqual(inv.body.data[0].owner, { id: BIZ });
    } finally {
      await g.close();
    }
  });
});
