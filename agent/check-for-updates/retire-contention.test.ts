import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../store/store.ts';
import { configSchema, type HubConfigFile } from '../../config/schema.ts';
import { enqueueTask } from '../tasks/enqueue.ts';
import { replanPerson } from '../dispatch/replan-person.ts';
import { DEPARTED_RETIRED } from '../dispatch/retire-departed.ts';
import { suiteStores } from '../../test/suite-stores.ts';
import { runCheckForUpdates } from './run-check.ts';
import { emptyApp, fakeConnector } from './fake-app.test-double.ts';
import '../app-state/records.ts';

/**
 * Retiring departed-user records (dispatch/retire-departed.ts) reads the hub's unfinished tasks.
 * Read inside the snapshot save, every task that changed state while it ran (a runner taking,
 * renewing or ending one: constant on a busy hub) made the PostgreSQL store's optimistic commit
 * fail and the whole save run again. The save must not depend on the tasks; the retirement still
 * happens, audited.
 */
const hub: HubConfigFile = configSchema.parse({ hubs: [{ id: 'acme', connector: 'meta-business', meta: { businessId: '1000' } }] }).hubs[0];
const trigger = { type: 'admin' as const, actor: 'test' };
let clock = Date.parse('2026-11-23T10:00:00.000Z');
const now = () => new Date((clock += 1000));

// PostgreSQL only: the memory store runs transactions one at a time, so none ever conflicts.
for (const kind of await suiteStores('postgres')) {
  describe(`check for updates with a departed user to retire (${kind.kind})`, { skip: kind.skip }, () => {
    const opened: Array<() => Promise<void>> = [];
    after(async () => { for (const d of opened) await d(); });

    test('a task changing state meanwhile does not make the snapshot save run again; the record is retired', async () => {
      const { store, dispose } = await kind.open();
      opened.push(dispose);
      const app = emptyApp();
      app.members = [{ id: '11', email: 'jane@acme.com', role: 'ADMIN' }];
      const task = await store.transact(async (tx) => {
        tx.put('departedUsers', 'acme', 'u-gone', { hubId: 'acme', directoryUserId: 'u-gone', userName: 'gone@acme.com', emails: ['gone@acme.com'], at: new Date(clock).toISOString() });
        return enqueueTask(tx, { hubId: 'acme', ...replanPerson({ directoryUserId: 'u-jane', emails: ['jane@acme.com'] }, trigger, 're-evaluate jane'), now: now() });
      });
      // Another replica's runner takes the other task; registered here, outside the transaction
      // (a promise continuation runs in the context it was registered in).
      let take!: () => void;
      const taken = new Promise<void>((resolve) => { take = resolve; }).then(() => store.transact(async (tx) => {
        tx.put('tasks', 'acme', task.id, { ...(await tx.get('tasks', 'acme', task.id))!, status: 'running' });
      }));
      let saves = 0;
      await runCheckForUpdates({
        store, hub, connector: fakeConnector(app), trigger, taskId: 't1', now, log: { info() {}, warn() {} },
        enqueueReconcile: async () => {
          // ... while the snapshot is being saved.
          if (++saves === 1) { take(); await taken; }
          return undefined;
        },
      });
      assert.equal(saves, 1, 'the snapshot save ran once');
      assert.equal(await store.get('departedUsers', 'acme', 'u-gone'), undefined, 'retired');
      const audit = (await collect(store.list('audit', 'acme'))).filter((e) => e.action === DEPARTED_RETIRED);
      assert.deepEqual(audit.map((e) => [e.subject?.directoryUserId, e.taskId]), [['u-gone', 't1']]);
    });
  });
}
