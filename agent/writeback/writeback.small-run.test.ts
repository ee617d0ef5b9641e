/**
 * A run with fewer people to send than PASSING_FAILURES_TO_STOP (a small hub, a small day's
 * changes), every update failing because the IdP is unreachable (answered 503, the connection
 * dropped), never stops: before, it ended as if it went through, hub health stayed `ok` and only
 * the per-person audit entries said write-back was failing. Now such a run records "identity
 * provider unreachable" for hub health as a stopped run does, until a run lands an update; a run
 * that lands at least one keeps the others' failures per person.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { createGraphEmulator } from '../../test/emulators/graph/graph-emulator.ts';
import { listenOnLoopback, type LoopbackServer } from '../../test/emulators/loopback-server.ts';
import { createOktaEmulator } from '../../test/emulators/okta/okta-emulator.ts';
import { hubHealth } from '../health/hub-health.ts';
import type { MemoryStore } from '../store/memory-store.ts';
import { createWriteback, PASSING_FAILURES_TO_STOP } from './writeback.ts';
import { capturingLog, directoryUser, ENTRA, movableClock, OKTA_TOKEN, seededStore, writebackConfig } from './writeback-fixtures.ts';
import '../app-state/records.ts';
import '../check-for-updates/check-run.ts';

type Fault = '503' | 'drop';
const UNREACHABLE = /^write-back to (okta|entra) failing since \S+ \(last failed run \S+\): identity provider unreachable \(/;

/** A hub healthy but for write-back: a complete check for updates, just done. */
async function checkedHub(store: MemoryStore, hubId: string): Promise<void> {
  const at = new Date().toISOString();
  await store.transact((tx) => {
    tx.put('appImports', hubId, hubId, { hubId, id: hubId, complete: true, completedAt: at });
    tx.put('checkRuns', hubId, 'r1', { hubId, id: 'r1', trigger: { type: 'schedule' }, startedAt: at, finishedAt: at, durationMs: 1, outcome: 'completed', graphCalls: 1 });
  });
}

const writebackLines = async (store: MemoryStore, hubId: string) => (await hubHealth(store, hubId, new Date())).problems.filter((p) => p.startsWith('write-back to '));

/**
 * In front of an emulator: forwards every request, but a user update (Okta `POST /api/v1/users/{id}`,
 * Graph `PATCH /users/{id}`) that `faulty` picks is answered 503 with no body, or its connection is
 * dropped without an answer, while `fault` is set. The token and attribute calls always pass.
 */
async function faultyFront(inner: LoopbackServer, faulty: (url: string) => boolean = () => true) {
  const front = { fault: undefined as Fault | undefined, server: undefined as unknown as LoopbackServer };
  const isUpdate = (req: IncomingMessage) => (req.method === 'POST' || req.method === 'PATCH') && /\/users\/[^/?]+(\?|$)/.test(req.url ?? '');
  front.server = await listenOnLoopback((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c)).on('end', async () => {
      if (front.fault && isUpdate(req) && faulty(req.url ?? '')) {
        if (front.fault === 'drop') return void req.socket.destroy();
        return void res.writeHead(503).end();
      }
      const answer = await fetch(`${inner.url}${req.url}`, { method: req.method, headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k)).map(([k, v]) => [k, String(v)])), body: chunks.length ? Buffer.concat(chunks) : undefined });
      res.writeHead(answer.status, Object.fromEntries([...answer.headers].filter(([k]) => !['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(k)))).end(Buffer.from(await answer.arrayBuffer()));
    });
  });
  return front;
}

