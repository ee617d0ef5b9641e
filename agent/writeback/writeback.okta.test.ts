import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../store/store.ts';
import { createOktaEmulator } from '../../test/emulators/okta/okta-emulator.ts';
import { createWriteback } from './writeback.ts';
import { listenOnLoopback } from '../../test/emulators/loopback-server.ts';
import { capturingLog, directoryUser, movableClock, OKTA_TOKEN, seededStore, setMemberRole, writebackConfig } from './writeback-fixtures.ts';

const HUB = 'meta-main';
const ANA = '00uana00000000000001'; // an Okta user id: 00u + 17 characters
const attr = (field: string) => `hubwarden_meta_main_${field}`;

async function setup() {
  const okta = createOktaEmulator({
    token: OKTA_TOKEN,
    // An org that does not take the attributes' `master: { type: 'OKTA' }` (the schema is sent again
    // without it), and Bo's profile source (AD) maps them: Okta refuses his update (E0000023).
    // Where the attributes are Okta-mastered, it takes it (writeback.okta-mastered.test.ts).
    readings: { schemaPropertyFields: 'reference-example' },
    users: [
      { id: ANA, login: 'ana@example.com', firstName: 'Ana' },
      { id: '00ubo00000000000000b', login: 'bo@example.com', masteredBy: 'Active Directory', sourceMapped: ['status', 'role', 'exemption', 'exemptUntil'].map(attr) },
      { id: '00udee000000000000de', login: 'dee@example.com' },
    ],
  });
  const server = await okta.listen();
  const store = await seededStore(HUB, [
    directoryUser(HUB, 'u-ana', 'ana@example.com', { externalId: ANA }),
    directoryUser(HUB, 'u-bo', 'bo@example.com', { externalId: 'not-an-okta-id' }),
    directoryUser(HUB, 'u-cy', 'cy@example.com'),
    directoryUser(HUB, 'u-dee', 'dee@example.com'),
  ], [
    { id: 'm-ana', email: 'ana@example.com', role: 'ADMIN' },
    { id: 'm-bo', email: 'bo@example.com', role: 'EMPLOYEE' },
  ]);
  const clock = movableClock();
  const log = capturingLog();
  const outcomes: string[] = [];
  const writeback = createWriteback({ config: writebackConfig({ okta: server.url }), store, log, clock, tuning: { okta: { maxRetries: 2, resetMarginMs: 0 } }, onOutcome: (idp, o) => outcomes.push(`${idp}:${o}`) });
  const userPosts = () => okta.calls.filter((c) => c.method === 'POST' && c.path.startsWith('/api/v1/users/'));
  return { okta, server, store, clock, log, writeback, userPosts, outcomes };
}

test('okta write-back through the real SDK: one schema ensure, one partial update per changed person, nothing when unchanged', async () => {
  const { okta, server, store, log, writeback, userPosts, outcomes } = await setup();
  try {
    const first = await writeback.run(HUB);
    assert.deepEqual(outcomes.sort(), ['okta:failed', 'okta:failed', 'okta:ok', 'okta:ok']);
    // Schema: read once, then one partial POST with exactly the three attributes of this hub (sent
    // once more without `master` and `description`, which this org refuses).
    const schemaCalls = okta.calls.filter((c) => c.path === '/api/v1/meta/schemas/user/default');
    assert.deepEqual(schemaCalls.map((c) => [c.method, c.status]), [['GET', 200], ['POST', 400], ['POST', 200]]);
    for (const post of schemaCalls.slice(1)) assert.deepEqual(Object.keys((post.body as any).definitions.custom.properties).sort(), [attr('exemptUntil'), attr('exemption'), attr('role'), attr('status')]);
    assert.deepEqual(okta.state().schema[attr('status')]!.enum, ['pending', 'offered', 'invited', 'invite_failed', 'onboarded', 'exempted', 'removed', 'lapsed']);

    // One POST per person: by Okta id when externalId is one, else by login.
    const posts = userPosts();
    assert.deepEqual(posts.map((c) => c.path).sort(), [`/api/v1/users/${ANA}`, '/api/v1/users/bo@example.com', '/api/v1/users/cy@example.com', '/api/v1/users/dee@example.com']);
    const anaPost = posts.find((c) => c.path.endsWith(ANA))!;
    assert.deepEqual(anaPost.body, { profile: { [attr('status')]: 'onboarded', [attr('role')]: 'ADMIN', [attr('exemption')]: null, [attr('exemptUntil')]: null } });
    assert.equal(okta.calls.some((c) => c.method === 'PUT'), false, 'never a full replace');
    const ana = okta.state().users.find((u) => u.id === ANA)!;
    assert.equal(ana.profile.firstName, 'Ana', 'other profile properties untouched');
    assert.equal(ana.profile[attr('status')], 'onboarded');

    assert.equal(first.written, 2);
    assert.equal(first.failed, 2);
    assert.deepEqual(first.problems.map((p) => [p.directoryUserId, p.kind]).sort(), [['u-bo', 'mastered-elsewhere'], ['u-cy', 'not-found']]);
    assert.match(first.problems.find((p) => p.kind === 'mastered-elsewhere')!.message, /E0000023/);

    // Second run, nothing changed: no call at all (schema already ensured, problems not retried).
    okta.control.clearCalls();
    const second = await writeback.run(HUB);
    assert.equal(okta.calls.length, 0);
    assert.equal(second.unchanged, 2);
    assert.equal(second.skipped, 2);
    assert.equal(second.problems.length, 2);

    // One value changes: exactly one partial update carrying only that attribute.
    await setMemberRole(store, HUB, 'm-ana', 'EMPLOYEE');
    const third = await writeback.run(HUB);
    assert.deepEqual(userPosts().map((c) => c.body), [{ profile: { [attr('role')]: 'EMPLOYEE' } }]);
    assert.equal(third.written, 1);

    // Audit and logs: every write recorded; no secret anywhere.
    const audit = await collect(store.list('audit', HUB));
    assert.ok(audit.some((a) => a.action === 'writeback.update' && a.outcome === 'ok' && a.subject?.directoryUserId === 'u-ana'));
    assert.ok(!JSON.stringify([log.lines, first, second, third, audit]).includes(OKTA_TOKEN));
  } finally {
    await server.close();
  }
});

