/**
 * `npm run bench -- store [seconds]`: the lowdb store's group commit under load. For 10k and
 * 100k stored users, 16 concurrent writers each update one user and add one outbox entry per
 * transaction (the shape of a SCIM write). Prints commits/s (journal syncs), transactions/s,
 * p50/p99 transact latency, the snapshot size, how many snapshot rewrites ran meanwhile, and how
 * long reopening the result takes (start-up time).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DirectoryUserRecord } from '../../agent/desired-state/directory-records.ts';
import '../../agent/outbox.ts';
import { LowdbStore } from '../../agent/store/lowdb-store.ts';

const CONCURRENCY = 16;

function user(i: number, version: number): DirectoryUserRecord {
  const userName = `user${i}@example.com`;
  const now = new Date().toISOString();
  return {
    hubId: 'bench', id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, userName, externalId: `00u${i}abcdEFGH`,
    active: true, displayName: `User ${i}`, email: userName, emails: [userName],
    scim: {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
      userName, name: { givenName: 'User', familyName: `Number ${i}` }, displayName: `User ${i}`, externalId: `00u${i}abcdEFGH`,
      emails: [{ primary: true, value: userName, type: 'work' }], active: true,
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Marketing', employeeNumber: String(i) },
    },
    created: now, lastModified: now, version,
  };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function run(records: number, seconds: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-bench-store-'));
  const path = join(dir, 'store.json');
  try {
    const store = new LowdbStore(path);
    await store.open();
    for (let i = 0; i < records; i += 5000) {
      await store.transact((tx) => {
        for (let j = i; j < Math.min(records, i + 5000); j++) tx.put('directoryUsers', 'bench', user(j, 1).id, user(j, 1));
      });
    }
    const commitsBefore = store.commits;
    const checkpointsBefore = store.checkpoints;
    const latencies: number[] = [];
    const end = performance.now() + seconds * 1000;
    let seq = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < end) {
          const i = Math.floor(Math.random() * records);
          const n = ++seq;
          const t0 = performance.now();
          await store.transact((tx) => {
            const u = user(i, n);
            tx.put('directoryUsers', 'bench', u.id, u);
            tx.put('outbox', 'bench', `o${n}`, { id: `o${n}`, hubId: 'bench', seq: n, at: u.lastModified, delta: { hubId: 'bench', trigger: { kind: 'scim' }, changes: [] } as any });
          });
          latencies.push(performance.now() - t0);
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const commits = store.commits - commitsBefore;
    const checkpoints = store.checkpoints - checkpointsBefore;
    await store.close();
    const size = (await stat(path)).size; // after close: one snapshot holding everything
    const reopened = new LowdbStore(path);
    const t1 = performance.now();
    await reopened.open();
    const openMs = performance.now() - t1;
    await reopened.close();
    latencies.sort((a, b) => a - b);
    console.log(
      `${String(records).padStart(7)} records  snapshot ${(size / 1e6).toFixed(1).padStart(5)} MB  ` +
        `${(commits / elapsed).toFixed(1).padStart(6)} commits/s  ${(latencies.length / elapsed).toFixed(0).padStart(5)} transactions/s  ` +
        `p50 ${percentile(latencies, 50).toFixed(1)} ms  p99 ${percentile(latencies, 99).toFixed(1)} ms  (${latencies.length} tx, ${checkpoints} snapshot rewrites, concurrency ${CONCURRENCY}; reopen ${openMs.toFixed(0)} ms)`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export default async function bench(args: string[]): Promise<void> {
  const seconds = Number(args[0] ?? 5);
  console.log(`store bench: lowdb store, ${seconds}s per size, each transaction = 1 user update + 1 outbox entry`);
  for (const records of [10_000, 100_000]) await run(records, seconds);
}
