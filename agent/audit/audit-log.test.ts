import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metricsRegistry } from '../../scim-server/ops/metrics.ts';
import { MemoryStore } from '../store/memory-store.ts';
import type { AuditFileHandle } from './audit-file.ts';
import { appendAudit, mirrorAuditToFile } from './audit-log.ts';
import { queryAudit } from './audit-query.ts';
import { until } from '../../test/agent-e2e/harness.ts';

test('audit entries are kept in the store with monotonic seq, queryable per hub and person, mirrored as JSON lines without secrets', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-audit-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = new MemoryStore();
  const file = join(dir, 'audit.log');
  const stop = mirrorAuditToFile(store, file);
  const trigger = { type: 'scim' as const, idp: 'okta' };
  await store.transact((tx) => {
    appendAudit(tx, { hubId: 'h1', trigger, action: 'invite', subject: { email: 'jane@example.com' }, why: 'invite jane', outcome: 'ok', detail: { accessToken: 'EAAB-secret', ms: 12 } });
    appendAudit(tx, { hubId: 'h1', trigger, action: 'invite', subject: { email: 'bob@example.com' }, why: 'GET /x?access_token=EAAB-secret', outcome: 'failed' });
    appendAudit(tx, { hubId: 'h2', trigger, action: 'remove-member', subject: { email: 'jane@example.com' }, why: 'remove jane', outcome: 'ok' });
  });
  const jane = (await queryAudit(store, { email: 'JANE@example.com' }));
  assert.equal(jane.total, 2);
  assert.ok(jane.items[0]!.seq > jane.items[1]!.seq, 'newest first, seq increasing');
  assert.equal((await queryAudit(store, { hubId: 'h1' })).total, 2);
  await new Promise((r) => setTimeout(r, 200));
  stop();
  await new Promise((r) => setTimeout(r, 100));
  const text = await readFile(file, 'utf8');
  const lines = text.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 3);
  assert.equal(lines[1].level, 'warn');
  assert.ok(!text.includes('EAAB-secret'), 'no secret in the file');
  assert.equal(lines[0].audit.action, 'invite');
});

// --- audit.file refusing writes (the mirror used to lose them in silence: winston's File transport) ---

const trigger = { type: 'scim' as const, idp: 'okta' };

function captureLog() {
  const lines: { level: 'error' | 'warn' | 'info'; message: string }[] = [];
  const at = (level: 'error' | 'warn' | 'info') => (message: string) => lines.push({ level, message });
  return { lines, log: { error: at('error'), warn: at('warn'), info: at('info') } };
}

/** The value of an unlabelled metric on /metrics. */
async function metric(name: string): Promise<number> {
  const text = await metricsRegistry.metrics();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  assert.ok(m, `${name} is on /metrics`);
  return Number(m[1]);
}

/** `n` entries, one transaction each; their seqs in commit order. */
async function commit(store: MemoryStore, n: number, hubId = 'h1'): Promise<number[]> {
  const seqs: number[] = [];
  for (let i = 0; i < n; i++) {
    await store.transact((tx) => {
      seqs.push(appendAudit(tx, { hubId, trigger, action: 'invite', subject: { email: `p${i}@example.com` }, why: `invite ${i}`, outcome: 'ok' }).seq);
    });
  }
  return seqs;
}

const ENOSPC = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

/**
 * Opens the real file; while `state.broken`, the handle takes at most 40 bytes of a write and
 * then refuses the next with ENOSPC (a disk filling up part-way through a line).
 */
function flakyOpen(state: { broken: boolean; opens: number }) {
  return async (path: string): Promise<AuditFileHandle> => {
    state.opens++;
    const broken = state.broken;
    const real = await open(path, 'a');
    if (!broken) return real;
    let took = false;
    return {
      async write(buffer, offset, length) {
        if (took) throw ENOSPC();
        took = true;
        return real.write(buffer, offset, Math.min(length, 40));
      },
      close: () => real.close(),
    };
  };
}

const readLines = async (file: string) => (await readFile(file, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l));