test('okta: a refused person is retried after a day or when their values change, not before', async () => {
  const { server, store, clock, writeback, userPosts, okta } = await setup();
  try {
    await writeback.run(HUB);
    okta.control.clearCalls();
    clock.advance(25 * 60 * 60 * 1000);
    const later = await writeback.run(HUB);
    assert.deepEqual(userPosts().map((c) => c.path).sort(), ['/api/v1/users/bo@example.com', '/api/v1/users/cy@example.com']);
    assert.equal(later.failed, 2);
    okta.control.clearCalls();
    await setMemberRole(store, HUB, 'm-bo', 'ADMIN');
    okta.control.setMasteredBy('bo@example.com', undefined);
    const changed = await writeback.run(HUB);
    assert.deepEqual(userPosts().map((c) => c.path), ['/api/v1/users/bo@example.com']);
    assert.equal(changed.written, 1);
    assert.equal((await store.get('writebackState', HUB, 'u-bo'))!.problem, undefined, 'the problem is cleared once written');
  } finally {
    await server.close();
  }
});

test('okta: 429 E0000047 is retried after X-Rate-Limit-Reset; a wrong token stops the run', async () => {
  const { server, okta, writeback, userPosts } = await setup();
  try {
    await writeback.ensureSchema();
    okta.control.throttleNext(1, 0);
    const report = await writeback.run(HUB);
    const statuses = okta.calls.filter((c) => c.path.startsWith('/api/v1/users/')).map((c) => c.status);
    assert.equal(statuses.filter((s) => s === 429).length, 1);
    assert.equal(report.written, 2, 'the throttled update went through on retry');
    assert.equal(userPosts().filter((c) => c.status === 200).length, 2);
  } finally {
    await server.close();
  }
  const wrong = createOktaEmulator({ token: 'another-token', users: [] });
  const s2 = await wrong.listen();
  try {
    const store = await seededStore(HUB, [directoryUser(HUB, 'u1', 'a@example.com')], []);
    const wb = createWriteback({ config: writebackConfig({ okta: s2.url }), store, log: capturingLog(), clock: movableClock() });
    await assert.rejects(wb.run(HUB), (err: Error) => /E0000011/.test(err.message) && !err.message.includes(OKTA_TOKEN));
  } finally {
    await s2.close();
  }
});

test('okta: an update that fails for a passing reason (429 until the retries run out) is audited as failed and sent again on the next run', async () => {
  const { server, okta, store, writeback, log } = await setup();
  try {
    await writeback.ensureSchema();
    okta.control.throttleNext(1000, 0);
    const report = await writeback.run(HUB);
    assert.equal(report.written, 0);
    const failed = (await collect(store.list('audit', HUB))).filter((a) => a.action === 'writeback.update' && a.outcome === 'failed' && a.subject?.directoryUserId === 'u-ana');
    assert.equal(failed.length, 1, 'the failed write of ana is audited');
    assert.deepEqual([failed[0]!.trigger.type, failed[0]!.trigger.idp, failed[0]!.subject?.email], ['agent', 'okta', 'ana@example.com']);
    assert.match(failed[0]!.why, /→ .*; sent again on the next run$/);
    assert.ok(!JSON.stringify([failed, log.lines]).includes(OKTA_TOKEN));
    okta.control.throttleNext(0, 0);
    okta.control.setRateLimit(undefined);
    const next = await writeback.run(HUB);
    assert.ok(next.written >= 1, 'written on the next run');
  } finally {
    await server.close();
  }
});

