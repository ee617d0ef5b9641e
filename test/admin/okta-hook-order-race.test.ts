/**
 * Two Okta events of one person handled at the same moment in two deliveries (Okta delivers at
 * least once, concurrently and possibly out of order: https://developer.okta.com/docs/concepts/event-hooks/).
 * The earlier-published one arrives first and is held after it decided to act, before its change
 * is written; the later-published one is handled and applied meanwhile. The state must end as the
 * later-published event says: the check "was a later change of this person applied?" is made in
 * the transaction that applies the change, so the held one, written last, is refused.
 *
 * Run on the real agent API (the suspension flag, the offboarding task) over a memory store and,
 * with CI=true, PostgreSQL; the case held inside its transaction on PostgreSQL only (said there).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAgentApi } from '../../agent/agent-api.ts';
import type { AgentApi, PersonChangeOptions } from '../../agent/api.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import { defineDirectoryIndexes } from '../../agent/desired-state/directory-records.ts';
import { testHub, testUser } from '../../agent/grants/grant-fixtures.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { PostgresStore } from '../../agent/store/postgres/postgres-store.ts';
import type { Store } from '../../agent/store/store.ts';
import { createOktaHookRouter } from '../../scim-server/hooks/okta.ts';
import { freshSchemas } from '../fresh-schemas.ts';
import { postgresForTests } from '../postgres.ts';
import { serveRouters, TEST_ENV, testConfig } from './test-server.ts';
import { oktaDelivery, oktaEvent } from './okta-event-fixture.ts';
import { until } from '../agent-e2e/harness.ts';

/** Yesterday's date (`YYYY-MM-DDT`): events within the week they are acted on (okta-event.ts outOfWindow). */
const DAY = new Date(Date.now() - 86_400_000).toISOString().slice(0, 11);

const db = await postgresForTests();
const freshSchema = freshSchemas(db);

const kinds: Array<{ kind: string; skip: string | false; open(): Promise<Store> }> = [
  { kind: 'memory', skip: false, open: async () => new MemoryStore() },
  { kind: 'postgres', skip: db.skip, open: async () => new PostgresStore({ url: db.url, schema: freshSchema('hookorder'), poolSize: 4 }) },
];

const event = oktaEvent;
const delivery = oktaDelivery;

/**
 * A gate: the action of the event named is held until `open()`: on its way to the agent, or
 * (`inside`) in the agent's transaction, after the ordering check it was given ran.
 */
function gated(agent: AgentApi, eventId: string, inside = false) {
  let open!: () => void;
  const opened = new Promise<void>((r) => { open = r; });
  let reached!: () => void;
  const atGate = new Promise<void>((r) => { reached = r; });
  /** The events whose action reached the agent (in `detail`, as `<eventType> <id>`), held or not. */
  const reachedAgent: string[] = [];
  const arrive = (trigger: { detail?: string }) => { reachedAgent.push(trigger.detail?.split(' ').pop() ?? ''); };
  const hold = async (trigger: { detail?: string }) => {
    if (!trigger.detail?.endsWith(` ${eventId}`)) return;
    reached();
    await opened;
  };
  const wrapped: AgentApi = new Proxy(agent, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop === 'suspendPerson' && inside) {
        return (person: Parameters<AgentApi['suspendPerson']>[0], suspended: boolean, trigger: Trigger, options?: PersonChangeOptions) => {
          arrive(trigger);
          return target.suspendPerson(person, suspended, trigger, {
            within: async (tx) => { await options?.within?.(tx); await hold(trigger); },
          });
        };
      }
      if (prop === 'suspendPerson') return async (...args: Parameters<AgentApi['suspendPerson']>) => { arrive(args[2]); await hold(args[2]); return target.suspendPerson(...args); };
      if (prop === 'offboard') return async (...args: Parameters<AgentApi['offboard']>) => { arrive(args[1]); await hold(args[1]); return target.offboard(...args); };
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { agent: wrapped, open, atGate, reachedAgent };
}

