/**
 * Okta write-back against other readings of what Okta's documentation cited in docs/writeback.md
 * leaves open ([INF]): the emulator answers as another Okta emulator written from the same documentation might,
 * and hubwarden still writes everyone, once, through the real @okta/okta-sdk-nodejs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOktaEmulator, type OktaReadings } from '../../test/emulators/okta/okta-emulator.ts';
import { OKTA_MAX_RESET_WAIT_MS, resetEpochMs } from './okta-target.ts';
import { createWriteback } from './writeback.ts';
import { capturingLog, directoryUser, movableClock, OKTA_TOKEN, seededStore, writebackConfig } from './writeback-fixtures.ts';

const HUB = 'meta-main';
const attr = (field: string) => `hubwarden_meta_main_${field}`;

async function setup(readings: OktaReadings, users = [{ id: '00uana00000000000001', login: 'ana@example.com' }, { id: '00ubo00000000000000b', login: 'bo@example.com' }]) {
  const okta = createOktaEmulator({ token: OKTA_TOKEN, users, readings });
  const server = await okta.listen();
  const store = await seededStore(HUB, users.map((u, i) => directoryUser(HUB, `u-${i}`, u.login, { externalId: u.id })), [{ id: 'm-ana', email: 'ana@example.com', role: 'ADMIN' }]);
  const log = capturingLog();
  const clock = movableClock();
  const writeback = createWriteback({ config: writebackConfig({ okta: server.url }), store, log, clock, tuning: { okta: { maxRetries: 2, resetMarginMs: 0 } } });
  return { okta, server, writeback, log, clock };
}

test('okta: user and schema updates answered 204 with no body are written once, not failed and re-sent on every run', async () => {
  const { okta, server, writeback } = await setup({ userUpdateAnswer: 'no-content', schemaUpdateAnswer: 'no-content' });
  try {
    const first = await writeback.run(HUB);
    assert.equal(first.failed, 0, JSON.stringify(first.problems));
    assert.equal(first.written, 2);
    assert.equal(okta.state().users[0]!.profile[attr('status')], 'onboarded');
    okta.control.clearCalls();
    const second = await writeback.run(HUB);
    assert.equal(second.unchanged, 2);
    assert.equal(okta.calls.length, 0, 'nothing re-sent');
  } finally {
    await server.close();
  }
});

test('okta: a schema that takes only the fields of Okta\'s custom-property example gets our attributes without description and master', async () => {
  const { okta, server, writeback } = await setup({ schemaPropertyFields: 'reference-example' });
  try {
    const report = await writeback.run(HUB);
    assert.equal(report.written, 2, report.note);
    const posts = okta.calls.filter((c) => c.method === 'POST' && c.path === '/api/v1/meta/schemas/user/default');
    assert.deepEqual(posts.map((c) => c.status), [400, 200]);
    const status = okta.state().schema[attr('status')]!;
    assert.equal(status.master, undefined);
    assert.deepEqual(status.permissions, [{ principal: 'SELF', action: 'READ_ONLY' }], 'people still may not edit their standing');
    assert.equal(okta.state().schema[attr('exemption')]!.maxLength, 1024);
  } finally {
    await server.close();
  }
});

// Okta's UserSchema model has `enum` (https://developer.okta.com/docs/reference/api/schemas/), but
// whether an org takes it is untested: one that refuses `enum`
// stopped write-back at its schema, the same refused POSTs at every run.
test('okta: an org that does not take enum gets our attributes as plain strings, once', async () => {
  const { okta, server, writeback } = await setup({ schemaPropertyFields: 'reference-example', schemaEnum: 'refused' });
  try {
    const report = await writeback.run(HUB);
    assert.equal(report.written, 2, report.note);
    const posts = okta.calls.filter((c) => c.method === 'POST' && c.path === '/api/v1/meta/schemas/user/default');
    assert.deepEqual(posts.map((c) => c.status), [400, 400, 200]);
    const status = okta.state().schema[attr('status')]!;
    assert.equal(status.enum, undefined);
    assert.deepEqual(status.permissions, [{ principal: 'SELF', action: 'READ_ONLY' }], 'people still may not edit their standing');
    assert.equal(okta.state().users[0]!.profile[attr('status')], 'onboarded');
    okta.control.clearCalls();
    const second = await writeback.run(HUB);
    assert.equal(second.unchanged, 2);
    assert.equal(okta.calls.filter((c) => c.method === 'POST').length, 0, 'the schema is not sent again');
  } finally {
    await server.close();
  }
});

test('okta: an X-Rate-Limit-Reset in epoch milliseconds does not pause write-back for millennia', async () => {
  const { okta, server, writeback, clock } = await setup({ rateLimitReset: 'epoch-ms' });
  try {
    await writeback.ensureSchema();
    // One call a second: the first write answers X-Rate-Limit-Remaining 0, and its reset pauses the bucket.
    // Okta's windows kept by the write-back's clock: its waits in the bucket are waits for Okta too.
    okta.control.setRateLimit({ limit: 1, windowSeconds: 1, now: clock.now });
    const report = await writeback.run(HUB);
    assert.equal(report.written, 2, JSON.stringify(report.problems));
    assert.ok(report.waitedMs <= OKTA_MAX_RESET_WAIT_MS, `waited ${report.waitedMs} ms`);
  } finally {
    await server.close();
  }
});

test('X-Rate-Limit-Reset: epoch seconds as Okta sends it; epoch ms and seconds-from-now read as such; never more than the bound ahead', () => {
  const now = Date.UTC(2026, 11, 4, 12);
  const inSec = Math.floor(now / 1000) + 30;
  assert.equal(resetEpochMs(String(inSec), now), inSec * 1000);
  assert.equal(resetEpochMs(String(inSec * 1000), now), inSec * 1000);
  assert.equal(resetEpochMs('30', now), now + 30_000);
  assert.equal(resetEpochMs(String(inSec + 86_400), now), now + OKTA_MAX_RESET_WAIT_MS);
  for (const bad of [null, undefined, '', 'soon', '-5', 'Fri, 04 Dec 2026 12:00:30 GMT']) assert.equal(resetEpochMs(bad, now), undefined, String(bad));
});

test('okta: users addressed only by id, with ids of another form than 00u + 17: written through the externalId, not all refused as missing', async () => {
  const users = [{ id: '00uana0000000001', login: 'ana@example.com' }, { id: '7d3f6a52-5c1e-4c8e-9a52-0c2b1f1e9d10', login: 'bo@example.com' }];
  const { okta, server, writeback } = await setup({ userAddressing: 'id-only' }, users);
  try {
    const report = await writeback.run(HUB);
    assert.equal(report.written, 2, JSON.stringify(report.problems));
    assert.deepEqual(okta.state().users.map((u) => u.profile[attr('status')]), ['onboarded', 'pending']);
    // The login first (the id is not 00u + 17), then the externalId once the login is not found.
    assert.deepEqual(okta.calls.filter((c) => c.method === 'POST' && c.path.startsWith('/api/v1/users/')).map((c) => `${c.path} ${c.status}`).sort(), [
      '/api/v1/users/00uana0000000001 200', `/api/v1/users/${users[1]!.id} 200`, '/api/v1/users/ana@example.com 404', '/api/v1/users/bo@example.com 404',
    ]);
  } finally {
    await server.close();
  }
});

test('okta: a userName that is no login (no "@") and no Okta user id is not sent: Okta would read it as a login shortname, which names another person here', async () => {
  // Jane's app username is her email prefix (an Okta app's "Email prefix" format) and her SCIM
  // externalId is not an Okta user id. Her Okta login is jdoe@example.com; another person's login
  // is jane.doe@partner.example, whose shortname is Jane's userName.
  const users = [{ id: '00ujdoe0000000000001', login: 'jdoe@example.com' }, { id: '00uother000000000002', login: 'jane.doe@partner.example' }];
  const okta = createOktaEmulator({ token: OKTA_TOKEN, users, readings: { userAddressing: 'id-login-or-shortname' } });
  const server = await okta.listen();
  const store = await seededStore(HUB, [directoryUser(HUB, 'u-jane', 'jane.doe', { email: 'jdoe@example.com', emails: ['jdoe@example.com'], externalId: 'hr-4711' })], [{ id: 'm-jane', email: 'jdoe@example.com', role: 'ADMIN' }]);
  const writeback = createWriteback({ config: writebackConfig({ okta: server.url }), store, log: capturingLog(), clock: movableClock(), tuning: { okta: { maxRetries: 2, resetMarginMs: 0 } } });
  try {
    const report = await writeback.run(HUB);
    const other = okta.state().users.find((u) => u.id === '00uother000000000002')!;
    assert.equal(other.profile[attr('status')], undefined, 'another person\'s profile is never written');
    assert.equal(okta.calls.some((c) => c.method === 'POST' && c.path.startsWith('/api/v1/users/')), false, 'nothing sent to a shortname');
    assert.equal(report.written, 0);
    assert.deepEqual(report.problems.map((p) => [p.directoryUserId, p.kind]), [['u-jane', 'not-found']]);
    assert.match(report.problems[0]!.message, /shortname/);
  } finally {
    await server.close();
  }
});
