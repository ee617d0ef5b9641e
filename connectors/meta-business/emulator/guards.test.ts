import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGraph } from './graph-test-client.ts';
import { sandboxFixture } from './fixture.ts';
import { SANDBOX } from './sandbox-ids.ts';

const BIZ = SANDBOX.businessId;

test('enforceTwoFactor: people changes in a 2FA business are 415/2859009 and change nothing', async () => {
  const fixture = sandboxFixture();
  fixture.businesses[0].two_factor_type = 'admin_required';
  const g = await startTestGraph({ fixture, guards: { enforceTwoFactor: true } });
  try {
    const before = g.emulator.control.state();
    for (const r of [
      await g.post(`/${BIZ}/business_users`, { email: 'x@sandbox.example' }),
      await g.post(`/${SANDBOX.employees[0]}`, { role: 'ADMIN' }),
      await g.del(`/${SANDBOX.employees[0]}`),
      await g.del(`/${SANDBOX.pendingInviteId}`),
    ]) {
      assert.equal(r.body.error.code, 415);
      assert.equal(r.body.error.error_subcode, 2859009);
    }
    assert.deepEqual(g.emulator.control.state(), before);
    assert.equal((await g.get(`/${BIZ}/business_users`)).status, 200, 'reads are unaffected');
  } finally {
    await g.close();
  }
});

test('without the guard, the same 2FA business accepts changes', async () => {
  const fixture = sandboxFixture();
  fixture.businesses[0].two_factor_type = 'admin_required';
  const g = await startTestGraph({ fixture });
  try {
    assert.equal((await g.post(`/${BIZ}/business_users`, { email: 'x@sandbox.example' })).status, 200);
  } finally {
    await g.close();
  }
});

test('noAdvancedAccess: business_users is code 10', async () => {
  const g = await startTestGraph({ guards: { noAdvancedAccess: true } });
  try {
    const r = await g.get(`/${BIZ}/business_users`);
    assert.equal(r.body.error.code, 10);
    assert.equal((await g.get(`/${BIZ}/pending_users`)).status, 200);
  } finally {
    await g.close();
  }
});

test('newAdminRestrictionDays: a recently added system user gets 10/2859030, an old one passes', async () => {
  const fixture = sandboxFixture();
  fixture.systemUsers[0].created_time = '-2d';
  const g = await startTestGraph({ fixture, guards: { newAdminRestrictionDays: 7 } });
  try {
    const r = await g.post(`/${BIZ}/business_users`, { email: 'x@sandbox.example' });
    assert.equal(r.body.error.code, 10);
    assert.equal(r.body.error.error_subcode, 2859030);
    assert.equal(r.body.error.error_user_title, 'This Action Is Not Allowed');
    const partner = await g.get(`/${SANDBOX.partner.businessId}/business_users`, {}, SANDBOX.partner.token);
    assert.equal(partner.status, 200);
  } finally {
    await g.close();
  }
});

test('shareNeedsAdminApproval: sharing an ad account answers requires_admin_approval and grants nothing; other assets share as usual', async () => {
  const g = await startTestGraph({ guards: { shareNeedsAdminApproval: true } });
  try {
    const before = g.emulator.control.state().shares;
    const r = await g.post('/act_112/agencies', { business: SANDBOX.partner.businessId, permitted_tasks: '["ANALYZE"]' });
    assert.deepEqual(r.body, { success: true, requires_admin_approval: true });
    assert.deepEqual(g.emulator.control.state().shares, before, 'not in effect until approved');
    assert.deepEqual((await g.post(`/${SANDBOX.pageId}/agencies`, { business: SANDBOX.partner.businessId, permitted_tasks: '["ANALYZE"]' })).body, { success: true });
  } finally {
    await g.close();
  }
});

test('clientAdAccountsLimited: client_ad_accounts is (#200); owned ad accounts and the other client edges answer', async () => {
  const g = await startTestGraph({ guards: { clientAdAccountsLimited: true } });
  try {
    const r = await g.get(`/${BIZ}/client_ad_accounts`);
    assert.deepEqual([r.body.error.code, r.body.error.message], [200, '(#200) Permissions error']);
    for (const edge of ['owned_ad_accounts', 'client_pages', 'client_product_catalogs', 'client_pixels']) assert.equal((await g.get(`/${BIZ}/${edge}`)).status, 200, edge);
  } finally {
    await g.close();
  }
});