test('audit.file /dev/full (every write ENOSPC): failures counted on /metrics, one error line per streak naming path and code, entries waiting; stop does not hang', { skip: !existsSync('/dev/full') }, async () => {
  const store = new MemoryStore();
  const { lines, log } = captureLog();
  const failuresBefore = await metric('hubwarden_audit_file_write_failures_total');
  const stop = mirrorAuditToFile(store, '/dev/full', { log, retryMs: 20, stopTimeoutMs: 300 });
  await commit(store, 3);
  await until('a few retries', async () => (await metric('hubwarden_audit_file_write_failures_total')) - failuresBefore >= 3);
  await commit(store, 2);
  // More retries, all failing: each counts. Waited for, not slept for: a loaded machine may run the 20 ms retry late.
  const counted = await metric('hubwarden_audit_file_write_failures_total');
  await until('another failed attempt counted', async () => (await metric('hubwarden_audit_file_write_failures_total')) > counted);
  assert.equal(await metric('hubwarden_audit_file_waiting'), 5, 'the five entries wait in memory');
  const errors = lines.filter((l) => l.level === 'error');
  assert.equal(errors.length, 1, `one error line for the streak, not one per entry or attempt: ${JSON.stringify(lines)}`);
  assert.match(errors[0]!.message, /audit\.file \/dev\/full: cannot write \(ENOSPC\)/);
  assert.ok(!errors[0]!.message.includes('example.com') && !errors[0]!.message.includes('invite'), 'no entry content in the log');

  const started = Date.now();
  await stop();
  assert.ok(Date.now() - started < 2000, 'stop ends within its timeout');
  const last = lines.at(-1)!;
  assert.equal(last.level, 'error');
  assert.match(last.message, /stopping with 5 entries not written \(seq \d+ to \d+\).*GET \/api\/v1\/audit/);
  assert.equal(await metric('hubwarden_audit_file_waiting'), 0, 'a stopped mirror waits for nothing');
});

test('audit.file that fails part-way through a line and then recovers gets every entry once, in seq order, and the resume is logged', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-audit-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'audit.log');
  const store = new MemoryStore();
  const { lines, log } = captureLog();
  const state = { broken: true, opens: 0 };
  const stop = mirrorAuditToFile(store, file, { log, retryMs: 20, open: flakyOpen(state) });
  const early = await commit(store, 4);
  await until('a failed retry', () => state.opens >= 3);
  assert.equal(lines.filter((l) => l.level === 'error').length, 1, 'one error line while the streak lasts');
  const during = await commit(store, 3, 'h2');
  state.broken = false;
  const after = await commit(store, 2);
  await until('the backlog written', () => lines.some((l) => l.level === 'info'));
  await stop();

  const written = await readLines(file);
  const want = [...early, ...during, ...after];
  assert.deepEqual(written.map((l) => l.audit.seq), want, 'every entry, once, in seq order (the torn line finished, not repeated)');
  assert.equal(written[4].audit.hubId, 'h2');
  assert.deepEqual(Object.keys(written[0]).sort(), ['audit', 'level', 'message', 'timestamp']);
  assert.equal(written[0].message, 'invite: invite 0');
  assert.equal(lines.filter((l) => l.level === 'error').length, 1);
  const resumed = lines.find((l) => l.level === 'info')!;
  assert.match(resumed.message, /writing again after \d+ failed attempt\(s\); \d+ entries written late/);
  const late = Number(/; (\d+) entries written late/.exec(resumed.message)![1]);
  assert.ok(late >= early.length + during.length && late <= want.length, `entries written late: ${late}`);
});

