import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from '../../agent/log/logger.ts';
import { Keyring } from '../../agent/secrets/keyring.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { parseConfig } from '../../config/load.ts';
import { HOOK_SECRET_LABEL_PURPOSE, hookSecretLabel } from '../../scim-server/hooks/hook-secret.ts';
import { createOktaHookRouter } from '../../scim-server/hooks/okta.ts';
import { FakeAgent } from './fake-agent.ts';
import { serveRouters } from './test-server.ts';

/** Yesterday's date (`YYYY-MM-DDT`): events' `published` relative to the test's clock, since one older than a week is not acted on (okta-event.ts outOfWindow). */
const DAY = new Date(Date.now() - 86_400_000).toISOString().slice(0, 11);

/**
 * Rotating an Okta event hook secret: Okta sends the one configured on the hook with every delivery
 * and never retries a 4xx (https://developer.okta.com/docs/concepts/event-hooks/), so while the
 * old and the new are both configured, both are accepted for their org, and the log says which
 * one (by a keyed label, never the value) so the operator sees when the old one goes unused.
 */
const ENV = { ADMIN_TOKEN: 'admin-token-for-tests-0123456789', OLD: 'old-hook-secret-a', NEW: 'new-hook-secret-a', EU: 'eu-hook-secret' };
const config = () => parseConfig(`
server: { publicUrl: http://hubwarden.test, adminTokens: [env:ADMIN_TOKEN] }
identityProviders:
  okta: { kind: okta, orgUrl: https://acme.okta.example, eventHookSecret: [env:OLD, env:NEW] }
  okta-eu: { kind: okta, orgUrl: https://acme-eu.okta.example, eventHookSecret: env:EU }
hubs:
  - id: acme-ads
    connector: meta-business
    identityProvider: okta
    meta: { businessId: "1234567890" }
`, '/tmp/hubwarden-test/hubwarden.yaml', ENV);

const deactivation = (uuid: string, login: string) => ({
  eventType: 'com.okta.event_hook', eventTypeVersion: '1.0', cloudEventsVersion: '0.1', contentType: 'application/json',
  eventId: uuid, eventTime: `${DAY}10:00:00.000Z`, source: 'https://acme.okta.example/api/v1/eventHooks/who123',
  data: { events: [{
    uuid, published: `${DAY}10:00:00.000Z`, eventType: 'user.lifecycle.deactivate', version: '0', displayMessage: 'Deactivate', severity: 'INFO',
    actor: { id: '00uadmin', type: 'User', alternateId: 'admin@example.com', displayName: 'Admin' },
    outcome: { result: 'SUCCESS', reason: null },
    target: [{ id: `00u-${login}`, type: 'User', alternateId: login, displayName: login }],
  }] },
});

test('an org with two event hook secrets accepts a delivery with either, for that org, and logs which by its label only', async () => {
  const lines: string[] = [];
  const keep = (...args: unknown[]) => { lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')); };
  const log = { debug: keep, info: keep, warn: keep, error: keep, child: () => log } as unknown as Logger;
  const keyring = Keyring.fromKey(Buffer.alloc(32, 7));
  const agent = new FakeAgent();
  const hook = createOktaHookRouter({ config: config(), agent, store: new MemoryStore(), log, keyring });
  const server = await serveRouters([['/hooks', hook]]);
  const send = (authorization: string, uuid: string, login: string) => fetch(`${server.url}/hooks/okta`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify(deactivation(uuid, login)),
  });
  try {
    assert.equal((await send(ENV.OLD, 'e-old', 'ann@example.com')).status, 200, 'the old secret, still set in Okta');
    assert.equal((await send(ENV.NEW, 'e-new', 'bo@example.com')).status, 200, 'the new secret, once set in Okta');
    assert.equal((await send(ENV.EU, 'e-eu', 'cy@example.com')).status, 200, "the other org's single secret");
    assert.equal((await send('another-secret', 'e-bad', 'di@example.com')).status, 401, 'any other is refused');
    await hook.settled();
  } finally {
    hook.stop();
    await server.close();
  }
  const offboarded = agent.writes().map((c) => [(c.args[0] as { userName: string }).userName, (c.args[1] as { idp: string }).idp]);
  assert.deepEqual(offboarded, [['ann@example.com', 'okta'], ['bo@example.com', 'okta'], ['cy@example.com', 'okta-eu']]);
  const key = keyring.derive(HOOK_SECRET_LABEL_PURPOSE);
  const text = lines.join('\n');
  assert.ok(text.includes(`identityProviders.okta.eventHookSecret[0] (${hookSecretLabel(key, ENV.OLD)})`), text);
  assert.ok(text.includes(`identityProviders.okta.eventHookSecret[1] (${hookSecretLabel(key, ENV.NEW)})`), text);
  assert.notEqual(hookSecretLabel(key, ENV.OLD), hookSecretLabel(key, ENV.NEW));
  assert.doesNotMatch(text, /hook-secret-a|another-secret/, 'no secret, configured or presented, is logged');
});
