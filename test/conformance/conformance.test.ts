import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import newman from 'newman';
import { startScimApp, type ScimTestApp } from '../../scim-server/scim/test-app.ts';
import { suiteStores } from '../suite-stores.ts';

/**
 * Both identity providers' published SCIM suites, every assertion, against a freshly started
 * server, run with newman: Okta's "SCIM 2.0 SPEC Test"
 * (https://developer.okta.com/docs/guides/scim-provisioning-integration-prepare/main/) and
 * Microsoft's SCIMReferenceCode Postman collection (https://github.com/AzureAD/SCIMReferenceCode).
 * Okta's run needs one existing user in its hub; Microsoft's needs an EMPTY hub. Both run on
 * lowdb (the default store) and on PostgreSQL (a fresh schema), so a replica of a fleet answers
 * the identity providers' traffic the same way; the PostgreSQL run needs the test database.
 *
 * The collections are not part of this repository (their licences and sizes are their own): they
 * are read from HUBWARDEN_CONFORMANCE_DIR, else from `conformance/` in the folder beside the
 * clone's (`../shared/conformance`, where CI puts them). Without them the suite is skipped with
 * one line saying so, so `npm test` passes in a fresh clone.
 */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const shared = resolve(process.env.HUBWARDEN_CONFORMANCE_DIR ?? resolve(repoRoot, '../shared/conformance'));
const COLLECTIONS = ['okta-Okta-SCIM-20-SPEC-Test.postman_collection.json', 'AzureAD-SCIMReferenceCode-PostmanCollection.no-token.json'];
const missing = COLLECTIONS.filter((file) => !existsSync(join(shared, file)));
const skip = missing.length > 0 ? `skipped: ${missing.join(', ')} not found in ${shared} (the suites are not part of this repository; set HUBWARDEN_CONFORMANCE_DIR to run them)` : false;

interface RunSummary { total: number; failed: number; failures: string[] }

function runCollection(collection: string, envVars: Record<string, string>): Promise<RunSummary> {
  return new Promise((resolvePromise, reject) => {
    newman.run(
      {
        collection: resolve(shared, collection),
        envVar: Object.entries(envVars).map(([key, value]) => ({ key, value })),
        reporters: [],
        timeoutRequest: 10_000,
      },
      (err, summary) => {
        if (err) return reject(err);
        const a = summary.run.stats.assertions;
        const failures = summary.run.failures.map((f) => `${f.source?.name ?? '?'}: ${f.error?.test ?? ''} ${f.error?.message ?? ''}`);
        resolvePromise({ total: a.total ?? 0, failed: a.failed ?? 0, failures });
      },
    );
  });
}

for (const kind of await suiteStores('lowdb', 'postgres')) describe(`SCIM conformance suites (${kind.kind})`, { skip: skip || kind.skip }, () => {
  let app: ScimTestApp;
  let dispose: () => Promise<void>;
  before(async () => {
    // lowdb, the durable store the product ships with (every response waits for the disk), and
    // PostgreSQL, what a fleet of replicas shares.
    const opened = await kind.open();
    dispose = opened.dispose;
    const store = opened.store;
    app = await startScimApp({ store, hubs: [{ id: 'okta-spec', identityProvider: 'okta' }, { id: 'ms-suite', identityProvider: 'entra' }] });
    // Okta's SPEC test reads the first user of the hub and expects a complete profile.
    const res = await fetch(`${app.hubUrl('okta-spec')}/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${app.token('okta-spec')}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: 'precondition.user@atko.com',
        name: { givenName: 'Precondition', familyName: 'User' },
        emails: [{ primary: true, type: 'work', value: 'precondition.user@atko.com' }],
        active: true,
      }),
    });
    assert.equal(res.status, 201);
  });
  after(async () => {
    await app.close();
    await dispose();
  });

  test('Okta SCIM 2.0 SPEC test: 53/53 assertions', async () => {
    const r = await runCollection(COLLECTIONS[0]!, {
      SCIMBaseURL: app.hubUrl('okta-spec'),
      auth: `Bearer ${app.token('okta-spec')}`,
    });
    assert.deepEqual(r.failures, []);
    assert.equal(r.failed, 0);
    assert.equal(r.total, 53);
  });

  test('Microsoft SCIMReferenceCode collection: 107/107 assertions on an empty hub', async () => {
    assert.equal(await app.store.count('directoryUsers', 'ms-suite'), 0);
    const r = await runCollection(COLLECTIONS[1]!, {
      Protocol: 'http',
      Server: '127.0.0.1',
      Port: `:${new URL(app.url).port}`,
      Api: 'scim/v2/hubs/ms-suite',
      token: app.token('ms-suite'),
    });
    assert.deepEqual(r.failures, []);
    assert.equal(r.failed, 0);
    assert.equal(r.total, 107);
  });
});
