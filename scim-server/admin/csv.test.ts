/**
 * The audit log's CSV export pages through the agent by the log's cursor (`before`, the lowest
 * seq of the page read), as the JSON route's `next` does: entries written while a long export
 * runs do not shift the pages, so no entry is exported twice and none that was there is missed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentApi, AuditEntry, AuditQuery } from '../../agent/api.ts';
import { auditCsv, memberCsv } from './csv.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import type { Transaction } from '../../agent/store/store.ts';
import { MembersIndex } from '../../agent/members/members-index.ts';
import { configSchema } from '../../config/schema.ts';
import '../../agent/app-state/records.ts';

const memberHub = configSchema.parse({ hubs: [{ id: 'h', connector: 'meta-business', meta: { businessId: '1' } }] }).hubs[0];

/** An audit log of `n` entries that gains one newer entry before answering each read (a busy hub). */
function busyLog(n: number) {
  const entries: AuditEntry[] = [];
  const add = () => entries.push({ seq: entries.length + 1, at: new Date(Date.UTC(2026, 0, 1) + entries.length * 1000).toISOString(), trigger: { type: 'scim' }, action: 'x', why: 'w', outcome: 'ok' });
  for (let i = 0; i < n; i++) add();
  const audit = async (q: AuditQuery) => {
    add();
    const matching = entries.filter((e) => q.before === undefined || e.seq < q.before).sort((a, b) => b.seq - a.seq);
    const offset = q.offset ?? 0;
    return { total: matching.length, items: matching.slice(offset, offset + (q.limit ?? 100)) };
  };
  return { agent: { audit } as unknown as AgentApi, entries };
}

const seqsOf = async (lines: AsyncIterable<string>) => {
  const out: number[] = [];
  let header = true;
  for await (const line of lines) {
    if (header) { header = false; continue; }
    out.push(Number(line.split(',')[0]));
  }
  return out;
};

test('an audit export while entries are written: every entry once, none that was there missed', async () => {
  const { agent } = busyLog(1200);
  const seqs = await seqsOf(auditCsv(agent, {}));
  assert.equal(new Set(seqs).size, seqs.length, 'no entry twice');
  for (let seq = 1; seq <= 1200; seq++) assert.ok(seqs.includes(seq), `entry ${seq} exported`);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => b - a), 'newest first');
});

test('an export window (offset, limit) and a caller\'s own `before` still hold', async () => {
  const { agent } = busyLog(1200);
  const seqs = await seqsOf(auditCsv(agent, { before: 1101 }, { offset: 100, limit: 700 }));
  assert.equal(seqs.length, 700);
  assert.equal(seqs[0], 1000, 'from the 101st entry older than 1101');
  assert.equal(new Set(seqs).size, 700);
  assert.equal(seqs.at(-1), 301);
});

test('an export that fails part way: the error answer is no download (no attachment header, no CSV type)', async () => {
  const express = (await import('express')).default;
  const { sendCsv } = await import('./csv.ts');
  const { problemHandler } = await import('./problem.ts');
  async function* failing(): AsyncGenerator<string> {
    yield 'seq,at\r\n';
    throw new Error('the store went away');
  }
  const app = express();
  app.get('/x.csv', async (_req, res) => { await sendCsv(res, failing(), 'audit.csv'); });
  app.use(problemHandler({ error: () => undefined } as unknown as Parameters<typeof problemHandler>[0]));
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}/x.csv`);
    assert.equal(res.status, 500);
    assert.equal(res.headers.get('content-disposition'), null, 'not offered as audit.csv');
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

/**
 * The members export pages by the agent's cursor (`after`, the `next` of the page before): a
 * check for updates replacing rows while a long export runs neither repeats nor skips the rows
 * that are there throughout. Read through the agent's real members index.
 */
test('a members export while a check for updates adds and removes rows: every row there throughout once', async () => {
  const store = new MemoryStore();
  const seen = '2026-11-01T00:00:00.000Z';
  const put = (tx: Transaction, id: string, email: string) => tx.put('appMembers', 'h', id, { hubId: 'h', id, email, role: 'EMPLOYEE', firstSeenAt: seen, lastSeenAt: seen });
  const kept: string[] = [];
  await store.transact((tx) => {
    for (let i = 0; i < 1500; i++) {
      const id = `m${String(i).padStart(4, '0')}`;
      put(tx, id, `${id}@example.com`);
      if (i % 7 !== 3) kept.push(id);
    }
  });
  const index = new MembersIndex(store, () => new Map([['h', memberHub]]), () => new Date(seen));
  let reads = 0;
  const read = async (offset: number, limit: number, after?: string) => {
    // Between two pages a check for updates adds rows sorted before and after the page boundary
    // and removes rows already exported (every seventh, none of those kept throughout).
    if (reads++ > 0) {
      await store.transact((tx) => {
        for (let j = 0; j < 40; j++) put(tx, `n${reads}-${j}`, `a${reads}-${j}@example.com`);
        for (let i = 3; i < 1500; i += 7) tx.delete('appMembers', 'h', `m${String(i).padStart(4, '0')}`);
      });
    }
    return (await index.query('h', { offset, limit, ...(after !== undefined ? { after } : {}) }))!;
  };
  const ids: string[] = [];
  let header = true;
  for await (const line of memberCsv(read)) {
    if (header) { header = false; continue; }
    ids.push(line.trimEnd().split(',').at(-1)!);
  }
  index.close();
  assert.ok(reads >= 3, 'the export read several pages');
  assert.equal(new Set(ids).size, ids.length, 'no row twice');
  const exported = new Set(ids);
  const missed = kept.filter((id) => !exported.has(id));
  assert.deepEqual(missed, [], 'no row there throughout is missed');
});
