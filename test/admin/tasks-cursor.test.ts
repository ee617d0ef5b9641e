/**
 * GET /tasks pages by cursor: the `next` of a page, passed back as `after`, starts the following
 * page after that page's last task in the list's order (newest created first), so tasks queued,
 * or finished and moved to the archive, between two requests neither repeat nor are skipped
 * (offset paging repeats one). A cursor that names no place is a 400 naming `query.after`. The
 * CLI's paging (fetchPages) follows the cursor. On every store kind (test/suite-stores.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentApi } from '../../agent/api.ts';
import type { AdminClient } from '../../agent/cli/admin-client.ts';
import { fetchPages } from '../../agent/cli/paging.ts';
import type { Store } from '../../agent/store/store.ts';
import { defineParentIndex } from '../../agent/tasks/parent-tasks.ts';
import { archiveFinishedTasks } from '../../agent/tasks/prune.ts';
import { queryTasks } from '../../agent/tasks/task-query.ts';
import type { TaskRecord } from '../../agent/tasks/task-record.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { createAdminRouter } from '../../scim-server/admin/router.ts';
import { scopedAgent } from '../../scim-server/web/scoped-agent.ts';
import { suiteStores } from '../suite-stores.ts';
import { serveRouters, TEST_ENV, testConfig } from './test-server.ts';

const HUB = 'acme-ads';
const auth = { authorization: `Bearer ${TEST_ENV.ADMIN_TOKEN}` };
const BASE = Date.parse('2026-11-01T00:00:00.000Z');
const ids = (body: { items: Array<{ id: string }> }) => body.items.map((t) => t.id);

/** A task created `n` minutes after BASE: t01 is the oldest. Done ones finished long ago (archivable). */
function task(n: number, status: 'queued' | 'completed' = 'queued', hubId = HUB): TaskRecord {
  const createdAt = new Date(BASE + n * 60_000).toISOString();
  return {
    id: `t${String(n).padStart(2, '0')}`, hubId, kind: 'invite', status, idempotencyKey: `k${n}`, payload: {}, summary: `task ${n}`,
    trigger: { type: 'admin' }, attempts: status === 'completed' ? 1 : 0, attemptsEnded: status === 'completed' ? 1 : 0,
    createdAt, updatedAt: createdAt, ...(status === 'completed' ? { completedAt: createdAt } : {}),
  };
}

async function withServer(store: Store, fn: (get: (query: string) => Promise<{ status: number; type: string; body: any }>) => Promise<void>): Promise<void> {
  const agent = { hub: async (id: string) => (id === HUB ? { id } : undefined), tasks: (q: object) => queryTasks(store, q) } as unknown as AgentApi;
  const server = await serveRouters([['/api/v1', createAdminRouter({ config: testConfig(), agent })]]);
  try {
    await fn(async (query) => {
      const res = await fetch(`${server.url}/api/v1/tasks?${query}`, { headers: auth });
      return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.json() };
    });
  } finally {
    await server.close();
  }
}

const put = (store: Store, tasks: TaskRecord[]) => store.transact((tx) => { for (const t of tasks) tx.put('tasks', t.hubId, t.id, t); });

