import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import { createServer } from 'node:http';
import { startTestGraph } from './graph-test-client.ts';
import { createMetaEmulator } from './index.ts';
import { generateFixture } from './generate-fixture.ts';
import { SANDBOX } from './sandbox-ids.ts';
import { paginate } from './paging.ts';

const small = () => generateFixture({ members: 57, invites: 3, adAccounts: 4, pages: 1, catalogs: 1 });

/** Follows `paging.next` as the Node SDK does (absolute URL, params preserved). */
async function followAll(first: string): Promise<{ ids: string[]; pages: number[] }> {
  const ids: string[] = [];
  const pages: number[] = [];
  let url: string | undefined = first;
  for (let guard = 0; url && guard < 500; guard++) {
    const res: Response = await fetch(url);
    assert.equal(res.status, 200, `GET ${url}`);
    const body = (await res.json()) as { data: Array<{ id: string }>; paging?: { next?: string } };
    ids.push(...body.data.map((d) => d.id));
    pages.push(body.data.length);
    url = body.paging?.next;
  }
  return { ids, pages };
}

describe('cursor paging', () => {
  test('following next reads every member exactly once, with fields and token preserved', async () => {
    const g = await startTestGraph({ fixture: small() });
    try {
      const { ids, pages } = await followAll(`${g.url}/v25.0/${SANDBOX.businessId}/business_users?fields=id,email&limit=10&access_token=${SANDBOX.token}`);
      const expected = g.emulator.control.state().users.filter((u) => u.businessId === SANDBOX.businessId).map((u) => u.id);
      assert.equal(ids.length, 57);
      assert.deepEqual(ids, expected);
      assert.deepEqual(pages, [10, 10, 10, 10, 10, 7]);
      const first = await g.get(`/${SANDBOX.businessId}/business_users`, { fields: 'id,email', limit: '10' });
      const next = new URL(first.body.paging.next);
      assert.equal(next.origin, g.url);
      assert.equal(next.pathname, `/v25.0/${SANDBOX.businessId}/business_users`);
      assert.equal(next.searchParams.get('fields'), 'id,email');
      assert.equal(next.searchParams.get('access_token'), SANDBOX.token);
      assert.equal(next.searchParams.get('limit'), '10');
      assert.ok(next.searchParams.get('after'));
      assert.equal(first.body.paging.previous, undefined, 'no previous on the first page');
      assert.deepEqual(Object.keys(first.body.data[0]), ['id', 'email']);
    } finally {
      await g.close();
    }
  });

  test('short pages still carry next; following them to the end loses and repeats nothing', async () => {
    const g = await startTestGraph({ fixture: small(), faults: { shortPageRate: 0.7, seed: 42 } });
    try {
      const { ids, pages } = await followAll(`${g.url}/v25.0/${SANDBOX.businessId}/business_users?limit=10&access_token=${SANDBOX.token}`);
      assert.equal(ids.length, 57);
      assert.equal(new Set(ids).size, 57);
      assert.ok(pages.some((n, i) => n < 10 && i < pages.length - 1), `expected a short page before the last: ${pages}`);
    } finally {
      await g.close();
    }
  });

  test('previous goes back; default limit is 25; limit is capped; summary counts all', async () => {
    const g = await startTestGraph({ fixture: small() });
    try {
      const first = await g.get(`/${SANDBOX.businessId}/business_users`, { summary: 'total_count' });
      assert.equal(first.body.data.length, 25);
      assert.deepEqual(first.body.summary, { total_count: 57 });
      assert.equal((await g.get(`/${SANDBOX.businessId}/business_users`, { summary: 'true' })).body.summary, undefined, 'only the documented summary=total_count');
      const second = await fetch(first.body.paging.next).then((r) => r.json());
      const back = await fetch(second.paging.previous).then((r) => r.json());
      assert.deepEqual(back.data.map((d: { id: string }) => d.id), first.body.data.map((d: { id: string }) => d.id));
      const capped = await g.get(`/${SANDBOX.businessId}/agencies`, { limit: '100000' });
      assert.equal(capped.status, 200);
      const big = await g.get(`/${SANDBOX.businessId}/business_users`, { limit: '5000' });
      assert.equal(big.body.data.length, 57);
      assert.equal(big.body.paging.next, undefined);
    } finally {
      await g.close();
    }
  });

  test('a garbage cursor is 100, not a crash; so is a limit that is no page size (0, negative, not an integer)', async () => {
    const g = await startTestGraph();
    try {
      const r = await g.get(`/${SANDBOX.businessId}/business_users`, { after: 'bm9wZQ==' });
      assert.equal(r.status, 400);
      assert.equal(r.body.error.code, 100);
      for (const limit of ['0', '-1', '2.5', 'ten']) {
        const bad = await g.get(`/${SANDBOX.businessId}/business_users`, { limit });
        assert.equal(bad.status, 400, `limit=${limit}`);
        assert.equal(bad.body.error.code, 100, `limit=${limit}`);
      }
    } finally {
      await g.close();
    }
  });

  test('a cursor is invalid once its item is deleted (#100); one whose item remains still works', () => {
    const items = Array.from({ length: 5 }, (_, i) => ({ seq: i + 1 }));
    const req = { edgeUrl: 'http://x/e', query: {}, limit: '2', cap: 100 };
    const first = paginate(items, req);
    const rest = items.filter((i) => i.seq !== 2);
    assert.throws(() => paginate(rest, { ...req, after: first.paging!.cursors.after }), (err: Error & { code?: number }) => err.code === 100);
    assert.throws(() => paginate(items.filter((i) => i.seq !== 3), { ...req, before: paginate(items, { ...req, after: first.paging!.cursors.after }).paging!.cursors.before }), (err: Error & { code?: number }) => err.code === 100);
    assert.deepEqual(paginate(items.filter((i) => i.seq !== 1), { ...req, after: first.paging!.cursors.after }).data, [{ seq: 3 }, { seq: 4 }]);
  });

  test('visibility filters apply after the page is cut: short or empty pages that still carry next', async () => {
    // The sandbox: invites new.hire (pending) and late.joiner (expired, hidden); act_111 holds our
    // people and two partner users (hidden from business=ours).
    const g = await startTestGraph();
    try {
      const invites = await followAll(`${g.url}/v25.0/${SANDBOX.businessId}/pending_users?limit=1&access_token=${SANDBOX.token}`);
      assert.equal(invites.ids.length, 1, 'only the pending invite is listed');
      assert.ok(invites.pages.length > 1 && invites.pages.includes(0), `an empty page carried next: ${invites.pages}`);
      const all = await followAll(`${g.url}/v25.0/act_111/assigned_users?business=${SANDBOX.businessId}&limit=1000&access_token=${SANDBOX.token}`);
      const few = await followAll(`${g.url}/v25.0/act_111/assigned_users?business=${SANDBOX.businessId}&limit=1&access_token=${SANDBOX.token}`);
      assert.deepEqual(few.ids, all.ids);
      assert.ok(few.pages.slice(0, -1).includes(0), `a page with none still carried next: ${few.pages}`);
      const counted = await g.get(`/${SANDBOX.businessId}/pending_users`, { summary: 'total_count', limit: '1' });
      assert.deepEqual(counted.body.summary, { total_count: 1 }, 'the summary counts what is listed');
    } finally {
      await g.close();
    }
  });

  test('mounted inside another app (with its own body parsers): next points at the mount prefix, bodies still arrive', async () => {
    const emulator = createMetaEmulator({ fixture: small() });
    const app = express();
    // A parent app with its own body parsers must not starve the emulator of the body.
    app.use(express.json(), express.urlencoded({ extended: false }));
    app.use('/sandbox/graph', emulator.handler);
    const server = createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const base = `http://127.0.0.1:${port}/sandbox/graph`;
      const res = await fetch(`${base}/v25.0/${SANDBOX.businessId}/business_users?limit=20`, { headers: { authorization: `Bearer ${SANDBOX.token}` } });
      const body = (await res.json()) as { paging: { next: string } };
      assert.ok(body.paging.next.startsWith(`${base}/v25.0/${SANDBOX.businessId}/business_users?`), body.paging.next);
      assert.equal(new URL(body.paging.next).searchParams.get('access_token'), null, 'a Bearer token is not copied into URLs');
      const invite = await fetch(`${base}/v25.0/${SANDBOX.businessId}/business_users`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email: 'mounted@sandbox.example', access_token: SANDBOX.token }),
      });
      assert.equal(invite.status, 200);
      const json = await fetch(`${base}/v25.0/act_5000000000/assigned_users?access_token=${SANDBOX.token}`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: '3000000000000050', tasks: ['ANALYZE'] }),
      });
      assert.deepEqual(await json.json(), { success: true });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  test('paginate: an empty short page keeps the cursor where the client stood', () => {
    const items = Array.from({ length: 5 }, (_, i) => ({ seq: i + 1 }));
    const req = { edgeUrl: 'http://x/e', query: {}, limit: '2', cap: 100 };
    const first = paginate(items, { ...req, shortTo: () => 0 });
    assert.deepEqual(first.data, []);
    const again = paginate(items, { ...req, after: first.paging!.cursors.after });
    assert.deepEqual(again.data, [{ seq: 1 }, { seq: 2 }]);
  });
});
