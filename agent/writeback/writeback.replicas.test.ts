/**
 * Write-back of one hub started twice at once: by two replicas on one PostgreSQL schema (a check
 * for updates on one, the watchdog after a lapsed exemption on the other), or twice in one process
 * on lowdb. One run writes each person; the other says it left the hub to the run in progress.
 * Without that both read "not written yet", both sent the same update, and the audit log said
 * twice that the value changed; and two runs that computed different values could leave the IdP
 * with the older one while the store recorded the newer one as written (never corrected).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOktaEmulator } from '../../test/emulators/okta/okta-emulator.ts';
import { freshSchemas } from '../../test/fresh-schemas.ts';
import { until } from '../../test/agent-e2e/harness.ts';
import { postgresForTests } from '../../test/postgres.ts';
import { LowdbStore } from '../store/lowdb-store.ts';
import { collect, type Store } from '../store/store.ts';
import { createWriteback } from './writeback.ts';
import { capturingLog, directoryUser, OKTA_TOKEN, twoReplicas, writebackConfig } from './writeback-fixtures.ts';

const HUB = 'meta-main';
const T = '2026-11-20T10:00:00.000Z';
const people = ['ana', 'bo', 'cy', 'dee', 'eli', 'fay'];
const attr = (field: string) => `hubwarden_meta_main_${field}`;

const db = await postgresForTests();
const freshSchema = freshSchemas(db);

async function seed(store: Store): Promise<void> {
  await store.transact((tx) => {
    for (const p of people) {
      tx.put('directoryUsers', HUB, `u-${p}`, directoryUser(HUB, `u-${p}`, `${p}@example.com`));
      tx.put('appMembers', HUB, `m-${p}`, { hubId: HUB, id: `m-${p}`, email: `${p}@example.com`, role: 'EMPLOYEE', firstSeenAt: T, lastSeenAt: T });
    }
  });
}

function setRole(store: Store, p: string, role: string): Promise<void> {
  return store.transact(async (tx) => {
    const m = (await tx.get('appMembers', HUB, `m-${p}`))!;
    tx.put('appMembers', HUB, `m-${p}`, { ...m, role });
  });
}

/** Two stores on one schema (two replicas), or one lowdb store used twice (one process). */
const kinds: Array<{ kind: string; skip: string | false; open(): Promise<{ a: Store; b: Store; close(): Promise<void> }> }> = [
  {
    kind: 'postgres, two replicas', skip: db.skip,
    open: () => twoReplicas(db.url, freshSchema('writeback-races')),
  },
  {
    kind: 'lowdb, one process', skip: false,
    open: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'hubwarden-wb-races-'));
      const store = new LowdbStore(join(dir, 'hubwarden.json'));
      await store.open();
      return { a: store, b: store, close: async () => { await store.close(); await rm(dir, { recursive: true, force: true }); } };
    },
  },
];

