/**
 * `npm run bench -- open-tasks [count] [--store postgres|lowdb|memory]`: the task runner's fleet
 * poll (agent/tasks/fleet-poll.ts) reads every open task of a shared store; this times that read
 * with `count` open invites (default 4,000: a rollout waiting out Meta's daily invite limit keeps
 * thousands open for days). Prints, per read (five reads, three rounds), its wall time and this
 * process's CPU time, and the spacing the poll then keeps between reads: max(pollMs 2 s, 20 times
 * the read). Default store: postgres (the only shared one: a fresh schema, dropped after).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineFleetIndex, FLEET_INDEX } from '../../agent/tasks/fleet-limits.ts';
import type { TaskRecord } from '../../agent/tasks/task-record.ts';
import { openBenchStore, storeKindOf, withoutStoreArg } from './lib/bench-store.ts';

/** An invite task as the plan queues it, waiting out the business's invite block. */
function openInvite(i: number, now: number): TaskRecord {
  const email = `person${i}@bench.example`;
  return {
    id: `task-${i}`, hubId: 'meta-main', kind: 'invite', status: 'waiting', idempotencyKey: `op:invite:${email}`,
    payload: { op: { kind: 'invite', key: `invite:${email}`, email, role: 'EMPLOYEE', directoryUserId: `00u${i}bench00000000`, grantedBy: ['Meta Advertisers'], effect: 'grant', reason: 'assigned', summary: `invite ${email} as EMPLOYEE (Meta Advertisers)` } },
    summary: `invite ${email} as EMPLOYEE (Meta Advertisers)`, trigger: { type: 'scim', actor: 'okta' },
    attempts: 1, attemptsEnded: 1, attemptsWaited: 1, createdAt: new Date(now).toISOString(), updatedAt: new Date(now).toISOString(),
    scope: 'invite:1000000000000001', nextRunAt: new Date(now + 86_400_000).toISOString(), waitReason: 'rate-limited invite:1000000000000001',
  } as TaskRecord;
}

export default async function openTasks(args: string[]): Promise<void> {
  const kind = storeKindOf(args, 'postgres');
  const count = Number(withoutStoreArg(args)[0] ?? 4_000);
  if (!Number.isInteger(count) || count < 1) throw new Error(`count: expected a whole number, got "${withoutStoreArg(args)[0]}"`);
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-open-tasks-'));
  const opened = await openBenchStore(kind, dir, 'opentasks');
  try {
    defineFleetIndex(opened.store);
    const now = Date.now();
    for (let from = 0; from < count; from += 1_000) {
      await opened.store.transact((tx) => {
        for (let i = from; i < Math.min(count, from + 1_000); i++) tx.put('tasks', 'meta-main', `task-${i}`, openInvite(i, now));
      });
    }
    console.log(`open-tasks: ${count} open invite tasks on ${opened.label}; the fleet poll's read (lookup ${FLEET_INDEX}), 5 reads per round`);
    for (let round = 1; round <= 3; round++) {
      const cpu = process.cpuUsage();
      const started = performance.now();
      let found = 0;
      for (let k = 0; k < 5; k++) found = (await opened.store.lookup('tasks', FLEET_INDEX, 'open')).length;
      const wall = (performance.now() - started) / 5;
      const used = process.cpuUsage(cpu);
      if (found !== count) throw new Error(`read ${found} open tasks, expected ${count}`);
      console.log(`  round ${round}: ${wall.toFixed(1)} ms per read, ${((used.user + used.system) / 5_000).toFixed(1)} ms of this process's CPU; the poll reads them again after ${(Math.max(2_000, 20 * wall) / 1000).toFixed(1)} s`);
    }
  } finally {
    await opened.close();
    await rm(dir, { recursive: true, force: true });
  }
}
