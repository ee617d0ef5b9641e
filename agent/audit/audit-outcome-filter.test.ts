import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEntry, AuditOutcome } from '../api.ts';
import { queryAudit } from './audit-query.ts';
import { parseOutcomes } from './outcome-filter.ts';

const OUTCOMES: AuditOutcome[] = ['ok', 'failed', 'unknown', 'skipped', 'ok', 'already-done', 'pending'];
const entry = (seq: number, outcome: AuditOutcome, why = `entry ${seq}`): AuditEntry =>
  ({ seq, at: new Date(Date.UTC(2026, 11, 1) + seq * 1000).toISOString(), hubId: 'h', trigger: { type: 'admin' }, action: 'remove-member', why, outcome });
const store = (entries: AuditEntry[]) => ({
  async *newestFirst() { yield* [...entries].sort((a, b) => b.seq - a.seq); },
}) as unknown as Parameters<typeof queryAudit>[0];

test('the outcome filter keeps only entries of the outcomes asked for, and counts only them', async () => {
  const log = Array.from({ length: 40 }, (_, i) => entry(i + 1, OUTCOMES[i % OUTCOMES.length]!));
  const page = await queryAudit(store(log), { outcome: ['unknown', 'failed'], limit: 100 });
  const expected = log.filter((e) => e.outcome === 'unknown' || e.outcome === 'failed').map((e) => e.seq).reverse();
  assert.ok(expected.length > 5);
  assert.deepEqual(page.items.map((e) => e.seq), expected);
  assert.equal(page.total, expected.length, 'total counts the matches only');
  assert.deepEqual((await queryAudit(store(log), { outcome: ['unknown'] })).items.map((e) => e.outcome), Array(expected.length / 2).fill('unknown'));
  assert.equal((await queryAudit(store(log), { outcome: [] })).total, 0, 'an empty list matches none');
});

test('paging by cursor with an outcome filter, across ties at a page boundary: none skipped or repeated, totals right', async () => {
  // Two replicas gave seq 20 and 21 to several entries, of mixed outcomes, at the first page's end.
  const log = [
    ...Array.from({ length: 40 }, (_, i) => entry(i + 1, OUTCOMES[i % OUTCOMES.length]!)),
    entry(21, 'unknown', 'replica b 21'), entry(21, 'ok', 'replica c 21'), entry(21, 'failed', 'replica c 21 failed'),
    entry(20, 'unknown', 'replica b 20'),
  ];
  const want = (e: AuditEntry) => e.outcome === 'unknown' || e.outcome === 'failed';
  const all = [...log].sort((a, b) => b.seq - a.seq).filter(want);
  const shared = store(log); // one store object: the pages continue the place the page before left
  const seen: AuditEntry[] = [];
  let before: number | undefined;
  for (let pages = 0; pages < 50; pages++) {
    const page = await queryAudit(shared, { outcome: ['failed', 'unknown'], limit: 3, ...(before !== undefined ? { before } : {}) });
    assert.equal(page.total, all.filter((e) => before === undefined || e.seq < before).length, `the total of the page before ${before}`);
    assert.ok(page.items.every(want), 'only the outcomes asked for');
    seen.push(...page.items);
    if (page.items.length === 0 || page.items.length >= page.total) break;
    before = Math.min(...page.items.map((e) => e.seq));
  }
  assert.deepEqual(seen.map((e) => e.why), all.map((e) => e.why), 'every match once, newest first');
});

test('a page of another outcome filter ending at the same seq does not lend its place (count) to this one', async () => {
  // The four newest entries failed: unfiltered and `failed` first pages both end at seq 7.
  const log = [...[1, 2, 3, 4, 5, 6].map((n) => entry(n, n % 2 ? 'ok' : 'failed')), ...[7, 8, 9, 10].map((n) => entry(n, 'failed'))];
  const shared = store(log);
  const unfiltered = await queryAudit(shared, { limit: 4 });
  const failed = await queryAudit(shared, { outcome: ['failed'], limit: 4 });
  assert.deepEqual([unfiltered.items.at(-1)!.seq, failed.items.at(-1)!.seq], [7, 7]);
  const next = await queryAudit(shared, { limit: 4, before: 7 });
  assert.deepEqual([next.total, next.items.map((e) => e.seq)], [6, [6, 5, 4, 3]], 'the unfiltered count of what is older than 7');
  const nextFailed = await queryAudit(shared, { outcome: ['failed'], limit: 4, before: 7 });
  assert.deepEqual([nextFailed.total, nextFailed.items.map((e) => e.seq)], [3, [6, 4, 2]]);
});

test('the typed filter: one outcome or a comma list; anything else is a problem naming the allowed values', () => {
  assert.deepEqual(parseOutcomes('unknown,failed'), { outcomes: ['unknown', 'failed'] });
  assert.deepEqual(parseOutcomes(' unknown , unknown'), { outcomes: ['unknown'] });
  for (const bad of ['bogus', 'unknown,', '', 'Unknown', 'ok,,failed']) {
    const r = parseOutcomes(bad);
    assert.ok('problem' in r, bad);
    assert.match(r.problem, /^expected one or more of ok, already-done, failed, skipped, pending, unknown, separated by commas; got /);
  }
});
