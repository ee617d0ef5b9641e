/**
 * A write-back run that stalls past its lease (a GC pause, a process starved of CPU) while another
 * replica takes the lease over and writes newer values: when the stalled run resumes, it must not
 * land the value it computed before the stall over the newer one. Before the fence, the lease was
 * looked at only by a timer that renewed it and before each person was taken; a run that resumed
 * with a person already taken sent that person's stale value before the timer could tell it had
 * lost the lease.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createGraphEmulator } from '../../test/emulators/graph/graph-emulator.ts';
import { createOktaEmulator } from '../../test/emulators/okta/okta-emulator.ts';
import { freshSchemas } from '../../test/fresh-schemas.ts';
import { until } from '../../test/agent-e2e/harness.ts';
import { postgresForTests } from '../../test/postgres.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect, type Store } from '../store/store.ts';
import type { WritebackClock } from './pacing.ts';
import { createWriteback } from './writeback.ts';
import { capturingLog, directoryUser, ENTRA, EXT_PREFIX, OKTA_TOKEN, twoReplicas, writebackConfig } from './writeback-fixtures.ts';

const T = '2026-11-20T10:00:00.000Z';
const people = ['ana', 'bo', 'cy'];

/** Each IdP through its real SDK and its emulator: the hub written back to it, a person's role there, the updates sent. */
const idps = [
  {
    idp: 'okta', hub: 'meta-main', domain: 'example.com',
    start: async () => {
      const okta = createOktaEmulator({ token: OKTA_TOKEN, users: people.map((p) => ({ login: `${p}@example.com` })) });
      const server = await okta.listen();
      return {
        server, urls: { okta: server.url },
        role: (p: string) => okta.state().users.find((u) => u.profile.login === `${p}@example.com`)!.profile.hubwarden_meta_main_role,
        updates: () => okta.calls.filter((c) => c.method === 'POST' && c.path.startsWith('/api/v1/users/')).length,
      };
    },
  },
  {
    idp: 'entra', hub: 'ads-eu', domain: 'contoso.com',
    start: async () => {
      const graph = createGraphEmulator({ ...ENTRA, applications: [{ appId: ENTRA.extensionAppId, objectId: 'ext-app-object' }], users: people.map((p) => ({ userPrincipalName: `${p}@contoso.com` })) });
      const server = await graph.listen();
      return {
        server, urls: { graph: server.url },
        role: (p: string) => graph.state().users.find((u) => u.userPrincipalName === `${p}@contoso.com`)![`${EXT_PREFIX}hubwarden_ads_eu_role`],
        updates: () => graph.calls.filter((c) => c.method === 'PATCH' && c.path.includes('/users/')).length,
      };
    },
  },
];

const db = await postgresForTests();
const freshSchema = freshSchemas(db);

/** A gate the test opens: everything waiting on it resumes together, as a process after a pause. */
function gate(): { wait(): Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { wait: () => opened, open };
}

/**
 * Replica A stalled on demand: once armed, its next pacing sleep (before an IdP call) waits until
 * `thaw`; once frozen, so do its store transactions (the lease renewals among them).
 */
