import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { urlWithoutCredentials } from '../../audit/store-operation.ts';
import { PostgresStore } from './postgres-store.ts';
import { decodeKey, describeUrl, detailOf, encodeKey, isConnectionRefused, isPoolTimeout, isRefusedByServer, isRetryable, isUnreachable, reasonOf } from './sql.ts';

/** The PostgreSQL store's key encoding and its reading of errors (sql.ts). */
describe('PostgresStore (helpers)', () => {
  test('keys escape NUL and backslash reversibly', () => {
    for (const v of ['plain', 'hub\u0000jane@example.com', 'a\\0b', '\\', '\u0000\\\u0000', '']) {
      assert.equal(decodeKey(encodeKey(v)), v);
      assert.ok(!encodeKey(v).includes('\u0000'));
    }
    assert.notEqual(encodeKey('a\u0000'), encodeKey('a\\0'));
  });

  test('the reason shown (/readyz, API answers) is a fixed classification, never PostgreSQL\'s text naming the role, database or host; the log keeps it', () => {
    const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });
    const said = [
      [pgError('28P01', 'password authentication failed for user "svc_hw"'), 'the database refused the connection (authentication) (SQLSTATE 28P01)'],
      [pgError('28000', 'no pg_hba.conf entry for host "10.0.0.5", user "svc_hw", database "hw_prod", no encryption'), 'the database refused the connection (authorization: role or pg_hba.conf) (SQLSTATE 28000)'],
      [pgError('3D000', 'database "hw_prod" does not exist'), 'the database refused the connection (no such database) (SQLSTATE 3D000)'],
      [pgError('53300', 'too many connections for role "svc_hw"'), 'the database refused the connection (too many connections) (SQLSTATE 53300)'],
      [pgError('08006', 'connection to "db.internal" failed'), 'the connection failed (SQLSTATE 08006)'],
      [pgError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:5432'), 'ECONNREFUSED'],
      [new Error('Connection terminated unexpectedly'), 'connection terminated unexpectedly'],
      [new Error('invalid connection string postgres://svc_hw:s3cret@db.internal/hw_prod'), 'an error without a code (details in the server log)'],
    ] as const;
    for (const [err, reason] of said) {
      assert.equal(reasonOf(err), reason);
      for (const secret of ['svc_hw', 'hw_prod', '10.0.0.5', 'db.internal', 's3cret']) assert.ok(!reasonOf(err).includes(secret), reasonOf(err));
    }
    assert.equal(detailOf(said[1][0]), '28000 no pg_hba.conf entry for host "10.0.0.5", user "svc_hw", database "hw_prod", no encryption');
    assert.ok(isConnectionRefused(said[0][0]) && isConnectionRefused(said[1][0]) && isConnectionRefused(said[2][0]));
    assert.ok(!isConnectionRefused(pgError('23505', 'duplicate key value violates unique constraint')));
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
  test('a server that answers but cannot take work (standby, full disk, cancelled) is told from a bug and from a conflict to run again', () => {
    const pgError = (code: string, hint?: string) => Object.assign(new Error('x'), { code, ...(hint ? { hint } : {}) });
    for (const code of ['25006', '53100', '53200', '53400', '57014', '58030']) assert.ok(isRefusedByServer(pgError(code)), code);
    for (const code of ['23505', '42P01', '40001', '40P01', '55P03']) assert.ok(!isRefusedByServer(pgError(code)), code);
    assert.ok(!isRefusedByServer(pgError('53200', 'You might need to increase max_locks_per_transaction.')), 'a full lock table: run again');
    assert.ok(!isRefusedByServer(new Error('no code')));
  });

  test('a URL described for messages, logs and the audit never shows its password, even one not percent-encoded', () => {
    // A password holding /, ? or # (common in generated ones) must be percent-encoded in a URL
    // (RFC 3986 section 3.2.1); left as it is, the URL parser ends the authority there, and what
    // follows (the password's rest, "@host/db") was read as the path or fragment and printed.
    for (const url of ['postgres://app:#Secr3t@db:5432/hw', 'postgres://app:/Secr3t@db:5432/hw', 'postgres://app:12#Secr3t@db:5432/hw', 'postgres://app:?Secr3t@db:5432/hw', 'postgres://app:Se/cr3t@db:5432/hw']) {
      assert.ok(!describeUrl(url).includes('cr3t'), `${url} described as ${describeUrl(url)}`);
      assert.ok(!urlWithoutCredentials(url).includes('cr3t'), `${url} audited as ${urlWithoutCredentials(url)}`);
    }
    assert.equal(describeUrl('postgres://app:S%23cr3t@db:5432/hw?sslmode=require'), 'postgres://app:***@db:5432/hw');
    assert.equal(urlWithoutCredentials('postgres://app:S%23cr3t@db:5432/hw'), 'postgres://db:5432/hw');
    assert.equal(describeUrl('postgres://db:5432/hw#x'), 'postgres://db:5432/hw');
  });

  test('a store whose URL has an unencoded / ? or # in its password is refused at open, saying so, without the password', async () => {
    // Parsed with the password's rest as a fragment, or (a / ? or # after part of it) refused by the
    // URL parser as a whole, which node-postgres reported as a bare "Invalid URL".
    for (const url of ['postgres://app:#Secr3t@127.0.0.1:1/hw', 'postgres://app:Se/cr3t@127.0.0.1:1/hw', 'postgres://app:Se?cr3t@127.0.0.1:1/hw']) {
      const store = new PostgresStore({ url, connectTimeoutMs: 500 });
      await assert.rejects(store.open(), (err: Error) => /percent-encoded.*%2F/.test(err.message) && !err.message.includes('cr3t') && !/Invalid URL/.test(err.message), url);
    }
  });

  test('an @ in a query parameter\'s value is no password out of place: the URL is described, audited and opened as it is', async () => {
    // A CA file under a systemd template unit's credentials (/run/credentials/<name>@<instance>.service/),
    // or an application_name naming a region: the store refused such a URL as one whose password
    // was not percent-encoded, and described it as that.
    const url = 'postgres://app:S3cret@127.0.0.1:1/hw?sslrootcert=/run/credentials/hubwarden@eu.service/db-ca.pem';
    assert.equal(describeUrl(url), 'postgres://app:***@127.0.0.1:1/hw');
    assert.equal(urlWithoutCredentials(url), 'postgres://127.0.0.1:1/hw');
    const store = new PostgresStore({ url: 'postgres://app:S3cret@127.0.0.1:1/hw?application_name=hubwarden@eu', connectTimeoutMs: 500 });
    await assert.rejects(store.open(), (err: Error) => !/percent-encoded/.test(err.message) && !err.message.includes('S3cret'));
  });
});
