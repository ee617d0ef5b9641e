/**
 * Bad input to the admin REST API is a 400 problem naming what is wrong, and changes nothing: a
 * body that is JSON but not an object, a query parameter given twice, free text an admin submits
 * holding control or bidi characters (stored, then shown in the dashboard, the CLI and an IdP
 * attribute).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAdminRouter } from '../../scim-server/admin/router.ts';
import { listeningAdminApi } from './admin-api-server.ts';
import { FakeAgent } from './fake-agent.ts';
import { concretePath, routeTable } from './route-table.ts';
import { TEST_ENV, testConfig } from './test-server.ts';

const auth = { authorization: `Bearer ${TEST_ENV.ADMIN_TOKEN}` };

describe('admin REST API: bad input', () => {
  const server = listeningAdminApi();
  const { agent } = server;

  const get = (path: string) => fetch(`${server.url}/api/v1${path}`, { headers: auth });
  const post = (path: string, body: string) => fetch(`${server.url}/api/v1${path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body });

  async function problem(res: Response, status: number, detail: RegExp): Promise<{ detail: string; field?: string }> {
    assert.equal(res.status, status);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const body = await res.json();
    assert.match(body.detail, detail);
    return body;
  }

  test('a body that is valid JSON but not an object: 400 "must be a JSON object", nothing called', async () => {
    const writes = agent.writes().length;
    for (const path of ['/hubs/acme-ads/members/1001/exempt', '/hubs/acme-ads/check-for-updates', '/reports/r-1/apply', '/people/jane@example.com/offboard']) {
      for (const [body, got] of [['[]', 'a list'], ['[{"reason":"x"}]', 'a list'], ['"all"', 'a string'], ['7', 'a number'], ['null', 'null'], ['true', 'a boolean']]) {
        const p = await problem(await post(path, body), 400, new RegExp(`^the request body must be a JSON object \\(got ${got}\\)$`));
        assert.equal(p.field, 'body', `${path} ${body}`);
      }
    }
    assert.equal(agent.writes().length, writes);
    // An object still works, and an empty body is still "no fields".
    assert.equal((await post('/hubs/acme-ads/check-for-updates', '{}')).status, 202);
  });

  // JSON.parse keeps the last of a repeated name and the decoder turns bad bytes into U+FFFD: the
  // member was matched to the second user id while a card's log showed the first, and a reason was
  // stored and audited as "Vorstand \ufffd\ufffd". RFC 8259 §4 and §8.1, RFC 7493 §2.3.
  test('a body naming a field twice, or not valid UTF-8: 400 naming the problem, nothing stored', async () => {
    const writes = agent.writes().length;
    const raw = (path: string, body: BodyInit) => fetch(`${server.url}/api/v1${path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body });
    for (const [path, body, name] of [
      ['/hubs/acme-ads/members/1002/match', '{"directoryUserId":"u-jane","directoryUserId":"u-raj"}', 'directoryUserId'],
      ['/hubs/acme-ads/members/1001/exempt', '{"reason":"a", "until":"2030-01-01", "\\u0072eason":"b"}', 'reason'],
      ['/reports/r-1/apply', '{"memberIds":["1002"],"x":{"a":1,"a":2}}', 'a'],
    ]) {
      const p = await problem(await raw(path, body), 400, new RegExp(`^the request body names "${name}" twice in one object; give each field once`));
      assert.equal(p.field, 'body');
    }
    const latin1 = Buffer.concat([Buffer.from('{"reason":"Vorstand '), Buffer.from([0xe4, 0xff]), Buffer.from('"}')]);
    await problem(await raw('/hubs/acme-ads/members/1001/exempt', latin1), 400, /^the request body is not valid UTF-8/);
    assert.equal(agent.writes().length, writes, 'nothing stored');
    // A name quoted inside a value is no second name; any script in valid UTF-8 is fine.
    assert.equal((await raw('/hubs/acme-ads/members/1001/exempt', '{"reason":"\\"reason\\": Vorstand ä — 取締役"}')).status, 200);
  });

  test('a query parameter given twice: 400 naming it, not one of the values picked', async () => {
    const calls = agent.calls.length;
    for (const [path, name] of [
      ['/hubs/acme-ads/members?limit=1&limit=2', 'limit'],
      ['/hubs/acme-ads/members?status=onboarded&status=invited', 'status'],
      ['/hubs/acme-ads/members?search=a&search=a', 'search'],
      ['/tasks?hubId=acme-ads&hubId=beta-shop', 'hubId'],
      ['/audit?email=a@example.com&email=b@example.com', 'email'],
      ['/reports?hubId=a&hubId=b&hubId=c', 'hubId'],
    ]) {
      const p = await problem(await get(path), 400, new RegExp(`^query\\.${name}: given \\d times; give it once$`));
      assert.equal(p.field, `query.${name}`);
    }
    assert.equal(agent.calls.length, calls, 'the agent was not asked');
  });

  test('an exemption reason or directory user id with control or bidi characters: 400 naming the field, nothing stored', async () => {
    const writes = agent.writes().length;
    const bad = ['board\u0000member', 'board \u001b[2J\u001b[Hmember', 'line one\nline two', 'tab\there', 'c1 \u009b31m', 'invoice \u202egpj.exe', 'isolate \u2066x\u2069', 'del \u007f'];
    for (const reason of bad) {
      const p = await problem(await post('/hubs/acme-ads/members/1001/exempt', JSON.stringify({ reason })), 400,
        /^body\.reason: the text holds a (NUL character|control character \(U\+[0-9A-F]{4}(, a line break)?\); use one line of plain text|Unicode bidirectional control \(U\+20[26][0-9A-E]\) .*)$/);
      assert.equal(p.field, 'body.reason', JSON.stringify(reason));
      assert.ok(!p.detail.includes('\u001b') && !p.detail.includes('\u202e'), 'the message does not repeat the characters');
    }
    await problem(await post('/hubs/acme-ads/members/1002/match', JSON.stringify({ directoryUserId: 'u-raj\u001b]0;owned\u0007' })), 400, /^body\.directoryUserId: the text holds a control character/);
    assert.equal(agent.writes().length, writes, 'nothing stored');
    // Plain text in any script still works, and surrounding whitespace is trimmed as before.
    assert.equal((await post('/hubs/acme-ads/members/1001/exempt', JSON.stringify({ reason: '  Vorstand — José asked (تجربة)  ' }))).status, 200);
  });

  // The offboarding's directory user id was only bounded (200): one holding ESC sequences or a bidi
  // override went into the offboarding's audit entries and its 404, which people read and export.
  test('an offboarding directoryUserId with control, bidi or lone surrogate characters, or not a string: 400 naming the field, nobody offboarded', async () => {
    const writes = agent.writes().length;
    for (const [directoryUserId, detail] of [
      ['u-raj\u001b]0;owned\u0007', /^body\.directoryUserId: the text holds a control character \(U\+001B\); use one line of plain text$/],
      ['u-raj\u0000', /^body\.directoryUserId: the text holds a NUL character$/],
      ['u-\nraj', /^body\.directoryUserId: the text holds a control character \(U\+000A, a line break\)/],
      ['u-raj \u009b31m', /^body\.directoryUserId: the text holds a control character \(U\+009B\)/],
      ['u-\u202ejar', /^body\.directoryUserId: the text holds a Unicode bidirectional control \(U\+202E\)/],
      ['u-raj\ud800', /^body\.directoryUserId: the text holds a lone UTF-16 surrogate/],
      ['x'.repeat(201), /^body\.directoryUserId: expected at most 200 characters$/],
      ['  ', /^body\.directoryUserId: expected the SCIM id of a directory user$/],
      [42, /^body\.directoryUserId: expected a string$/],
    ] as Array<[unknown, RegExp]>) {
      const p = await problem(await post('/people/jane@example.com/offboard', JSON.stringify({ directoryUserId, reason: 'leaver' })), 400, detail);
      assert.equal(p.field, 'body.directoryUserId', JSON.stringify(directoryUserId));
      assert.ok(!/[\u0000-\u001f\u007f-\u009f\u202e]/.test(p.detail), 'the message does not repeat the characters');
    }
    assert.equal(agent.writes().length, writes, 'nobody offboarded');
    // A real SCIM id (a GUID, Okta's 00u…) still works, trimmed as before.
    assert.equal((await post('/people/jane@example.com/offboard', JSON.stringify({ directoryUserId: ' 8f0e4c1a-9b7d-4d8e-a2c3-5f6b7c8d9e0f ' }))).status, 202);
  });

  // A list route that dropped a parameter it does not know answered the unfiltered list: a
  // workflow asking for `?stauts=unmatched` (to remove them) got every member, an audit export
  // with `?emial=` every person's trail. A filter it cannot apply is refused instead.
  test('an unknown query parameter on a list route (a misspelled filter): 400 naming it, the agent not asked', async () => {
    const calls = agent.calls.length;
    for (const [path, name, accept] of [
      ['/hubs/acme-ads/members?stauts=unmatched', 'stauts', 'application/json'],
      ['/hubs/acme-ads/members?search[a]=x', 'search[a]', 'application/json'],
      ['/hubs/acme-ads/members?staus=invited', 'staus', 'text/csv'],
      ['/tasks?hub=acme-ads', 'hub', 'application/json'],
      ['/reports?hub=acme-ads', 'hub', 'application/json'],
      ['/approvals?hub=acme-ads', 'hub', 'application/json'],
      ['/audit?emial=jane@example.com', 'emial', 'application/json'],
      ['/audit?emial=jane@example.com', 'emial', 'text/csv'],
    ]) {
      const res = await fetch(`${server.url}/api/v1${path}`, { headers: { ...auth, accept } });
      const p = await problem(res, 400, new RegExp(`^query: unknown field\\(s\\) ${name.replace(/[[\]]/g, '\\$&')}$`));
      assert.equal(p.field, 'query', path);
    }
    assert.equal(agent.calls.length, calls, 'the agent was not asked');
    // The known filters still work.
    assert.equal((await get('/hubs/acme-ads/members?status=onboarded&limit=5&offset=0&sort=email&search=j')).status, 200);
    assert.equal((await get('/audit?hubId=acme-ads&email=jane@example.com&action=x&since=2026-01-01T00:00:00Z&before=5&limit=5')).status, 200);
    assert.equal((await get('/tasks?hubId=acme-ads&status=queued&kind=offboard&parentId=t-1')).status, 200);
  });

  // A date-time without its offset is ISO 8601 (§4.3.2, local time): "expected an ISO 8601
  // date-time" refused it while saying it was what was expected. The message names the offset.
  test('a date-time without its offset (until, since): 400 saying the offset is missing, nothing stored', async () => {
    const writes = agent.writes().length;
    const p = await problem(await post('/hubs/acme-ads/members/1001/exempt', JSON.stringify({ reason: 'x', until: '2027-01-01T00:00:00' })), 400,
      /^body\.until: expected a date \(2026-12-31\) or an ISO 8601 date-time with its offset \(2026-12-31T18:00:00Z\)$/);
    assert.equal(p.field, 'body.until');
    assert.equal(agent.writes().length, writes, 'nothing stored');
    await problem(await get('/audit?since=2026-01-31T00:00:00'), 400, /^query\.since: expected an ISO 8601 date-time with its offset, such as 2026-01-31T00:00:00Z$/);
    assert.equal((await post('/hubs/acme-ads/members/1001/exempt', JSON.stringify({ reason: 'x', until: '2027-01-01T00:00:00+02:00' }))).status, 200);
  });

  // `?email=` (a script's unset variable) folded to '', which the query read as no filter: an
  // audit export "of one person" held every person's trail.
  test('a blank audit filter (email, action): 400 naming it, the agent not asked', async () => {
    const calls = agent.calls.length;
    for (const [path, name, accept] of [
      ['/audit?email=', 'email', 'application/json'],
      ['/audit?email=%20%20', 'email', 'text/csv'],
      ['/audit?action=', 'action', 'application/json'],
    ]) {
      const res = await fetch(`${server.url}/api/v1${path}`, { headers: { ...auth, accept } });
      const p = await problem(res, 400, new RegExp(`^query\\.${name}: expected a value \\(leave the parameter out to filter nothing\\)$`));
      assert.equal(p.field, `query.${name}`, path);
    }
    assert.equal(agent.calls.length, calls, 'the agent was not asked');
  });

  test('a hub filter naming no hub (a typo): 404 naming it, not an empty list that reads as "nothing waiting"', async () => {
    for (const path of ['/tasks?hubId=acme-adz', '/reports?hubId=acme-adz', '/approvals?hubId=acme-adz']) {
      await problem(await get(path), 404, /^hub "acme-adz" does not exist$/);
    }
    for (const path of ['/tasks?hubId=acme-ads', '/reports?hubId=acme-ads', '/approvals?hubId=beta-shop', '/reports', '/approvals']) {
      assert.equal((await get(path)).status, 200, path);
    }
  });

  // Every wrong method was a 404 "does not exist": a card sending DELETE or PUT, or GET to an
  // action, was told its URL was wrong when it was the method. RFC 9110 §15.5.6: 405 with Allow.
  test('a method a route does not offer, on every route from the router\'s stack: 405 with Allow, nothing called; OPTIONS answers Allow', async () => {
    const { routes } = routeTable(createAdminRouter({ config: testConfig(), agent: new FakeAgent() }));
    const offered = new Map<string, Set<string>>();
    for (const r of routes) offered.set(r.path, (offered.get(r.path) ?? new Set()).add(r.method));
    const values = { hubId: 'acme-ads', memberId: '1001', email: 'jane@example.com', offerId: 'offer-1', id: 'r-1' };
    const calls = agent.calls.length;
    for (const [path, methods] of offered) {
      if (path === '/openapi.json') continue;
      const allow = [...methods, ...(methods.has('GET') ? ['HEAD'] : []), 'OPTIONS'].sort();
      for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => !allow.includes(m))) {
        // A body of another media type too: the method is what is wrong, not the body (415).
        const res = await fetch(`${server.url}/api/v1${concretePath({ method, path }, values)}`, { method, headers: { ...auth, 'content-type': 'text/plain' }, ...(method === 'HEAD' || method === 'GET' ? {} : { body: 'x' }) });
        assert.equal(res.status, 405, `${method} ${path}`);
        assert.deepEqual(res.headers.get('allow')?.split(', ').sort(), allow, `${method} ${path}`);
        if (method === 'HEAD') continue;
        const p = await problem(res, 405, new RegExp(`^${method} is not offered on ${path.replace(/:(\w+)/g, '\\{$1\\}')}; it answers [A-Z, ]+$`));
        assert.equal(p.field, undefined);
      }
      const options = await fetch(`${server.url}/api/v1${concretePath({ method: 'OPTIONS', path }, values)}`, { method: 'OPTIONS', headers: auth });
      assert.equal(options.status, 204, path);
      assert.deepEqual(options.headers.get('allow')?.split(', ').sort(), allow);
    }
    assert.equal(agent.calls.length, calls, 'the agent was not asked');
    // A path no route has is still a 404, and a token is still needed first.
    await problem(await fetch(`${server.url}/api/v1/hubs/acme-ads/nothing`, { method: 'DELETE', headers: auth }), 404, /does not exist$/);
    assert.equal((await fetch(`${server.url}/api/v1/hubs`, { method: 'DELETE' })).status, 401);
  });

  // Dropped, `?dryRun=true` on a removal removed the member, and the answer said it went well.
  test('a query parameter on a route that takes none (every action, the single reads): 400 naming it, nothing called', async () => {
    const calls = agent.calls.length;
    for (const [method, path] of [
      ['POST', '/hubs/acme-ads/members/1002/remove?dryRun=true'], ['POST', '/hubs/acme-ads/members/1002/match?directoryUserId=u-jane'],
      ['POST', '/hubs/acme-ads/members/1001/exempt?reason=x'], ['POST', '/hubs/acme-ads/check-for-updates?dryRun=1'], ['POST', '/reports/r-1/apply?memberIds=1002'],
      ['POST', '/approvals/a-1/approve?dryRun=1'], ['POST', '/approvals/a-1/reject?dryRun=1'], ['POST', '/people/jane@example.com/offboard?dryRun=true'],
      ['POST', '/people/jane@example.com/reevaluate?dryRun=true'], ['POST', '/people/jane@example.com/offers/offer-1/claim?dryRun=true'],
      ['GET', '/hubs?dryRun=1'], ['GET', '/hubs/acme-ads?dryRun=1'], ['GET', '/hubs/acme-ads/members/1001?dryRun=1'], ['GET', '/hubs/acme-ads/plan?dryRun=1'],
      ['GET', '/tasks/t-1?dryRun=1'], ['GET', '/people/jane@example.com/offers?dryRun=1'],
    ]) {
      const name = /\?(\w+)=/.exec(path)![1];
      const res = await fetch(`${server.url}/api/v1${path}`, { method, headers: { ...auth, 'content-type': 'application/json' }, ...(method === 'POST' ? { body: JSON.stringify({ reason: 'x' }) } : {}) });
      const p = await problem(res, 400, new RegExp(`^query: unknown field\\(s\\) ${name}$`));
      assert.equal(p.field, 'query', `${method} ${path}`);
    }
    assert.equal(agent.calls.length, calls, 'the agent was not asked');
    assert.equal((await post('/hubs/acme-ads/check-for-updates', '{}')).status, 202);
  });

  test('a required field left out says it is required; an exemption reason too long says its limit, not "expected a string"', async () => {
    const writes = agent.writes().length;
    for (const [path, body, detail] of [
      ['/hubs/acme-ads/members/1001/exempt', {}, /^body\.reason: expected a reason \(who asked and why\); the field is required$/],
      ['/hubs/acme-ads/members/1001/exempt', { reason: 'x'.repeat(501) }, /^body\.reason: expected at most 500 characters$/],
      ['/hubs/acme-ads/members/1001/exempt', { reason: 5 }, /^body\.reason: expected a string$/],
      ['/hubs/acme-ads/members/1002/match', {}, /^body\.directoryUserId: expected the SCIM id of a directory user \(the field is required\)$/],
      ['/hubs/acme-ads/members/1002/match', { directoryUserId: ['u-jane'] }, /^body\.directoryUserId: expected a string$/],
    ] as Array<[string, unknown, RegExp]>) {
      await problem(await post(path, JSON.stringify(body)), 400, detail);
    }
    assert.equal(agent.writes().length, writes, 'nothing stored');
  });

  test('an audit `since` whose "+" arrived as a space (not sent as %2B): 400 saying so', async () => {
    await problem(await get('/audit?since=2026-01-31T00:00:00+01:00'), 400, /^query\.since: expected an ISO 8601 date-time with its offset, such as 2026-01-31T00:00:00Z; its "\+" arrived as a space: send it as %2B in a query/);
    await problem(await get('/audit?since=yesterday'), 400, /^query\.since: expected an ISO 8601 date-time with its offset, such as 2026-01-31T00:00:00Z$/);
    assert.equal((await get('/audit?since=2026-01-31T00:00:00%2B01:00')).status, 200);
  });
});
