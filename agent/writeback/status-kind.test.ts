import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kindOfStatus } from './status-kind.ts';

test('IdP HTTP statuses map to error kinds; transport failures and 5xx are retried as unavailable', () => {
  const cases: Array<[number | undefined, string]> = [
    [400, 'invalid-argument'], [401, 'unauthenticated'], [403, 'permission-denied'], [404, 'not-found'],
    [409, 'conflict'], [429, 'rate-limited'], [418, 'internal'], [500, 'unavailable'], [503, 'unavailable'],
    [-1, 'unavailable'], [undefined, 'unavailable'],
  ];
  for (const [status, kind] of cases) assert.equal(kindOfStatus(status), kind, `HTTP ${status}`);
});
