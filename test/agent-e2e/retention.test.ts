import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAgent } from '../../agent/agent.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect } from '../../agent/store/store.ts';
import { enqueueTask, updateTask } from '../../agent/tasks/enqueue.ts';
import { HUB, hubConfig } from './harness.ts';

test('the agent prunes finished tasks past store.taskRetentionDays when it starts, and says how many', async () => {
  const store = new MemoryStore();
  const infos: string[] = [];
  const config = hubConfig();
  config.store.taskRetentionDays = 7;
  const agent = createAgent({ config, store, connectorFor: () => undefined, auditFile: false, log: { debug() {}, warn() {}, error() {}, info: (m: string) => void infos.push(m) } });
  const at = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000);
  await store.transact(async (tx) => {
    for (const [key, daysAgo] of [['eight-days', 8], ['six-days', 6]] as const) {
      const t = await enqueueTask(tx, { hubId: HUB, kind: 'invite', payload: {}, idempotencyKey: key, trigger: { type: 'admin', actor: 't' }, summary: key, now: at(daysAgo) });
      await updateTask(tx, t, { status: 'completed', completedAt: at(daysAgo).toISOString() }, at(daysAgo));
    }
  });
  await agent.start();
  await agent.stop(); // waits for the prune started at start
  assert.deepEqual((await collect(store.list('tasks', HUB))).map((t) => t.summary), ['six-days']);
  assert.ok(infos.some((m) => /pruned 1 task\(s\) finished more than 7 day\(s\) ago/.test(m)), infos.join('\n'));
});
