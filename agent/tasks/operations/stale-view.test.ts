import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectorError } from '../../../connectors/sdk/connector-error.ts';
import type { Operation } from '../../plan/operation.ts';
import { staleViewOf } from './stale-view.ts';

const base = { summary: 's', effect: 'grant' as const, reason: 'assigned' as const, email: 'jo@example.com' };
const ops: Record<string, Operation> = {
  invite: { ...base, key: 'invite:jo', kind: 'invite', email: 'jo@example.com', role: 'EMPLOYEE' },
  reinvite: { ...base, key: 'reinvite:1', kind: 'reinvite', inviteId: '1', email: 'jo@example.com', role: 'EMPLOYEE', resendCount: 0 },
  changeInvite: { ...base, key: 'ci:1', kind: 'change-invite-role', inviteId: '1', from: 'EMPLOYEE', to: 'ADMIN' },
  changeMember: { ...base, key: 'cm:2', kind: 'change-member-role', memberId: '2', from: 'EMPLOYEE', to: 'ADMIN' },
  assign: { ...base, key: 'as:2', kind: 'assign-asset', memberId: '2', asset: { type: 'ad_account', id: 'act_1' }, tasks: ['ANALYZE'] },
  remove: { ...base, key: 'rm:2', kind: 'remove-member', memberId: '2', role: 'EMPLOYEE', effect: 'removal' },
  cancel: { ...base, key: 'cx:1', kind: 'cancel-invite', inviteId: '1', effect: 'removal' },
};
const err = (kind: ConstructorParameters<typeof ConnectorError>[0], providerCode?: string) => new ConnectorError(kind, 'x', { providerCode });

test('the stale-view rule: which refusal of which operation means the app moved under the plan', () => {
  const stale: Array<[keyof typeof ops, ConnectorError]> = [
    ['invite', err('conflict', '100')], ['reinvite', err('conflict', '100')],
    ['changeInvite', err('not-found', '100/33')], ['changeMember', err('not-found', '100/33')],
    ['assign', err('not-found', '100/33')], ['assign', err('not-found', '100/1752100')], ['assign', err('not-found', '40001')],
  ];
  for (const [op, e] of stale) assert.ok(staleViewOf(ops[op], e), `${op} + ${e.kind} ${e.providerCode}`);
  const not: Array<[keyof typeof ops, unknown]> = [
    ['invite', err('invalid-argument', '100')], ['invite', err('rate-limited', '17')], ['changeInvite', err('invalid-argument', '100')],
    ['changeMember', err('conflict', '3914')], ['assign', err('invalid-argument', '100/1752129')], ['assign', err('permission-denied', '200')],
    // The kind decides, never an app's code: a bad argument is a bad argument whatever its code.
    ['assign', err('invalid-argument', '100/1752100')],
    ['remove', err('not-found', '100/33')], ['cancel', err('not-found', '100/33')], ['changeMember', new Error('a bug')],
  ];
  for (const [op, e] of not) assert.equal(staleViewOf(ops[op], e), undefined, `${op} + ${(e as ConnectorError).kind ?? 'Error'}`);
});