async function oktaHub(count: number, faulty?: (url: string) => boolean) {
  const hubId = 'meta-main';
  const people = Array.from({ length: count }, (_, i) => ({ id: `00usmall${String(i).padStart(12, '0')}`, login: `s${i}@example.com` }));
  const inner = await createOktaEmulator({ token: OKTA_TOKEN, users: people }).listen();
  const front = await faultyFront(inner, faulty);
  const store = await seededStore(hubId, people.map((p, i) => directoryUser(hubId, `u-${i}`, p.login, { externalId: p.id })), []);
  await checkedHub(store, hubId);
  const writeback = createWriteback({ config: writebackConfig({ okta: front.server.url }), store, log: capturingLog(), clock: movableClock(), tuning: { okta: { maxRetries: 0, resetMarginMs: 0 } } });
  return { hubId, people: people.map((p) => p.id), front, store, writeback, close: async () => { await front.server.close(); await inner.close(); } };
}

async function entraHub(count: number, faulty?: (url: string) => boolean) {
  const hubId = 'ads-eu';
  const users = Array.from({ length: count }, (_, i) => ({ id: `0c0c0c0c-1111-2222-3333-5555555555${String(i).padStart(2, '0')}`, userPrincipalName: `s${i}@contoso.com` }));
  const inner = await createGraphEmulator({ ...ENTRA, roles: ['User.ReadWrite.All', 'Application.ReadWrite.OwnedBy'], applications: [{ appId: ENTRA.extensionAppId }], users }).listen();
  const front = await faultyFront(inner, faulty);
  const store = await seededStore(hubId, users.map((u, i) => directoryUser(hubId, `u-${i}`, u.userPrincipalName, { externalId: u.id })), []);
  await checkedHub(store, hubId);
  const writeback = createWriteback({ config: writebackConfig({ graph: front.server.url }), store, log: capturingLog(), clock: movableClock(), tuning: { entra: { maxRetries: 0, delaySeconds: 0 } } });
  return { hubId, people: users.map((u) => u.id), front, store, writeback, close: async () => { await front.server.close(); await inner.close(); } };
}

for (const [kind, setUp] of [['okta', oktaHub], ['entra', entraHub]] as const) {
  for (const fault of ['503', 'drop'] as const) {
    test(`${kind}: a run of 2 people, every update ${fault === '503' ? 'answered 503' : 'dropped'}, shows the identity provider unreachable in hub health; the IdP back, the next run clears it`, async () => {
      assert.ok(2 < PASSING_FAILURES_TO_STOP, 'fewer people than stop a run');
      const hub = await setUp(2);
      try {
        hub.front.fault = fault;
        const failed = await hub.writeback.run(hub.hubId);
        assert.equal(failed.stopped, undefined, 'too few to stop the run');
        assert.deepEqual([failed.written, failed.failed], [0, 2]);
        const [line, ...more] = await writebackLines(hub.store, hub.hubId);
        assert.equal(more.length, 0);
        assert.match(line ?? '', UNREACHABLE);
        assert.ok(line!.startsWith(`write-back to ${kind} `));
        // Fixed words, never what the IdP (or the network) said.
        assert.doesNotMatch(line!, /503|ECONNRESET|socket|fetch failed/i);
        assert.equal((await hubHealth(hub.store, hub.hubId, new Date())).status, 'degraded');

        hub.front.fault = undefined;
        assert.equal((await hub.writeback.run(hub.hubId)).written, 2);
        assert.deepEqual(await writebackLines(hub.store, hub.hubId), []);
        assert.equal((await hubHealth(hub.store, hub.hubId, new Date())).status, 'ok');
      } finally {
        await hub.close();
      }
    });
  }

  test(`${kind}: a small run that lands one update keeps the other's passing failure that person's: hub health stays ok`, async () => {
    // Only the first person's updates fail (their id in the path).
    let first = '';
    const hub = await setUp(2, (url) => url.includes(first));
    first = hub.people[0]!;
    try {
      hub.front.fault = '503';
      const report = await hub.writeback.run(hub.hubId);
      assert.deepEqual([report.written, report.failed, report.stopped], [1, 1, undefined]);
      assert.deepEqual(await writebackLines(hub.store, hub.hubId), []);
    } finally {
      await hub.close();
    }
  });
}
