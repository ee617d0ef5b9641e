/**
 * Child process of crash.test.ts: an agent on a LowdbStore at argv[2], talking to the Meta
 * emulator the parent runs at argv[3]. With argv[4] = N > 0 it first pushes N users into "Meta
 * Advertisers" (the SCIM writes, outbox included). It prints `ready`, then `done <json>` once
 * every task is finished; the parent kills it with SIGKILL at random moments before that.
 */
import { createAgent } from '../../agent/agent.ts';
import { LowdbStore } from '../../agent/store/lowdb-store.ts';
import { collect } from '../../agent/store/store.ts';
import { isFinished } from '../../agent/tasks/task-record.ts';
import { createMetaBusiness } from '../../connectors/meta-business/connector.ts';
import { SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { Directory } from './directory.ts';
import { HUB, hubConfig, silent } from './harness.ts';

const [path, graphUrl, seedArg] = process.argv.slice(2) as [string, string, string];
const store = new LowdbStore(path);
await store.open();
const connector = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: graphUrl }, { log: silent });
// leaseMs 2 s as the in-process e2e harness's: the tasks a killed child held run again once its
// leases lapse, and the last run waited 5 s for that.
const agent = createAgent({ config: hubConfig(), store, connectorFor: () => connector, log: silent, auditFile: false, runner: { backoffBaseMs: 20, backoffMaxMs: 100, leaseMs: 2_000 } });
const seed = Number(seedArg);
if (seed > 0) {
  const directory = new Directory(store, HUB);
  for (let i = 0; i < seed; i++) await directory.createUser(`u-${i}`, `person${i}@example.com`);
  await directory.patchGroup('Meta Advertisers', Array.from({ length: seed }, (_, i) => `u-${i}`));
}
await agent.start();
process.stdout.write('ready\n');
for (;;) {
  await new Promise((r) => setTimeout(r, 20));
  const tasks = await collect(store.list('tasks', HUB));
  if ((await store.partitions('outbox')).length === 0 && tasks.length > 0 && tasks.every(isFinished)) {
    const byStatus: Record<string, number> = {};
    for (const t of tasks) byStatus[`${t.kind}:${t.status}`] = (byStatus[`${t.kind}:${t.status}`] ?? 0) + 1;
    // Tasks that ran more than once: an attempt was cut short by a kill (or a transient error).
    byStatus['retried'] = tasks.filter((t) => t.attempts > 1).length;
    await agent.stop();
    await store.close();
    process.stdout.write(`done ${JSON.stringify(byStatus)}\n`);
    process.exit(0);
  }
}