test('okta: an identity provider failing update after update stops the run after 10 in a row (a failure entry for each of those, not for everyone); the next run writes them all', async () => {
  const people = Array.from({ length: 40 }, (_, i) => ({ id: `00upeople${String(i).padStart(11, '0')}`, login: `p${i}@example.com` }));
  const okta = createOktaEmulator({ token: OKTA_TOKEN, users: people });
  const server = await okta.listen();
  try {
    const store = await seededStore(HUB, people.map((p, i) => directoryUser(HUB, `u-${i}`, p.login, { externalId: p.id })), people.map((p, i) => ({ id: `m-${i}`, email: p.login, role: 'EMPLOYEE' })));
    const writeback = createWriteback({ config: writebackConfig({ okta: server.url }), store, log: capturingLog(), clock: movableClock(), tuning: { okta: { maxRetries: 0, resetMarginMs: 0 }, concurrency: 4 } });
    await writeback.ensureSchema();
    okta.control.throttleNext(100_000, 0); // every update refused for a passing reason (429 past its retries)
    const report = await writeback.run(HUB);
    assert.match(report.stopped ?? '', /^okta failed 10 updates in a row for a passing reason \(last: .*\); the rest are sent on the next run$/);
    assert.equal(report.written, 0);
    assert.equal(report.failed, 40, 'everyone not written is counted failed');
    const failures = (await collect(store.list('audit', HUB))).filter((a) => a.action === 'writeback.update' && a.outcome === 'failed');
    assert.ok(failures.length >= 10 && failures.length < 10 + 4, `one entry per update tried before the stop (${failures.length}), not one per person`);
    const posts = okta.calls.filter((c) => c.method === 'POST' && c.path.startsWith('/api/v1/users/')).length;
    assert.ok(posts < 14, `the run stopped calling (${posts} updates sent)`);
    okta.control.throttleNext(0, 0);
    okta.control.setRateLimit(undefined);
    const next = await writeback.run(HUB);
    assert.equal(next.stopped, undefined);
    assert.equal(next.written, 40, 'the next run writes everyone');
  } finally {
    await server.close();
  }
});

test('okta: people the IdP fails every time for a passing reason (a 5xx on them alone) do not keep everyone after them from being written', async () => {
  // 12 such people listed first, 30 others after them: in a fixed order, the 12 would stop every run.
  const people = Array.from({ length: 42 }, (_, i) => ({ id: `00uorder${String(i).padStart(12, '0')}`, login: `o${i}@example.com` }));
  const failing = new Set(people.slice(0, 12).map((p) => p.id));
  const okta = createOktaEmulator({ token: OKTA_TOKEN, users: people });
  const inner = await okta.listen();
  // In front of the emulator: a 500 for those people's updates (Okta's error shape), the rest passed on.
  const front = await listenOnLoopback((req, res) => {
    const id = req.url?.match(/^\/api\/v1\/users\/([^/?]+)$/)?.[1];
    if (req.method === 'POST' && id && failing.has(id)) {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ errorCode: 'E0000009', errorSummary: 'Internal Server Error', errorLink: 'E0000009', errorId: 'x', errorCauses: [] }));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c)).on('end', async () => {
      const answer = await fetch(`${inner.url}${req.url}`, { method: req.method, headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k)).map(([k, v]) => [k, String(v)])), body: chunks.length ? Buffer.concat(chunks) : undefined });
      res.writeHead(answer.status, Object.fromEntries([...answer.headers].filter(([k]) => !['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(k)))).end(Buffer.from(await answer.arrayBuffer()));
    });
  });
  try {
    const store = await seededStore(HUB, people.map((p, i) => directoryUser(HUB, `u-${i}`, p.login, { externalId: p.id })), people.map((p, i) => ({ id: `m-${i}`, email: p.login, role: 'EMPLOYEE' })));
    const writeback = createWriteback({ config: writebackConfig({ okta: front.url }), store, log: capturingLog(), clock: movableClock(), tuning: { okta: { maxRetries: 0, resetMarginMs: 0 }, concurrency: 4 } });
    const report = await writeback.run(HUB);
    assert.equal(report.stopped, undefined, `the run went through (${report.note})`);
    assert.equal(report.written, 30, 'everyone the IdP accepts is written');
    assert.equal(report.failed, 12);
  } finally {
    await front.close();
    await inner.close();
  }
});