for (const kind of await suiteStores('memory', 'lowdb', 'postgres')) {
  describe(`GET /tasks cursor paging (${kind.kind})`, { skip: kind.skip }, () => {
    test('`next` then `after`: tasks queued or archived between pages neither repeat nor are skipped; offset paging repeats one', async () => {
      const { store, dispose } = await kind.open();
      // queryTasks reads children by the parent index the agent defines (createAgentApi).
      defineParentIndex(store);
      try {
        await put(store, [task(1), task(2, 'completed'), task(3), task(4), task(5), task(6)]);
        await withServer(store, async (get) => {
          const first = await get('limit=2');
          assert.equal(first.status, 200);
          assert.deepEqual(ids(first.body), ['t06', 't05']);
          assert.equal(typeof first.body.next, 'string', 'a page with tasks after it has a cursor');
          // Meanwhile a task is queued (newest: before every page) and t02, finished, moves to the archive.
          await put(store, [task(7)]);
          assert.equal(await archiveFinishedTasks(store, Date.now()), 1);
          assert.deepEqual(ids((await get('offset=2&limit=2')).body), ['t05', 't04'], 'offset paging shows t05 twice (the documented instability)');
          const second = await get(`limit=2&after=${encodeURIComponent(first.body.next)}`);
          assert.deepEqual(ids(second.body), ['t04', 't03']);
          assert.equal(second.body.total, 7, 'total counts every match, the new task too');
          await put(store, [task(8)]);
          const third = await get(`limit=2&after=${encodeURIComponent(second.body.next)}`);
          assert.deepEqual(ids(third.body), ['t02', 't01'], 'the archived task keeps its place');
          assert.equal(third.body.next, undefined, 'the last page has no next');
          // Filters apply after the cursor as before it; offsets still page (same order).
          assert.deepEqual(ids((await get(`status=completed&after=${encodeURIComponent(first.body.next)}`)).body), ['t02']);
          assert.deepEqual(ids((await get('offset=1&limit=3')).body), ['t07', 't06', 't05']);
        });
      } finally {
        await dispose();
      }
    });

    test('a cursor that is no `next` of the task list is a 400 problem naming query.after', async () => {
      const { store, dispose } = await kind.open();
      try {
        await put(store, [task(1)]);
        await withServer(store, async (get) => {
          const b64 = (v: unknown) => encodeURIComponent(Buffer.from(JSON.stringify(v)).toString('base64url'));
          for (const after of ['junk', b64(['tasks', 'not-a-date', 't01']), b64(['tasks', '2026-11-01T00:00:00.000Z', '']), b64(['email', 'a', 'b', 'c']), b64({ createdAt: '2026-11-01T00:00:00.000Z' })]) {
            const res = await get(`after=${after}`);
            assert.equal(res.status, 400, after);
            assert.match(res.type, /application\/problem\+json/);
            assert.equal(res.body.field, 'query.after');
            assert.match(res.body.detail, /^query\.after: expected the `next` of a previous page of tasks/);
          }
        });
      } finally {
        await dispose();
      }
    });

    test('the CLI (fetchPages) follows `next` across API pages: a task queued after each page repeats none', async () => {
      const { store, dispose } = await kind.open();
      try {
        await put(store, Array.from({ length: 620 }, (_, i) => task(i + 1)));
        await withServer(store, async (get) => {
          let queued = 1000;
          const client = {
            async get(path: string) {
              const res = await get(new URL(path, 'http://x').searchParams.toString());
              assert.equal(res.status, 200, JSON.stringify(res.body));
              await put(store, [task(queued++)]); // newer than every listed task: an offset page would repeat one
              return res.body;
            },
          } as unknown as AdminClient;
          const page = await fetchPages<{ id: string }>(client, '/tasks', new URLSearchParams({ hubId: HUB }), 1000);
          const seen = page.items.map((t) => t.id);
          assert.equal(new Set(seen).size, seen.length, 'no task twice');
          assert.equal(seen.length, 620);
          assert.equal(seen[0], 't620');
          assert.equal(seen.at(-1), 't01');
        });
      } finally {
        await dispose();
      }
    });
  });
}

test("the dashboard's list for a manager of several hubs merges them in the same order and pages by the same cursor", async () => {
  const store = new MemoryStore();
  await store.open();
  await put(store, [1, 3, 5].map((n) => task(n, 'queued', 'acme-ads')));
  await put(store, [2, 4, 6].map((n) => task(n, 'queued', 'beta-shop')));
  const agent = { hubs: async () => [{ id: 'acme-ads' }, { id: 'beta-shop' }, { id: 'other' }], tasks: (q: object) => queryTasks(store, q) } as unknown as AgentApi;
  const viewer = { admin: false, actor: 'max@acme.example', email: 'max@acme.example', roles: new Map([['acme-ads', 'manager' as const], ['beta-shop', 'manager' as const]]), self: new Map() };
  const scoped = scopedAgent(agent, () => viewer, { hubRoleOf: async () => undefined, approvalMembers: async () => [], refused: async () => {} });
  const first = await scoped.tasks({ limit: 2 });
  assert.deepEqual(first.items.map((t) => t.id), ['t06', 't05']);
  await put(store, [task(7, 'queued', 'beta-shop'), task(8, 'queued', 'other')]);
  const second = await scoped.tasks({ limit: 3, after: first.next });
  assert.deepEqual(second.items.map((t) => t.id), ['t04', 't03', 't02']);
  const third = await scoped.tasks({ limit: 3, after: second.next });
  assert.deepEqual(third.items.map((t) => t.id), ['t01']);
  assert.equal(third.next, undefined);
  await store.close();
});