function freezable(store: Store) {
  const stall = gate();
  let frozen = false;
  let armed = false;
  let sleeping!: () => void;
  const asleep = new Promise<void>((resolve) => (sleeping = resolve));
  const wrapped = new Proxy(store, {
    get(target, prop) {
      if (prop === 'transact') return async (...args: unknown[]) => { if (frozen) await stall.wait(); return (target.transact as (...a: unknown[]) => unknown)(...args); };
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const clock: WritebackClock = {
    now: () => Date.now(),
    sleep: async (ms) => {
      if (armed) {
        armed = false;
        sleeping();
        await stall.wait();
      } else await new Promise((r) => setTimeout(r, ms));
    },
  };
  return {
    store: wrapped, clock, asleep,
    arm: () => { armed = true; },
    freeze: () => { frozen = true; },
    thaw: () => { frozen = false; stall.open(); },
  };
}

/** Marked shared: two write-backs on it behave as two replicas on one PostgreSQL schema. */
function sharedMemory(): Store {
  const store = new MemoryStore();
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'shared') return true;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const kinds: Array<{ kind: string; skip: string | false; open(): Promise<{ a: Store; b: Store; close(): Promise<void> }> }> = [
  {
    kind: 'postgres, two replicas', skip: db.skip,
    open: () => twoReplicas(db.url, freshSchema('writeback-fence')),
  },
  {
    kind: 'memory store shared by two write-backs', skip: false,
    open: async () => {
      const store = sharedMemory();
      return { a: store, b: store, close: async () => undefined };
    },
  },
];

for (const k of kinds) for (const { idp, hub: HUB, domain, start } of idps) {
  describe(`write-back lease fence (${k.kind}, ${idp})`, { skip: k.skip }, () => {
    test('a run stalled past its lease does not overwrite, once it resumes, what the run that took the lease over wrote', async () => {
      const { server, urls, role, updates } = await start();
      const { a, b, close } = await k.open();
      const frozenA = freezable(a);
      try {
        await b.transact((tx) => {
          for (const p of people) {
            tx.put('directoryUsers', HUB, `u-${p}`, directoryUser(HUB, `u-${p}`, `${p}@${domain}`));
            tx.put('appMembers', HUB, `m-${p}`, { hubId: HUB, id: `m-${p}`, email: `${p}@${domain}`, role: 'EMPLOYEE', firstSeenAt: T, lastSeenAt: T });
          }
        });
        const config = writebackConfig(urls);
        const leaseMs = 1_000; // short, but with room for a loaded machine's renewals
        const logA = capturingLog();
        // A: one call a second, burst 1, so after its schema call its first update waits in the
        // pacing, where the test stalls it (the clock's sleep) with every store call it makes.
        const wbA = createWriteback({ config, store: frozenA.store, clock: frozenA.clock, log: logA, tuning: { rate: { [idp]: { perSecond: 1, burst: 1 } }, concurrency: 1, leaseMs } });
        const wbB = createWriteback({ config, store: b, log: capturingLog(), tuning: { concurrency: 1, leaseMs } });
        await wbA.ensureSchema();

        frozenA.arm();
        const runA = wbA.run(HUB);
        // A has taken the lease and read everyone's values (role EMPLOYEE); its first update waits.
        await frozenA.asleep;
        frozenA.freeze();
        // The roles change meanwhile.
        await b.transact(async (tx) => {
          for (const p of people) tx.put('appMembers', HUB, `m-${p}`, { ...(await tx.get('appMembers', HUB, `m-${p}`))!, role: 'ADMIN' });
        });
        // A renews nothing while stalled: its lease lapses, and B takes it over and writes the new roles.
        await until('A\'s lease lapsed', async () => {
          const held = await b.get('writebackRuns', '', HUB);
          return held !== undefined && Date.parse(held.until) < Date.now();
        });
        const reportB = await wbB.run(HUB);
        assert.equal(reportB.written, people.length, `B wrote everyone (B: ${JSON.stringify({ note: reportB.note, stopped: reportB.stopped })})`);
        for (const p of people) assert.equal(role(p), 'ADMIN');
        const updatesBeforeThaw = updates();

        // A resumes with a person taken and their stale value computed.
        frozenA.thaw();
        const reportA = await runA;

        for (const p of people) {
          assert.equal(role(p), 'ADMIN', `${p}: the newer value B wrote stays in the IdP (A: ${JSON.stringify({ written: reportA.written, stopped: reportA.stopped })})`);
          assert.equal((await b.get('writebackState', HUB, `u-${p}`))?.written?.role, 'ADMIN', `${p}: the store records what Okta holds`);
        }
        assert.equal(updates(), updatesBeforeThaw, 'A sent no update after it resumed');
        assert.match(reportA.stopped ?? '', /lease on the hub's run was lost/);
        assert.equal(reportA.written, 0);
        assert.ok(logA.lines.some((l) => (l as { level: string; message: string }).level === 'warn' && /lease on the hub's run was lost/.test((l as { message: string }).message)), 'A says why it stopped');
        const okAudits = (await collect(b.newestFirst('audit'))).filter((e) => e.action === 'writeback.update' && e.outcome === 'ok');
        assert.equal(okAudits.length, people.length, 'only B\'s writes are audited as written');
      } finally {
        frozenA.thaw();
        await close();
        await server.close();
      }
    });
  });
}