test('a hub without an identity provider writes nothing and says why', async () => {
  const { server, writeback, okta } = await setup();
  try {
    const report = await writeback.run('no-idp');
    assert.match(report.note ?? '', /no identityProvider/);
    assert.equal(okta.calls.length, 0);
    await assert.rejects(writeback.run('nope'), /no hub "nope"/);
  } finally {
    await server.close();
  }
});

test('okta: a person whose directory record was deleted is told "removed" once, through the id written to', async () => {
  const { server, store, writeback, userPosts, okta } = await setup();
  try {
    await writeback.run(HUB);
    await store.transact((tx) => tx.delete('directoryUsers', HUB, 'u-ana'));
    okta.control.clearCalls();
    await writeback.run(HUB);
    assert.deepEqual(userPosts().map((c) => [c.path, c.body]), [[`/api/v1/users/${ANA}`, { profile: { [attr('status')]: 'removed', [attr('role')]: null } }]]);
    okta.control.clearCalls();
    await writeback.run(HUB);
    assert.equal(userPosts().length, 0, 'told once');
  } finally {
    await server.close();
  }
});

test('okta: two runs of the same hub at once queue behind each other and write each change once', async () => {
  const { server, writeback, userPosts } = await setup();
  try {
    const [a, b] = await Promise.all([writeback.run(HUB), writeback.run(HUB)]);
    assert.equal(a.written + b.written, 2);
    assert.equal(userPosts().filter((c) => c.path === `/api/v1/users/${ANA}`).length, 1);
  } finally {
    await server.close();
  }
});

test('okta: an attribute made by hand with a lower maxLength is widened to ours, so a long exemption reason is not refused for good', async () => {
  const okta = createOktaEmulator({
    token: OKTA_TOKEN,
    users: [{ id: ANA, login: 'ana@example.com' }],
    schema: { [attr('exemption')]: { title: 'made by hand', type: 'string', maxLength: 20 } },
  });
  const server = await okta.listen();
  try {
    const store = await seededStore(HUB, [directoryUser(HUB, 'u-ana', 'ana@example.com', { externalId: ANA })], [{ id: 'm-ana', email: 'ana@example.com', role: 'ADMIN' }]);
    const reason = 'contractor until the audit closes, approved by the CFO';
    await store.transact((tx) => {
      tx.put('memberMatches', HUB, 'm-ana', { hubId: HUB, memberId: 'm-ana', outcome: 'exempted', manual: false, at: '2026-11-20T10:00:00.000Z', directoryUserId: 'u-ana' });
      tx.put('exemptions', HUB, 'm-ana', { hubId: HUB, memberId: 'm-ana', reason, by: 'owner@example.com', at: '2026-11-20T10:00:00.000Z' });
    });
    const writeback = createWriteback({ config: writebackConfig({ okta: server.url }), store, log: capturingLog(), clock: movableClock() });
    const report = await writeback.run(HUB);
    assert.deepEqual(report.problems, []);
    assert.equal(okta.state().schema[attr('exemption')]!.maxLength, 1024);
    assert.equal(okta.state().users[0]!.profile[attr('exemption')], reason);
  } finally {
    await server.close();
  }
});

test('okta: an attribute made elsewhere that people may edit themselves (SELF READ_WRITE) is made READ_ONLY, so nobody can set their own standing', async () => {
  const okta = createOktaEmulator({
    token: OKTA_TOKEN,
    users: [{ id: ANA, login: 'ana@example.com' }],
    schema: {
      [attr('status')]: { title: 'made by hand', type: 'string', permissions: [{ principal: 'SELF', action: 'READ_WRITE' }] },
      [attr('role')]: { title: 'made by hand', type: 'string', maxLength: 1024 },
      [attr('exemption')]: { title: 'made by hand', type: 'string', maxLength: 1024, permissions: [{ principal: 'SELF', action: 'HIDE' }] },
    },
  });
  const server = await okta.listen();
  try {
    const store = await seededStore(HUB, [directoryUser(HUB, 'u-ana', 'ana@example.com', { externalId: ANA })], [{ id: 'm-ana', email: 'ana@example.com', role: 'ADMIN' }]);
    await createWriteback({ config: writebackConfig({ okta: server.url }), store, log: capturingLog(), clock: movableClock() }).ensureSchema();
    const post = okta.calls.find((c) => c.method === 'POST' && c.path === '/api/v1/meta/schemas/user/default')!;
    assert.deepEqual(Object.keys((post.body as any).definitions.custom.properties).sort(), [attr('exemptUntil'), attr('role'), attr('status')], 'HIDE is left alone (exemptUntil was not made by hand)');
    for (const field of ['status', 'role']) assert.deepEqual(okta.state().schema[attr(field)]!.permissions, [{ principal: 'SELF', action: 'READ_ONLY' }]);
  } finally {
    await server.close();
  }
});

