import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEntry } from '../api.ts';
import { queryAudit } from './audit-query.ts';

const entry = (seq: number, at: string): AuditEntry => ({ seq, at, hubId: 'h', trigger: { type: 'admin' }, action: 'member-exempted', why: `entry ${seq}`, outcome: 'ok' } as AuditEntry);
const store = (entries: AuditEntry[]) => ({
  async *newestFirst() { yield* [...entries].sort((a, b) => b.seq - a.seq); },
}) as unknown as Parameters<typeof queryAudit>[0];

test('since is compared as an instant: an offset, or no fraction of a second, finds the same entries', async () => {
  const log = store([entry(1, '2026-12-03T22:21:29.000Z'), entry(2, '2026-12-03T22:21:30.441Z'), entry(3, '2026-12-03T23:00:00.000Z')]);
  const seqs = async (since: string) => (await queryAudit(log, { since })).items.map((e) => e.seq);
  assert.deepEqual(await seqs('2026-12-03T22:21:30.441Z'), [3, 2]);
  assert.deepEqual(await seqs('2026-12-04T03:21:30.441+05:00'), [3, 2], 'the same instant with an offset');
  assert.deepEqual(await seqs('2026-12-03T17:21:30.441-05:00'), [3, 2], 'a negative offset lets nothing earlier through');
  assert.deepEqual(await seqs('2026-12-03T22:21:30Z'), [3, 2], 'no fraction: the entry later in the same second is kept');
});

test('before pages by seq: only entries older than the cursor', async () => {
  const log = store([1, 2, 3, 4, 5].map((n) => entry(n, `2026-12-03T22:0${n}:00.000Z`)));
  const page = async (before?: number) => (await queryAudit(log, { before, limit: 2 })).items.map((e) => e.seq);
  assert.deepEqual(await page(), [5, 4]);
  assert.deepEqual(await page(4), [3, 2]);
  assert.deepEqual(await page(2), [1]);
  assert.equal((await queryAudit(log, { before: 4 })).total, 3, 'total counts the matches older than the cursor');
});
