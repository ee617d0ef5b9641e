import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppInvite } from '../../connectors/sdk/hub-model.ts';
import type { AppInviteRecord } from '../app-state/records.ts';
import { formerIdsOf, formerRowRenames, withCurrentIds } from './former-ids.ts';

const invite = (id: string, email: string, formerIds?: string[]): AppInvite => ({ id, email, role: 'EMPLOYEE', status: 'pending', ...(formerIds ? { formerIds } : {}) });
const record = (id: string, email: string, over: Partial<AppInviteRecord> = {}): AppInviteRecord =>
  ({ hubId: 'h', id, email, role: 'EMPLOYEE', status: 'pending', sentByHubwarden: true, resendCount: 1, lastSeenAt: 'x', ...over });

test('a former id is carried only to the one listed invite naming it, never onto another listed row', () => {
  const listed = [
    invite('i-ann', 'Ann@example.com', ['old-ann']),
    invite('i-bob', 'bob@example.com', ['i-cy']), // i-cy is listed itself: another row, not Bob's
    invite('i-cy', 'cy@example.com'),
    invite('i-dee', 'dee@example.com', ['old-shared', 'i-dee']),
    invite('i-eve', 'eve@example.com', ['old-shared']), // claimed twice: whose it was is not known
  ];
  assert.deepEqual(formerIdsOf(listed), [{ from: 'old-ann', to: 'i-ann', email: 'ann@example.com' }]);
  assert.deepEqual(formerRowRenames(formerIdsOf(listed)), [{ from: 'invite:old-ann', to: 'invite:i-ann', email: 'ann@example.com', formerId: true }]);
  assert.deepEqual(formerIdsOf([invite('i-x', 'x@example.com')]), []);
});

test('the previous snapshot read under the new ids: the old record keeps its bookkeeping; with both held, the new one is kept', () => {
  const former = [{ from: 'old-ann', to: 'i-ann', email: 'ann@example.com' }, { from: 'old-bob', to: 'i-bob', email: 'bob@example.com' }];
  const previous = { invites: [record('old-ann', 'ann@example.com', { resendCount: 2 }), record('old-bob', 'bob@example.com'), record('i-bob', 'bob@example.com', { resendCount: 0 }), record('i-cy', 'cy@example.com')] };
  const now = withCurrentIds(previous, former);
  assert.deepEqual(now.invites.map((i) => [i.id, i.resendCount]), [['i-ann', 2], ['i-bob', 0], ['i-cy', 1]]);
  assert.equal(withCurrentIds(previous, []), previous);
});