test('audit.file refusing writes with more waiting than maxQueued: the oldest are dropped and their seq range logged, the rest written in order', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-audit-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'audit.log');
  const store = new MemoryStore();
  const { lines, log } = captureLog();
  const state = { broken: true, opens: 0 };
  const droppedBefore = await metric('hubwarden_audit_file_dropped_total');
  const stop = mirrorAuditToFile(store, file, { log, retryMs: 20, maxQueued: 5, open: flakyOpen(state) });
  const seqs = await commit(store, 12);
  assert.equal(await metric('hubwarden_audit_file_waiting'), 5);
  state.broken = false;
  await until('the backlog written', () => lines.some((l) => l.level === 'info'));
  await stop();

  const written = (await readLines(file)).map((l) => l.audit.seq);
  // The first write took 40 bytes of the oldest line before failing: that line is finished, never dropped.
  const kept = written.length === 6 ? [seqs[0], ...seqs.slice(7)] : seqs.slice(7);
  assert.deepEqual(written, kept, 'the newest five (and any line already begun), in order');
  const dropped = seqs.filter((s) => !written.includes(s));
  assert.equal(await metric('hubwarden_audit_file_dropped_total') - droppedBefore, dropped.length);
  const reports = lines.filter((l) => /dropped \d+ entries/.test(l.message)).map((l) => {
    assert.equal(l.level, 'error');
    assert.match(l.message, /hubwarden audit`, GET \/api\/v1\/audit/, 'says where the dropped entries are');
    const m = /dropped (\d+) entries not written \(seq (\d+)(?: to (\d+))?\)/.exec(l.message)!;
    return { count: Number(m[1]), first: Number(m[2]), last: Number(m[3] ?? m[2]) };
  });
  assert.ok(reports.length >= 1 && reports.length <= 2, `the first drop at once, the rest gathered: ${JSON.stringify(lines)}`);
  assert.equal(reports.reduce((n, r) => n + r.count, 0), dropped.length);
  assert.equal(Math.min(...reports.map((r) => r.first)), dropped[0]);
  assert.equal(Math.max(...reports.map((r) => r.last)), dropped.at(-1));
});

test('stopping while a write to audit.file never answers (a dead mount) ends within the stop timeout and names what was not written', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-audit-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = new MemoryStore();
  const { lines, log } = captureLog();
  const hung: AuditFileHandle = { write: () => new Promise(() => {}), close: () => new Promise(() => {}) };
  const stop = mirrorAuditToFile(store, join(dir, 'audit.log'), { log, stopTimeoutMs: 200, open: async () => hung });
  const seqs = await commit(store, 2);
  const started = Date.now();
  await stop();
  assert.ok(Date.now() - started < 1000, `stop took ${Date.now() - started} ms`);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!.message, new RegExp(`stopping with 2 entries not written \\(seq ${seqs[0]} to ${seqs[1]}\\)`));
});

test('two processes auditing in the same millisecond on a shared store keep both entries (neither replaces the other)', async (t) => {
  // A second copy of this module stands for a second replica: its own sequence counter.
  const replicaB = (await import(`./audit-log.ts?${'replica=b'}`)) as typeof import('./audit-log.ts');
  const store = new MemoryStore();
  const realNow = Date.now;
  const frozen = realNow() + 10_000; // past anything either counter has handed out
  Date.now = () => frozen;
  t.after(() => { Date.now = realNow; });
  const trigger = { type: 'scim' as const, idp: 'okta' };
  await store.transact((tx) => { appendAudit(tx, { hubId: 'h1', trigger, action: 'invite', subject: { email: 'a@example.com' }, why: 'replica a', outcome: 'ok' }); });
  await store.transact((tx) => { replicaB.appendAudit(tx, { hubId: 'h1', trigger, action: 'remove-member', subject: { email: 'b@example.com' }, why: 'replica b', outcome: 'ok' }); });
  Date.now = realNow;
  const kept = await queryAudit(store, { hubId: 'h1' });
  assert.deepEqual(kept.items.map((e) => e.why).sort(), ['replica a', 'replica b']);
});

test('audit.file after a crash: entries committed but never written are written at the next start, in order, once; a torn last line does not swallow the next', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-audit-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'audit.log');
  const store = new MemoryStore();
  const seqs = await commit(store, 5);
  const entries = (await queryAudit(store, { limit: 10 })).items.reverse();
  // The process died after the five commits, with two lines written and the third cut short.
  const { auditFileLine } = await import('./audit-log.ts');
  await writeFile(file, auditFileLine(entries[0]!) + auditFileLine(entries[1]!) + auditFileLine(entries[2]!).slice(0, 40));
  const { log, lines: logged } = captureLog();
  const stop = mirrorAuditToFile(store, file, { log });
  const later = await commit(store, 1);
  await stop();
  const text = await readFile(file, 'utf8');
  const parsed = text.split('\n').filter(Boolean).flatMap((l) => { try { return [JSON.parse(l).audit.seq as number]; } catch { return []; } });
  assert.deepEqual(parsed, [...seqs, ...later], 'every entry, once, in seq order');
  const caught = text.split('\n').filter(Boolean).slice(3, 6).map((l) => JSON.parse(l));
  assert.deepEqual(caught.map((l) => l.timestamp), entries.slice(2).map((e) => e.at), 'written late, stamped with their commit time');
  assert.equal(text.split('\n').filter(Boolean).length, parsed.length + 1, 'only the torn fragment is unreadable');
  assert.ok(logged.some((l) => l.level === 'info' && /writing 3 entries committed after its last line/.test(l.message)), JSON.stringify(logged));

  // A shared store (replicas): the newer entries include other replicas', in their own files.
  const shared = Object.assign(new MemoryStore(), { subscribeMissed: () => () => {} });
  await commit(shared, 3);
  const sharedFile = join(dir, 'shared.log');
  const first = (await queryAudit(shared, { limit: 10 })).items.at(-1)!;
  await writeFile(sharedFile, auditFileLine(first));
  await mirrorAuditToFile(shared, sharedFile, { log })();
  assert.equal((await readFile(sharedFile, 'utf8')).split('\n').filter(Boolean).length, 1);
});

test('audit.file after a crash that cut only the last line\'s newline: that entry is ended, not written a second time', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-audit-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'audit.log');
  const store = new MemoryStore();
  const seqs = await commit(store, 4);
  const entries = (await queryAudit(store, { limit: 10 })).items.reverse();
  const { auditFileLine } = await import('./audit-log.ts');
  // The write of the third line stopped one byte short (a partial write, then the process died).
  await writeFile(file, auditFileLine(entries[0]!) + auditFileLine(entries[1]!) + auditFileLine(entries[2]!).slice(0, -1));
  const { log } = captureLog();
  const stop = mirrorAuditToFile(store, file, { log });
  const later = await commit(store, 1);
  await stop();
  const text = await readFile(file, 'utf8');
  assert.ok(text.endsWith('\n'));
  assert.deepEqual(text.split('\n').filter(Boolean).map((l) => JSON.parse(l).audit.seq as number), [...seqs, ...later], 'every entry once, in seq order, every line readable');
});

test('two processes handing out the very same seq on a shared store keep both entries (the key\'s process mark)', async (t) => {
  // Each process starts its milliseconds at a random microsecond, so equal seqs are rare, not
  // impossible: the test above almost never hands out one seq twice. Here replica B's counter is
  // walked up to replica A's seq (its own store), and its next entry, on the shared one, has it.
  const replicaB = (await import(`./audit-log.ts?${'replica=same-seq'}`)) as typeof import('./audit-log.ts');
  const store = new MemoryStore();
  const realNow = Date.now;
  const frozen = realNow() + 20_000; // past anything either counter has handed out (the test above froze +10 s)
  t.after(() => { Date.now = realNow; });
  const entry = (why: string) => ({ hubId: 'h1', trigger, action: 'invite', subject: { email: `${why}@example.com` }, why, outcome: 'ok' as const });
  Date.now = () => frozen;
  const a = await store.transact((tx) => appendAudit(tx, entry('a')));
  Date.now = () => frozen - 1; // B's counter starts below A's seq (its random microsecond is under 1000)
  const warmUp = new MemoryStore();
  let seq = await warmUp.transact((tx) => replicaB.appendAudit(tx, entry('warm-up')).seq);
  assert.ok(seq < a.seq);
  while (seq < a.seq - 1) seq = await warmUp.transact((tx) => replicaB.appendAudit(tx, entry('warm-up')).seq);
  const b = await store.transact((tx) => replicaB.appendAudit(tx, entry('b')));
  Date.now = realNow;
  assert.equal(b.seq, a.seq, 'the same seq, handed out by two processes');
  const kept = await queryAudit(store, { hubId: 'h1' });
  assert.deepEqual(kept.items.map((e) => e.why).sort(), ['a', 'b']);
});

test('audit.file: a value holding U+2028, NEL, C1 or bidi controls stays on its one line, escaped, and parses back to the same entry', async () => {
  const { auditFileLine } = await import('./audit-log.ts');
  // A display name from the IdP crafted to forge a second entry line for a reader splitting on Unicode line breaks.
  const why = 'invite Jane\u2028{"audit":{"action":"remove-member","outcome":"ok"}}\u2029\u0085 \u009b31m red \u202egpj.exe \u007f';
  const entry = { seq: 7, at: '2026-12-01T00:00:00.000Z', hubId: 'h1', trigger: { type: 'scim' as const }, action: 'invite', why, outcome: 'ok' as const };
  const line = auditFileLine(entry);
  assert.ok(line.endsWith('\n'));
  const body = line.slice(0, -1);
  assert.equal(body.split(/\r\n|[\n\r\u000b\u000c\u001c-\u001e\u0085\u2028\u2029]/).length, 1, 'one line however a reader splits lines');
  assert.doesNotMatch(body, /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/, 'no DEL, C1 or bidi control written raw');
  const parsed = JSON.parse(body) as { audit: typeof entry; message: string };
  assert.equal(parsed.audit.why, why, 'the same value once parsed');
  assert.equal(parsed.message, `invite: ${why}`);
});