for (const k of kinds) {
  describe(`write-back started twice at once (${k.kind})`, { skip: k.skip }, () => {
    test('each person is written and audited once, and what the store says was written is what the IdP holds', async () => {
      const okta = createOktaEmulator({ token: OKTA_TOKEN, users: people.map((p) => ({ login: `${p}@example.com` })) });
      const server = await okta.listen();
      const { a, b, close } = await k.open();
      try {
        await seed(a);
        const config = writebackConfig({ okta: server.url });
        const wbA = createWriteback({ config, store: a, log: capturingLog() });
        // On lowdb the same instance runs twice (the check's and the watchdog's run share it).
        const wbB = a === b ? wbA : createWriteback({ config, store: b, log: capturingLog() });
        await wbA.ensureSchema();
        await wbB.ensureSchema();
        const posts = (p: string) => okta.calls.filter((c) => c.method === 'POST' && c.path === `/api/v1/users/${p}@example.com`).length;
        const audited = async (p: string) => {
          let n = 0;
          for await (const e of a.newestFirst('audit')) if (e.action === 'writeback.update' && e.outcome === 'ok' && e.subject?.directoryUserId === `u-${p}`) n++;
          return n;
        };

        const reports = await Promise.all([wbA.run(HUB), wbB.run(HUB)]);
        for (const p of people) {
          assert.equal(posts(p), 1, `${p} written once (reports: ${JSON.stringify(reports.map((r) => ({ written: r.written, unchanged: r.unchanged, note: r.note })))})`);
          assert.equal(await audited(p), 1, `${p}'s write audited once`);
        }

        // Roles change; both runs again at once: the IdP ends with the new values, each sent once.
        for (const p of people) await setRole(a, p, 'ADMIN');
        await Promise.all([wbA.run(HUB), wbB.run(HUB)]);
        for (const p of people) {
          assert.equal(posts(p), 2, `${p} written once more`);
          assert.equal(await audited(p), 2);
          const profile = okta.state().users.find((u) => u.profile.login === `${p}@example.com`)!.profile;
          const state = await a.get('writebackState', HUB, `u-${p}`);
          assert.equal(profile[attr('role')], 'ADMIN');
          assert.equal(state?.written?.role, profile[attr('role')], 'the store records what the IdP holds');
        }
      } finally {
        await close();
        await server.close();
      }
    });

    test('a run asked for while another is writing is not lost: the change it was asked for reaches the IdP', async () => {
      const okta = createOktaEmulator({ token: OKTA_TOKEN, users: people.map((p) => ({ login: `${p}@example.com` })) });
      const server = await okta.listen();
      const { a, b, close } = await k.open();
      try {
        await seed(a);
        const config = writebackConfig({ okta: server.url });
        // Slow on purpose (5 people a second): the first run is still writing when the second is asked for.
        const tuning = { rate: { okta: { perSecond: 5, burst: 1 } }, concurrency: 1 };
        const wbA = createWriteback({ config, store: a, log: capturingLog(), tuning });
        const wbB = a === b ? wbA : createWriteback({ config, store: b, log: capturingLog(), tuning });
        await wbA.ensureSchema();
        await wbB.ensureSchema();
        const first = wbA.run(HUB);
        await new Promise((r) => setTimeout(r, 250));
        // Fay's role changes after the first run read every value; the second run is asked for then.
        await setRole(a, 'fay', 'ADMIN');
        const second = await wbB.run(HUB);
        await first;
        const fay = okta.state().users.find((u) => u.profile.login === 'fay@example.com')!.profile;
        assert.equal(fay[attr('role')], 'ADMIN', `fay's new role written (second run: ${JSON.stringify({ written: second.written, note: second.note })})`);
        assert.equal((await a.get('writebackState', HUB, 'u-fay'))?.written?.role, 'ADMIN');
        assert.equal(await a.get('writebackRuns', '', HUB), undefined, 'the lease is given back');
      } finally {
        await close();
        await server.close();
      }
    });

    test('a run asked for while a replica that then died held the hub runs once that lease lapses', { skip: k.kind.startsWith('lowdb') && 'one process: no lease (runs queue in the process)' }, async () => {
      const okta = createOktaEmulator({ token: OKTA_TOKEN, users: people.map((p) => ({ login: `${p}@example.com` })) });
      const server = await okta.listen();
      const { a, b, close } = await k.open();
      try {
        await seed(a);
        // A replica died writing back the hub: its lease stays until it lapses, renewed by nobody.
        await a.transact((tx) => tx.put('writebackRuns', '', HUB, { hubId: HUB, owner: 'writeback-dead-replica', until: new Date(Date.now() + 400).toISOString() }));
        const wbB = createWriteback({ config: writebackConfig({ okta: server.url }), store: b, log: capturingLog() });
        const report = await wbB.run(HUB);
        assert.equal(report.deferred, true);
        assert.equal(report.written, 0);
        await until('written after the lease lapsed', async () => (await a.get('writebackState', HUB, 'u-ana'))?.written?.role === 'EMPLOYEE');
        await until('the lease given back', async () => (await a.get('writebackRuns', '', HUB)) === undefined);
        for (const p of people) assert.equal(okta.calls.filter((c) => c.method === 'POST' && c.path === `/api/v1/users/${p}@example.com`).length, 1);
      } finally {
        await close();
        await server.close();
      }
    });

    test('a run asked for while a replica that then died held the hub, which fails once taken, is audited as a failed run', { skip: k.kind.startsWith('lowdb') && 'one process: no lease (runs queue in the process)' }, async () => {
      // The IdP refuses the token: the run taken after the lease lapsed stops at once.
      const okta = createOktaEmulator({ token: 'another-token', users: people.map((p) => ({ login: `${p}@example.com` })) });
      const server = await okta.listen();
      const { a, b, close } = await k.open();
      try {
        await seed(a);
        await a.transact((tx) => tx.put('writebackRuns', '', HUB, { hubId: HUB, owner: 'writeback-dead-replica', until: new Date(Date.now() + 300).toISOString() }));
        const wbB = createWriteback({ config: writebackConfig({ okta: server.url }), store: b, log: capturingLog() });
        assert.equal((await wbB.run(HUB)).deferred, true);
        const failed = async () => {
          for await (const e of a.newestFirst('audit')) if (e.action === 'writeback.run' && e.outcome === 'failed') return e;
          return undefined;
        };
        await until('the failed run audited', async () => (await failed()) !== undefined, 5_000);
        const entry = (await failed())!;
        assert.equal(entry.hubId, HUB);
        assert.match(entry.why, /asked for while another replica held the hub.*stopped: .*E0000011/);
        assert.ok(!JSON.stringify(entry).includes(OKTA_TOKEN));
      } finally {
        await close();
        await server.close();
      }
    });

    test('a run whose lease was lost (renewed too late, taken by another replica) stops before its next person instead of writing beside the holder', { skip: k.kind.startsWith('lowdb') && 'one process: no lease' }, async () => {
      const okta = createOktaEmulator({ token: OKTA_TOKEN, users: people.map((p) => ({ login: `${p}@example.com` })) });
      const server = await okta.listen();
      const { a, close } = await k.open();
      try {
        await seed(a);
        const log = capturingLog();
        // Slow (5 people a second, one at a time) with a short lease renewed every 100 ms.
        const wb = createWriteback({ config: writebackConfig({ okta: server.url }), store: a, log, tuning: { rate: { okta: { perSecond: 5, burst: 1 } }, concurrency: 1, leaseMs: 300 } });
        await wb.ensureSchema();
        const running = wb.run(HUB);
        // Whoever comes first (a run takes people in a random order).
        await until('the first person written', async () => (await collect(a.list('writebackState', HUB))).some((st) => st.written !== undefined));
        // Another replica took the lease (as it does once this one's lapsed unrenewed).
        await a.transact((tx) => tx.put('writebackRuns', '', HUB, { hubId: HUB, owner: 'writeback-other-replica', until: new Date(Date.now() + 60_000).toISOString() }));
        const report = await running;
        const posted = people.filter((p) => okta.calls.some((c) => c.method === 'POST' && c.path === `/api/v1/users/${p}@example.com`));
        assert.ok(posted.length < people.length, `stopped before writing everyone beside the holder (posted: ${posted.join(', ')})`);
        assert.match(report.stopped ?? '', /lease on the hub's run was lost/);
        assert.equal((await a.get('writebackRuns', '', HUB))?.owner, 'writeback-other-replica', 'the holder\'s lease is left to it');
      } finally {
        await close();
        await server.close();
      }
    });
  });
}
