/**
 * A PostgreSQL store URL whose password holds an unencoded / ? or # (common in generated ones) does
 * not parse as written (RFC 3986 §3.2.1: they end the user information): the config names the key
 * and reference and says to percent-encode them, never a bare "Invalid URL", never the password.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from './load.ts';
import { NOT_POSTGRES, postgresUrlProblem, UNENCODED_PASSWORD, UNPARSABLE } from './postgres-url.ts';

const HUB = 'hubs:\n  - id: acme\n    connector: meta-business\n    meta: { businessId: "1" }\n';
const PG = `store: { kind: postgres, url: env:DATABASE_URL }\n${HUB}`;
// Each a password cut by the parser: refused whole ("Invalid URL"), or read as a port, path or fragment.
const UNENCODED = ['app:Se/cr3t', 'app:Se#cr3t', 'app:Se?cr3t', 'app:#Secr3t', 'app:Secr3t/', 'app:12/Secr3t', 'app:S/e?c#r3t'];

function problemsOf(url: string): string[] {
  try {
    parseConfig(PG, '/tmp/hubwarden-test/pg.yaml', { DATABASE_URL: url });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

test('store.url: a password with an unencoded / ? or # is named at the key, told to percent-encode, never shown', () => {
  for (const userinfo of UNENCODED) {
    for (const url of [`postgres://${userinfo}@db.example:5432/hubwarden`, `postgresql://${userinfo}@db.example/hubwarden`]) {
      assert.equal(postgresUrlProblem(url), UNENCODED_PASSWORD, url);
      const problems = problemsOf(url);
      assert.deepEqual(problems, [`store.url: env:DATABASE_URL: ${UNENCODED_PASSWORD}`], url);
      assert.ok(!problems[0]!.includes('cr3t') && !problems[0]!.includes('\n'), 'one line, no password');
      assert.match(problems[0]!, /percent-encoded.*%2F.*%3F.*%23/);
    }
  }
});

test('store.url: the same passwords percent-encoded pass; a bad port or a scheme of another database is said as that', () => {
  for (const userinfo of UNENCODED) {
    const encoded = userinfo.replace(/^app:/, '').replace(/[/?#]/g, (c) => encodeURIComponent(c));
    assert.equal(postgresUrlProblem(`postgres://app:${encoded}@db.example:5432/hubwarden`), undefined, encoded);
    assert.deepEqual(problemsOf(`postgres://app:${encoded}@db.example:5432/hubwarden`), []);
  }
  // An @ in a query parameter's value is no password out of place (a systemd credentials path).
  assert.equal(postgresUrlProblem('postgres://app:pw@db/hw?sslrootcert=/run/credentials/hubwarden@eu.service/ca.pem'), undefined);
  assert.equal(postgresUrlProblem('postgres://app:p:w@db/hw'), undefined, 'a : in the password parses');
  assert.equal(postgresUrlProblem('postgres://app:Secr3t@db.example:54x2/hw'), UNPARSABLE);
  assert.deepEqual(problemsOf('postgres://app:Secr3t@db.example:54x2/hw'), [`store.url: env:DATABASE_URL: ${UNPARSABLE}`]);
  assert.deepEqual(problemsOf('mysql://app:Se/cr3t@db/x'), [`store.url: env:DATABASE_URL ${NOT_POSTGRES}`]);
  // A bad port with an @ in a query parameter: the port is what is wrong, not the password.
  assert.equal(postgresUrlProblem('postgres://app:Secr3t@db.example:54x2/hw?sslrootcert=/run/credentials/hubwarden@eu.service/ca.pem'), UNPARSABLE);
  assert.equal(postgresUrlProblem('postgres://db.example:54x2/hw?sslrootcert=/run/credentials/hubwarden@eu.service/ca.pem'), UNPARSABLE);
});