test('okta: an exemption is written back with its expiry (exemptUntil), and both are cleared when it is lifted', async () => {
  const okta = createOktaEmulator({ token: OKTA_TOKEN, users: [{ id: ANA, login: 'ana@example.com' }] });
  const server = await okta.listen();
  try {
    const store = await seededStore(HUB, [directoryUser(HUB, 'u-ana', 'ana@example.com', { externalId: ANA })], [{ id: 'm-ana', email: 'ana@example.com', role: 'ADMIN' }]);
    const until = '2999-03-31T00:00:00.000Z';
    await store.transact((tx) => {
      tx.put('memberMatches', HUB, 'm-ana', { hubId: HUB, memberId: 'm-ana', outcome: 'exempted', manual: false, at: '2026-11-20T10:00:00.000Z', directoryUserId: 'u-ana' });
      tx.put('exemptions', HUB, 'm-ana', { hubId: HUB, memberId: 'm-ana', reason: 'agency lead', until, by: 'owner@example.com', at: '2026-11-20T10:00:00.000Z' });
    });
    const writeback = createWriteback({ config: writebackConfig({ okta: server.url }), store, log: capturingLog(), clock: movableClock() });
    assert.deepEqual((await writeback.run(HUB)).problems, []);
    assert.equal(okta.state().schema[attr('exemptUntil')]!.type, 'string');
    const profile = () => okta.state().users[0]!.profile;
    assert.deepEqual([profile()[attr('status')], profile()[attr('exemption')], profile()[attr('exemptUntil')]], ['exempted', 'agency lead', until]);

    // Lifted: one partial update clears the reason and the expiry with the status change.
    await store.transact((tx) => {
      tx.delete('exemptions', HUB, 'm-ana');
      tx.put('memberMatches', HUB, 'm-ana', { hubId: HUB, memberId: 'm-ana', outcome: 'onboarded', manual: false, at: '2026-11-21T10:00:00.000Z', directoryUserId: 'u-ana' });
    });
    okta.control.clearCalls();
    await writeback.run(HUB);
    const posts = okta.calls.filter((c) => c.method === 'POST' && c.path.startsWith('/api/v1/users/'));
    assert.deepEqual(posts.map((c) => c.body), [{ profile: { [attr('status')]: 'onboarded', [attr('exemption')]: null, [attr('exemptUntil')]: null } }]);
  } finally {
    await server.close();
  }
});

test('okta: an attribute made by hand with a minLength is made ours, so empty values ("none": no role, no exemption) are not refused for good', async () => {
  const okta = createOktaEmulator({
    token: OKTA_TOKEN,
    users: [{ id: ANA, login: 'ana@example.com' }],
    schema: {
      [attr('status')]: { title: 'made by hand', type: 'string', minLength: 5, maxLength: 1024, permissions: [{ principal: 'SELF', action: 'READ_ONLY' }] },
      [attr('exemption')]: { title: 'made by hand', type: 'string', minLength: 1, maxLength: 1024, permissions: [{ principal: 'SELF', action: 'READ_ONLY' }] },
    },
  });
  const server = await okta.listen();
  try {
    const store = await seededStore(HUB, [directoryUser(HUB, 'u-ana', 'ana@example.com', { externalId: ANA })], [{ id: 'm-ana', email: 'ana@example.com', role: 'ADMIN' }]);
    const writeback = createWriteback({ config: writebackConfig({ okta: server.url }), store, log: capturingLog(), clock: movableClock() });
    const report = await writeback.run(HUB);
    assert.deepEqual(report.problems, [], 'the empty exemption was taken');
    assert.equal(report.written, 1);
    assert.equal(okta.state().schema[attr('exemption')]!.minLength, undefined);
    assert.equal(okta.state().schema[attr('status')]!.minLength, 5, 'a minLength every status meets is left as made');
    assert.deepEqual([okta.state().users[0]!.profile[attr('status')], okta.state().users[0]!.profile[attr('exemption')]], ['onboarded', undefined]);
  } finally {
    await server.close();
  }
});
