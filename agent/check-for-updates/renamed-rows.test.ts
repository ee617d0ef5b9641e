import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppInviteRecord, AppMemberRecord } from '../app-state/records.ts';
import { renamedRows } from './renamed-rows.ts';

const T = '2026-12-03T12:00:00Z';
const invite = (id: string, email: string, status: AppInviteRecord['status'] = 'pending'): AppInviteRecord =>
  ({ hubId: 'h', id, email, role: 'EMPLOYEE', status, sentByHubwarden: true, resendCount: 0, lastSeenAt: T });
const member = (id: string, email: string, inviteId?: string): AppMemberRecord =>
  ({ hubId: 'h', id, email, role: 'EMPLOYEE', firstSeenAt: T, lastSeenAt: T, ...(inviteId ? { inviteId } : {}) });

test('a provisional invite listed under its id, and an accepted invite become renames; the rest does not', () => {
  const previous = { members: [member('m-old', 'old@example.com')], invites: [invite('pending:jane@example.com', 'Jane@example.com'), invite('i-bob', 'bob@example.com'), invite('i-kept', 'kept@example.com')] };
  const next = {
    members: [member('m-old', 'old@example.com'), member('m-bob', 'bob@example.com', 'i-bob')],
    invites: [invite('i-jane', 'jane@example.com'), invite('i-kept', 'kept@example.com'), invite('i-new', 'new@example.com')],
  };
  assert.deepEqual(renamedRows(previous, next), [
    { from: 'invite:pending:jane@example.com', to: 'invite:i-jane', email: 'jane@example.com' },
    { from: 'invite:i-bob', to: 'm-bob', email: 'bob@example.com' },
  ]);
  assert.deepEqual(renamedRows(next, next), []);
});