for (const k of kinds) {
  describe(`Okta events of one person racing across deliveries (${k.kind})`, { skip: k.skip }, () => {
    async function setup(heldEvent: string, inside = false) {
      const store = await k.open();
      defineDirectoryIndexes(store);
      await store.open();
      const hub = testHub();
      await store.transact((tx) => tx.put('directoryUsers', hub.id, 'u-raj', testUser('u-raj', 'raj@example.com')));
      const real = createAgentApi({ store, hubs: () => new Map([[hub.id, hub]]), connectorFor: () => undefined, clock: () => Date.now() });
      const gate = gated(real, heldEvent, inside);
      const hook = createOktaHookRouter({ config: testConfig(), agent: gate.agent, store });
      const server = await serveRouters([['/hooks', hook]]);
      const send = (body: unknown) => fetch(`${server.url}/hooks/okta`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: TEST_ENV.OKTA_HOOK_SECRET }, body: JSON.stringify(body) });
      const close = async () => { hook.stop(); await server.close(); await store.close(); };
      return { store, hub, real, gate, hook, send, close };
    }

    test('a suspension held before its write while the later unsuspension is applied: the person ends unsuspended', async () => {
      const t = await setup('race-sus');
      try {
        assert.equal((await t.send(delivery(event('user.lifecycle.suspend', 'raj@example.com', `${DAY}12:00:00Z`, 'race-sus')))).status, 200);
        await t.gate.atGate;
        assert.equal((await t.send(delivery(event('user.lifecycle.unsuspend', 'raj@example.com', `${DAY}12:05:00Z`, 'race-unsus')))).status, 200);
        // The unsuspension is applied while the suspension waits (it is not held).
        await until('race-unsus recorded done', async () => (await t.store.get('hookEvents', 'okta', 'race-unsus'))?.state === 'done');
        assert.equal((await t.store.get('hookEvents', 'okta', 'race-unsus'))?.state, 'done');
        t.gate.open();
        await t.hook.settled();
        assert.equal((await t.store.get('directoryUsers', t.hub.id, 'u-raj'))?.suspended, undefined, 'unsuspended at 12:05: the suspension of 12:00, applied last, does not stand');
        const held = await t.store.get('hookEvents', 'okta', 'race-sus');
        assert.equal(held?.state, 'done');
        assert.match(held?.outcome ?? '', /superseded by user\.lifecycle\.unsuspend race-unsus/);
      } finally {
        t.gate.open();
        await t.close();
      }
    });

    test('an unsuspension held before its write while the later suspension is applied: the person ends suspended', async () => {
      const t = await setup('race-unsus2');
      try {
        assert.equal((await t.send(delivery(event('user.lifecycle.unsuspend', 'raj@example.com', `${DAY}13:00:00Z`, 'race-unsus2')))).status, 200);
        await t.gate.atGate;
        assert.equal((await t.send(delivery(event('user.lifecycle.suspend', 'raj@example.com', `${DAY}13:05:00Z`, 'race-sus2')))).status, 200);
        await until('race-sus2 recorded done', async () => (await t.store.get('hookEvents', 'okta', 'race-sus2'))?.state === 'done');
        assert.ok((await t.store.get('directoryUsers', t.hub.id, 'u-raj'))?.suspended, 'suspended at 13:05');
        t.gate.open();
        await t.hook.settled();
        assert.ok((await t.store.get('directoryUsers', t.hub.id, 'u-raj'))?.suspended, 'suspended at 13:05: the unsuspension of 13:00, applied last, does not stand');
        assert.match((await t.store.get('hookEvents', 'okta', 'race-unsus2'))?.outcome ?? '', /superseded by user\.lifecycle\.suspend race-sus2/);
      } finally {
        t.gate.open();
        await t.close();
      }
    });

    test('a deactivation held before its write while the later reactivation is applied: no offboarding of a person active again', async () => {
      const t = await setup('race-deact');
      try {
        assert.equal((await t.send(delivery(event('user.lifecycle.deactivate', 'raj@example.com', `${DAY}14:00:00Z`, 'race-deact')))).status, 200);
        await t.gate.atGate;
        assert.equal((await t.send(delivery(event('user.lifecycle.reactivate', 'raj@example.com', `${DAY}14:05:00Z`, 'race-react')))).status, 200);
        await until('race-react recorded done', async () => (await t.store.get('hookEvents', 'okta', 'race-react'))?.state === 'done');
        assert.equal((await t.store.get('hookEvents', 'okta', 'race-react'))?.state, 'done');
        t.gate.open();
        await t.hook.settled();
        const offboards = (await t.real.tasks({ kind: 'offboard' })).items;
        assert.deepEqual(offboards.map((o) => o.summary), [], 'reactivated at 14:05: the deactivation of 14:00 offboards no one');
        assert.match((await t.store.get('hookEvents', 'okta', 'race-deact'))?.outcome ?? '', /superseded by user\.lifecycle\.reactivate race-react/);
      } finally {
        t.gate.open();
        await t.close();
      }
    });

    test('a deactivation held while a delivery of its reactivation and a later membership change is applied: no offboarding', async () => {
      // The reactivation is covered by the membership change's re-evaluation (one per person and
      // delivery, okta.ts): that re-evaluation is what marks the person active again.
      const t = await setup('race-deact2');
      try {
        assert.equal((await t.send(delivery(event('user.lifecycle.deactivate', 'raj@example.com', `${DAY}15:00:00Z`, 'race-deact2')))).status, 200);
        await t.gate.atGate;
        assert.equal((await t.send(delivery(
          event('user.lifecycle.reactivate', 'raj@example.com', `${DAY}15:05:00Z`, 'race-react2'),
          event('group.user_membership.add', 'raj@example.com', `${DAY}15:06:00Z`, 'race-add2'),
        ))).status, 200);
        await until('race-add2 recorded done', async () => (await t.store.get('hookEvents', 'okta', 'race-add2'))?.state === 'done');
        assert.match((await t.store.get('hookEvents', 'okta', 'race-react2'))?.outcome ?? '', /covered by a later re-evaluation/);
        t.gate.open();
        await t.hook.settled();
        assert.deepEqual((await t.real.tasks({ kind: 'offboard' })).items.map((o) => o.summary), [], 'reactivated at 15:05: the deactivation of 15:00 offboards no one');
        assert.match((await t.store.get('hookEvents', 'okta', 'race-deact2'))?.outcome ?? '', /superseded by user\.lifecycle\.reactivate race-react2/);
      } finally {
        t.gate.open();
        await t.close();
      }
    });

    // PostgreSQL only. The check and the write are one transaction: there the two run side by side
    // and the store runs one again once the other committed (agent/store/store.ts). The memory store
    // runs transactions one after the other, so the unsuspension's waits until the held suspension
    // committed and is applied last: the person ends unsuspended with the ordering check
    // (event-order.ts inOrder) disabled too, and the case could not fail (checked: with the refusal
    // taken out, its four cases above fail on memory and this one passed). On memory the check is
    // reached, and tested, only by an event held outside its transaction, as in those four.
    if (k.kind === 'postgres') test('a suspension held in its transaction after its ordering check while the later unsuspension runs side by side: the person ends unsuspended', async () => {
      const t = await setup('race-sus3', true);
      try {
        assert.equal((await t.send(delivery(event('user.lifecycle.suspend', 'raj@example.com', `${DAY}16:00:00Z`, 'race-sus3')))).status, 200);
        let reached = false;
        void t.gate.atGate.then(() => { reached = true; });
        await until('the suspension running an ordering check in its transaction', () => reached);
        // The unsuspension is applied, its transaction committed, while the suspension is held
        // (a transaction locks nothing until its commit: agent/store/postgres/key-locks.ts). Let go
        // as soon as the unsuspension reached the agent, the suspension often committed first, the
        // unsuspension ran again after it, and the case passed with the ordering check taken out.
        const answer = t.send(delivery(event('user.lifecycle.unsuspend', 'raj@example.com', `${DAY}16:05:00Z`, 'race-unsus3')));
        await until('race-unsus3 recorded done', async () => (await t.store.get('hookEvents', 'okta', 'race-unsus3'))?.state === 'done');
        t.gate.open();
        assert.equal((await answer).status, 200);
        await t.hook.settled();
        // Its commit finds the mark it read moved: it runs again, and the check refuses it.
        assert.equal((await t.store.get('directoryUsers', t.hub.id, 'u-raj'))?.suspended, undefined, 'unsuspended at 16:05: the suspension of 16:00, committed last, does not stand');
        const held = await t.store.get('hookEvents', 'okta', 'race-sus3');
        assert.equal(held?.state, 'done');
        assert.match(held?.outcome ?? '', /superseded by user\.lifecycle\.unsuspend race-unsus3/);
      } finally {
        t.gate.open();
        await t.close();
      }
    });
  });
}
