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

test('paging by cursor reads the log about once, not once per page, and gives what full reads give', async () => {
  const entries = Array.from({ length: 2_000 }, (_, i) => ({ ...entry(i + 1, new Date(Date.UTC(2026, 11, 1) + i * 1000).toISOString()), action: i % 3 ? 'member-exempted' : 'invite' }));
  let yielded = 0;
  const counting = {
    async *newestFirst() {
      for (const e of [...entries].sort((a, b) => b.seq - a.seq)) {
        yielded++;
        yield e;
      }
    },
  } as unknown as Parameters<typeof queryAudit>[0];
  // A fresh store object each time: nothing kept from an earlier page.
  const reference = (q: Parameters<typeof queryAudit>[1]) => queryAudit(store(entries), q);

  for (const filter of [{}, { action: 'member-exempted' }]) {
    yielded = 0;
    const seen: number[] = [];
    let before: number | undefined;
    for (;;) {
      const q = { ...filter, limit: 50, ...(before !== undefined ? { before } : {}) };
      const page = await queryAudit(counting, q);
      const expected = await reference(q);
      assert.deepEqual(page.items.map((e) => e.seq), expected.items.map((e) => e.seq), `the page before ${before}`);
      assert.equal(page.total, expected.total, `the total before ${before}`);
      seen.push(...page.items.map((e) => e.seq));
      if (page.items.length === 0 || page.items.length >= page.total) break;
      before = Math.min(...page.items.map((e) => e.seq));
    }
    const all = (await reference({ ...filter, limit: 10_000 })).items.map((e) => e.seq);
    assert.deepEqual(seen, all, 'every entry once, in order');
    assert.ok(yielded <= 3 * entries.length, `read ${yielded} entries for ${seen.length / 50} pages of a ${entries.length}-entry log`);
  }
});

test('a kept place is not used past its time, and entries written between pages do not shift the next page', async () => {
  const entries = Array.from({ length: 300 }, (_, i) => entry(i + 1, new Date(Date.UTC(2026, 11, 1) + i * 1000).toISOString()));
  const log = { async *newestFirst() { yield* [...entries].sort((a, b) => b.seq - a.seq); } } as unknown as Parameters<typeof queryAudit>[0];
  const first = await queryAudit(log, { limit: 100 });
  entries.push(entry(301, '2026-12-02T00:00:00.000Z'), entry(302, '2026-12-02T00:00:01.000Z'));
  const second = await queryAudit(log, { limit: 100, before: 201 });
  assert.deepEqual(second.items.map((e) => e.seq), Array.from({ length: 100 }, (_, i) => 200 - i));
  assert.equal(second.total, 200);
  const late = await queryAudit(log, { limit: 100, before: 101 }, Date.now() + 60_000);
  assert.deepEqual(late.items.map((e) => e.seq), Array.from({ length: 100 }, (_, i) => 100 - i));
  assert.equal(late.total, 100);
  assert.equal(first.total, 300);
});

test('first pages read meanwhile (a dashboard chart) do not push out the place of an export in progress', async () => {
  const entries = Array.from({ length: 1_000 }, (_, i) => ({ ...entry(i + 1, new Date(Date.UTC(2026, 11, 1) + i * 1000).toISOString()), action: i % 2 ? 'invite' : 'member-exempted' }));
  let yielded = 0;
  const log = { async *newestFirst() { for (const e of [...entries].sort((a, b) => b.seq - a.seq)) { yielded++; yield e; } } } as unknown as Parameters<typeof queryAudit>[0];
  const first = await queryAudit(log, { limit: 10 });
  const second = await queryAudit(log, { limit: 10, before: Math.min(...first.items.map((e) => e.seq)) });
  for (let i = 0; i < 30; i++) await queryAudit(log, { action: i % 2 ? 'invite' : 'member-exempted', since: new Date(Date.UTC(2026, 11, 1) + i * 1000).toISOString(), limit: 1 });
  yielded = 0;
  const third = await queryAudit(log, { limit: 10, before: Math.min(...second.items.map((e) => e.seq)) });
  assert.deepEqual(third.items.map((e) => e.seq), Array.from({ length: 10 }, (_, i) => 980 - i));
  assert.equal(third.total, 980);
  assert.ok(yielded <= 20, `the export's next page read ${yielded} entries`);
});

test('two replicas\' entries with the same seq: a page by cursor ends after both, so the next page skips neither', async () => {
  // Seqs 6 and 4 were each given by two replicas in the same instant (audit-log.ts: unique per process only).
  const entries = [7, 6, 6, 5, 4, 4, 3, 2, 1].map((n, i) => ({ ...entry(n, `2026-12-03T22:0${n}:00.000Z`), why: `entry ${i}` }));
  for (const fresh of [true, false]) {
    // Fresh: every page a full read (another replica answers it). Otherwise the kept place continues.
    const log = store(entries);
    const seen: string[] = [];
    let before: number | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await queryAudit(fresh ? store(entries) : log, { limit: 2, ...(before !== undefined ? { before } : {}) });
      seen.push(...page.items.map((e) => e.why));
      if (page.items.length === 0 || page.total <= page.items.length) break;
      before = Math.min(...page.items.map((e) => e.seq));
    }
    assert.deepEqual(seen.sort(), entries.map((e) => e.why).sort(), fresh ? 'full reads' : 'a kept place');
  }
  // Pages by offset hold the ties too: a tie may be seen twice, never missed.
  assert.deepEqual((await queryAudit(store(entries), { limit: 2 })).items.map((e) => e.seq), [7, 6, 6]);
  assert.deepEqual((await queryAudit(store(entries), { limit: 2, offset: 1 })).items.map((e) => e.seq), [6, 6]);
});

test('a page by offset past the first also ends after every match sharing its last seq, so its `next` (an export from an offset) skips none', async () => {
  const entries = [7, 6, 6, 5, 4, 4, 3, 2, 1].map((n, i) => ({ ...entry(n, `2026-12-03T22:0${n}:00.000Z`), why: `entry ${i}` }));
  const page = await queryAudit(store(entries), { limit: 2, offset: 3 });
  assert.deepEqual(page.items.map((e) => e.why), ['entry 3', 'entry 4', 'entry 5']);
  // The page after it by its cursor: with the page, every entry from the offset on, once.
  const next = await queryAudit(store(entries), { limit: 10, before: Math.min(...page.items.map((e) => e.seq)) });
  assert.deepEqual([...page.items, ...next.items].map((e) => e.why), entries.slice(3).map((e) => e.why));
});

test('a page continued from a kept place keeps its ties past an entry of that seq the filter leaves out', async () => {
  // Seq 6 given by replicas to three entries, the middle one of another action.
  const entries = [9, 8, 7, 6, 6, 6, 5, 4].map((n, i) => ({ ...entry(n, `2026-12-03T22:0${n}:00.000Z`), why: `entry ${i}`, action: i === 4 ? 'invite' : 'member-exempted' }));
  for (const fresh of [true, false]) {
    const log = store(entries);
    const seen: string[] = [];
    let before: number | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await queryAudit(fresh ? store(entries) : log, { limit: 2, action: 'member-exempted', ...(before !== undefined ? { before } : {}) });
      seen.push(...page.items.map((e) => e.why));
      if (page.items.length === 0 || page.total <= page.items.length) break;
      before = Math.min(...page.items.map((e) => e.seq));
    }
    assert.deepEqual(seen.sort(), entries.filter((e) => e.action === 'member-exempted').map((e) => e.why).sort(), fresh ? 'full reads' : 'a kept place');
  }
});
