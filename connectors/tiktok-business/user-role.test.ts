import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTikTokTestBed } from './test-setup.ts';
import { TIKTOK_SANDBOX as S } from './emulator/sandbox-ids.ts';
import { readApp } from '../../agent/check-for-updates/read-app.ts';

/**
 * Member rows without `user_role` ([INF] #52, emulator/readings.ts omitUserRole): the Go SDK's
 * `Member` (https://github.com/bububa/tiktok-business, model/bc/member_get.go) lists the field (ADMIN or STANDARD) on the member object, but another emulator (or TikTok) may
 * leave it out. A row of no known role is never read as STANDARD: that showed an ADMIN as
 * STANDARD, so a plan could miss their demotion or count one admin too few. The page says its
 * listing is incomplete instead, and the agent decides nothing from it.
 */
const ADMIN = S.admins[0];

describe('tiktok-business: member rows without user_role', () => {
  test('with the role given, members and invitations carry it and no page is incomplete', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      const page = await c.listMembers!();
      assert.equal(page.incomplete, undefined);
      assert.equal(page.items.find((m) => m.id === ADMIN)?.role, 'ADMIN');
    } finally {
      await bed.close();
    }
  });

  test('a member listing page with role-less rows is incomplete and shows no admin as STANDARD', async () => {
    const bed = await startTikTokTestBed({ readings: { omitUserRole: true } });
    try {
      const c = bed.connector();
      const page = await c.listMembers!();
      assert.ok(page.incomplete, 'the page says part of the listing is unknown');
      assert.match(page.incomplete!.reason, new RegExp(`member ${ADMIN} \\(no user_role\\)`));
      assert.equal(page.items.find((m) => m.id === ADMIN), undefined, 'the admin is not listed with a guessed role');
      assert.ok(!page.items.some((m) => m.role === 'STANDARD'));
    } finally {
      await bed.close();
    }
  });

  test('an invitation listing page with role-less rows is incomplete too', async () => {
    const bed = await startTikTokTestBed({ readings: { omitUserRole: true } });
    try {
      const page = await bed.connector().listInvites!();
      assert.match(page.incomplete?.reason ?? '', new RegExp(`invitation of ${S.pendingEmail.replace('.', '\\.')}`));
      assert.deepEqual(page.items, []);
    } finally {
      await bed.close();
    }
  });

  test('a check\'s read of the app fails instead of taking the members for STANDARD', async () => {
    const bed = await startTikTokTestBed({ readings: { omitUserRole: true } });
    try {
      await assert.rejects(readApp(bed.connector(), { assetTypes: ['ad_account'], partnersWithToken: [] }), /listed only part of it: the role of/);
    } finally {
      await bed.close();
    }
  });
});
