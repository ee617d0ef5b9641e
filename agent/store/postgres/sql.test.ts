import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeKey, encodeKey, isPoolTimeout, isRetryable, isUnreachable } from './sql.ts';

/** The PostgreSQL store's key encoding and its reading of errors (sql.ts). */
describe('PostgresStore (helpers)', () => {
  test('keys escape NUL and backslash reversibly', () => {
    for (const v of ['plain', 'hub\u0000jane@example.com', 'a\\0b', '\\', '\u0000\\\u0000', '']) {
      assert.equal(decodeKey(encodeKey(v)), v);
      assert.ok(!encodeKey(v).includes('\u0000'));
    }
    assert.notEqual(encodeKey('a\u0000'), encodeKey('a\\0'));
  });

  test('which errors are run again, which mean unreachable', () => {
    const pgError = (code: string, message: string, hint?: string) => Object.assign(new Error(message), { code, ...(hint ? { hint } : {}) });
    assert.equal(isRetryable(pgError('40001', 'could not serialize access due to read/write dependencies among transactions')), true);
    assert.equal(isRetryable(pgError('40P01', 'deadlock detected')), true);
    assert.equal(isRetryable(pgError('55P03', 'canceling statement due to lock timeout')), true);
    // the predicate-lock table is full: frees as the big SERIALIZABLE readers finish
    assert.equal(isRetryable(pgError('53200', 'out of shared memory', 'You might need to increase max_pred_locks_per_transaction.')), true);
    assert.equal(isRetryable(pgError('53200', 'out of memory')), false, 'other memory errors are not retried');
    assert.equal(isRetryable(pgError('23505', 'duplicate key value violates unique constraint')), false);
    const poolWait = new Error('timeout exceeded when trying to connect');
    assert.equal(isPoolTimeout(poolWait), true);
    assert.equal(isUnreachable(pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')), true);
  });
});
