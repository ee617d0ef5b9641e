import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postgresForTests } from '../../../test/postgres.ts';
import { postgresReplicas } from '../../../test/postgres-replicas.ts';
import { defineDirectoryIndexes, INDEX } from '../../desired-state/directory-records.ts';
import { emailKey } from '../../matching/email-key.ts';
import { defineStandingIndexes, INVITE_BY_EMAIL, MEMBER_BY_EMAIL } from '../../standing/standing.ts';
import type { IndexOptions, Store } from '../store.ts';
import { indexDef } from './indexes.ts';
import { PostgresStore } from './postgres-store.ts';

/**
 * emailKey took Unicode NFC (December 2026). The members' and invites' email indexes call it, so
 * their key functions' text did not change: a PostgreSQL store that hashed that text alone kept
 * the entries an earlier release filed under the old keys, and a seat or invite whose email the
 * app lists decomposed was not found by the person's precomposed address (their own plan, an
 * offboarding by email). Every email index declares emailKey (`uses`), so its definition changes
 * with it and the first replica of the new release rebuilds it at open.
 */
const db = await postgresForTests();
const { freshSchema, sql } = postgresReplicas(db);
const at = '2026-12-01T00:00:00.000Z';
const DECOMPOSED = 'Jose\u0301@Example.com';
const PRECOMPOSED = 'jos\u00e9@example.com';

/**
 * The email indexes as the release before NFC filed them: emailKey trimming and lower-casing only.
 * (The members' and invites' key functions are those of today; only emailKey behind them differs.)
 */
function defineEarlierEmailIndexes(store: Store): void {
  const emailKey = (email: string) => email.trim().toLowerCase();
  store.defineIndex('appMembers', MEMBER_BY_EMAIL, (m, hub) => (m.email ? [`${hub}\u0000${emailKey(m.email)}`] : []));
  store.defineIndex('appInvites', INVITE_BY_EMAIL, (i, hub) => [`${hub}\u0000${emailKey(i.email)}`]);
  store.defineIndex('directoryUsers', INDEX.userByEmail, (u, hub) => [...new Set(u.emails.map((e) => `${hub}\u0000${e.trim().toLowerCase()}`))]);
}

/** The definitions a function makes, as a PostgreSQL store hashes them: keysOf alone, and with its declared helpers. */
function definitionsOf(define: (store: Store) => void): Map<string, { keysOnly: string; withUses: string; uses: unknown[] }> {
  const out = new Map<string, { keysOnly: string; withUses: string; uses: unknown[] }>();
  const recorder = {
    defineIndex(collection: never, name: string, keysOf: never, options?: IndexOptions) {
      out.set(name, { keysOnly: indexDef(name, collection, keysOf).hash, withUses: indexDef(name, collection, keysOf, options?.uses).hash, uses: [...(options?.uses ?? [])] });
    },
  } as unknown as Store;
  define(recorder);
  return out;
}

const definitions = new Map([...definitionsOf(defineDirectoryIndexes), ...definitionsOf(defineStandingIndexes)]);

describe('email indexes on PostgreSQL after emailKey changed', { skip: db.skip }, () => {
  test('every email index declares emailKey, so its definition changes with emailKey', () => {
    for (const name of [MEMBER_BY_EMAIL, INVITE_BY_EMAIL, INDEX.userByEmail]) {
      const d = definitions.get(name)!;
      assert.deepEqual(d.uses, [emailKey], name);
      assert.notEqual(d.withUses, d.keysOnly, name);
    }
  });

  test('an email index built by the earlier release is rebuilt at open, so the precomposed address finds rows filed decomposed', async (t) => {
    const schema = freshSchema('email-nfc');
    const earlier = new PostgresStore({ url: db.url, schema, poolSize: 2 });
    defineEarlierEmailIndexes(earlier);
    await earlier.open();
    await earlier.transact((tx) => {
      tx.put('directoryUsers', 'h', 'u1', { hubId: 'h', id: 'u1', userName: 'jose', active: true, emails: [DECOMPOSED], scim: {}, created: at, lastModified: at, version: 1 });
      tx.put('appMembers', 'h', 'm1', { hubId: 'h', id: 'm1', email: DECOMPOSED, role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
      tx.put('appInvites', 'h', 'i1', { hubId: 'h', id: 'i1', email: DECOMPOSED, role: 'EMPLOYEE', status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: at });
    });
    // As the earlier release filed them: under the decomposed key only.
    assert.deepEqual((await earlier.lookup('appMembers', MEMBER_BY_EMAIL, `h\u0000${emailKey(PRECOMPOSED)}`)).map((m) => m.id), []);
    await earlier.close();
    // And with the definitions it stored: the members' and invites' key functions read as today's
    // (they call emailKey), so it stored their text's hash; the directory one spelled the key out.
    for (const name of [MEMBER_BY_EMAIL, INVITE_BY_EMAIL]) await sql(`UPDATE "${schema}".index_definitions SET definition_hash = $1 WHERE name = $2`, [definitions.get(name)!.keysOnly, name]);

    const upgraded = new PostgresStore({ url: db.url, schema, poolSize: 2 });
    t.after(() => upgraded.close());
    defineDirectoryIndexes(upgraded);
    defineStandingIndexes(upgraded);
    await upgraded.open();
    const key = `h\u0000${emailKey(PRECOMPOSED)}`;
    assert.deepEqual((await upgraded.lookup('appMembers', MEMBER_BY_EMAIL, key)).map((m) => m.id), ['m1'], 'the member');
    assert.deepEqual((await upgraded.lookup('appInvites', INVITE_BY_EMAIL, key)).map((i) => i.id), ['i1'], 'the invite');
    assert.deepEqual((await upgraded.lookup('directoryUsers', INDEX.userByEmail, key)).map((u) => u.id), ['u1'], 'the directory user');
    // The address itself is kept as sent.
    assert.equal((await upgraded.get('appMembers', 'h', 'm1'))?.email, DECOMPOSED);
  });
});
