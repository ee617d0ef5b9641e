/**
 * The collections that only grow (the audit log, finished tasks) are kept on disk, not in memory:
 * journaled with the transaction they belong to, appended to the archive once durable, read
 * newest first by paging, and never lost or doubled across a crash.
 */
import { collect } from './store.ts';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendAudit } from '../audit/audit-log.ts';
import { queryAudit } from '../audit/audit-query.ts';
import { enqueueTask, updateTask } from '../tasks/enqueue.ts';
import { archiveFinishedTasks, pruneFinishedTasks } from '../tasks/prune.ts';
import { TaskRunner } from '../tasks/task-runner.ts';
import { findTaskAnywhere, queryTasks } from '../tasks/task-query.ts';
import { FaultyFiles } from './faulty-files.test-double.ts';
import { LowdbStore } from './lowdb-store.ts';
import { Archive } from './archive.ts';

const trigger = { type: 'admin' as const, actor: 'test' };
const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function folder(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-archive-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return { dir, path: join(dir, 'store.json') };
}

/** A copy of the files as a crash at this instant leaves them. */
async function crashImage(dir: string): Promise<string> {
  const image = await mkdtemp(join(tmpdir(), 'hubwarden-archive-image-'));
  for (const name of await readdir(dir)) if (!name.endsWith('.lock')) await cp(join(dir, name), join(image, name), { recursive: true });
  return join(image, 'store.json');
}

const audit = (i: number, hubId = 'h1') => ({ hubId, trigger, action: 'invite', subject: { email: `p${i}@example.com` }, why: `invite ${i}`, outcome: 'ok' as const });

describe('the archive (audit log, finished tasks)', () => {
  test('audit entries are durable with their transaction, not held in memory or in the snapshot, and read newest first after a restart', async (t) => {
    const { path } = await folder(t);
    const store = new LowdbStore(path, { checkpointBytes: 2_000 });
    await store.open();
    for (let i = 0; i < 300; i++) await store.transact((tx) => appendAudit(tx, audit(i, i % 2 ? 'h1' : 'h2')));
    assert.equal((await store.partitions('audit')).length, 0, 'nothing in memory');
    assert.ok(store.checkpoints > 0);
    const live = await queryAudit(store, { hubId: 'h1', limit: 3 });
    assert.equal(live.total, 150);
    assert.deepEqual(live.items.map((e) => e.why), ['invite 299', 'invite 297', 'invite 295']);
    await store.close();
    assert.doesNotMatch(await readFile(path, 'utf8'), /invite 1/, 'the snapshot does not hold the log');
    const again = new LowdbStore(path);
    await again.open();
    const all = await queryAudit(again, { limit: 1_000 });
    assert.equal(all.total, 300, 'each entry exactly once');
    assert.deepEqual(all.items.slice(0, 2).map((e) => e.why), ['invite 299', 'invite 298']);
    assert.equal((await queryAudit(again, { email: 'p7@example.com' })).items[0]?.why, 'invite 7');
    await again.close();
  });

  test('a crash before the archive was written (the disk refused it) loses no entry and doubles none: the journal fills it at the next start', async (t) => {
    const { dir, path } = await folder(t);
    const files = new FaultyFiles();
    const store = new LowdbStore(path, { files, checkpointBytes: 1_500 });
    t.after(() => store.close());
    await store.open();
    for (let i = 0; i < 5; i++) await store.transact((tx) => appendAudit(tx, audit(i)));
    files.inject({ op: 'write', code: 'ENOSPC', path: '.archive' });
    for (let i = 5; i < 60; i++) await store.transact((tx) => appendAudit(tx, audit(i))); // acknowledged: they are in the journal
    await store.transact((tx) => [60, 61, 62].forEach((i) => appendAudit(tx, audit(i)))); // several records in one commit
    await store.settled();
    assert.ok(files.refused > 0, 'the archive writes failed');
    assert.ok((await readdir(dir)).includes('store.json.journal.1'), 'the journal holding them is kept while the archive cannot take them');
    const image = await crashImage(dir);
    t.after(() => rm(join(image, '..'), { recursive: true, force: true }));
    const restarted = new LowdbStore(image);
    await restarted.open();
    const found = await queryAudit(restarted, { limit: 100 });
    assert.equal(found.total, 63);
    assert.deepEqual(new Set(found.items.map((e) => e.why)).size, 63);
    await restarted.close();
    const twice = new LowdbStore(image);
    await twice.open();
    assert.equal((await queryAudit(twice, {})).total, 63, 'reopening does not append them again');
    await twice.close();
  });

  test('a segment file the archive creates has its name made durable (its folder fsynced) before sync resolves, so a journal dropped after it cannot take records with it', async (t) => {
    const { dir } = await folder(t);
    const files = new FaultyFiles();
    const archiveFolder = join(dir, 'store.json.archive');
    const archive = new Archive(files, archiveFolder, 'audit', 300); // a new segment every few records
    await archive.open();
    await archive.sync(); // the open's folder and first segment
    const opened = files.ops.length;
    for (let i = 0; i < 20; i++) {
      archive.append(i + 1, 'h1', audit(i));
      await archive.flush();
    }
    await archive.sync();
    const ops = files.ops.slice(opened);
    const created = ops.flatMap((op, i) => (op.startsWith('open w ') ? [i] : []));
    assert.ok(created.length >= 3, `segments were created (${created.length})`);
    const folderSynced = ops.lastIndexOf(`sync ${archiveFolder}`);
    assert.ok(folderSynced > created[created.length - 1]!, 'the archive folder is synced after the last segment was created');
    assert.ok(files.ops.slice(0, opened).includes(`sync ${dir}`), 'at open, the folder holding the (maybe new) archive folder is synced too');
    await archive.close();
    const reread = new Archive(files, archiveFolder, 'audit', 300);
    await reread.open();
    assert.deepEqual((await collect(reread.oldestFirst())).map((r) => r.seq), Array.from({ length: 20 }, (_, i) => i + 1));
    await reread.close();
  });

  test('a damaged line mid-segment whose journal is gone: open keeps every good line after it (nothing else holds them) and readers skip only that one', async (t) => {
    const { dir, path } = await folder(t);
    const store = new LowdbStore(path);
    await store.open();
    for (let i = 0; i < 30; i++) await store.transact((tx) => appendAudit(tx, audit(i)));
    await store.close(); // the archive is synced and the journal folded in: it holds none of them
    const segment = join(dir, 'store.json.archive', 'audit-000001.log');
    const lines = (await readFile(segment, 'utf8')).split('\n');
    lines[9] = lines[9]!.replace('invite 9', 'invite X'); // bit rot: the line fails its checksum
    await writeFile(segment, lines.join('\n'));
    const again = new LowdbStore(path);
    await again.open();
    const found = await queryAudit(again, { limit: 100 });
    assert.equal(found.total, 29, 'every entry but the damaged one');
    assert.deepEqual(found.items.map((e) => e.why).filter((w) => w === 'invite 29' || w === 'invite 10'), ['invite 29', 'invite 10']);
    await again.transact((tx) => appendAudit(tx, audit(100)));
    await again.close();
    const reread = new LowdbStore(path);
    await reread.open();
    const after = await queryAudit(reread, { limit: 100 });
    assert.equal(after.total, 30, 'the new entry kept, none doubled');
    assert.equal(after.items[0]?.why, 'invite 100');
    await reread.close();
  });

  test('a hole a power loss left mid-segment in what was never synced: the journal still holds those commits, so open cuts it off and appends them again, once', async (t) => {
    const { dir, path } = await folder(t);
    const store = new LowdbStore(path);
    t.after(() => store.close());
    await store.open();
    for (let i = 0; i < 30; i++) await store.transact((tx) => appendAudit(tx, audit(i)));
    await store.settled();
    const image = await crashImage(dir);
    t.after(() => rm(join(image, '..'), { recursive: true, force: true }));
    const segment = join(image + '.archive', 'audit-000001.log');
    const bytes = await readFile(segment);
    let start = 0;
    for (let n = 0; n < 12; n++) start = bytes.indexOf(10, start) + 1;
    const end = bytes.indexOf(10, start) + 1;
    bytes.fill(0, start, end); // line 13 never reached the disk; later pages did
    await writeFile(segment, bytes);
    const restarted = new LowdbStore(image);
    await restarted.open();
    const found = await queryAudit(restarted, { limit: 100 });
    assert.equal(found.total, 30);
    assert.equal(new Set(found.items.map((e) => e.why)).size, 30, 'each entry once');
    await restarted.close();
  });

  test('a damaged line inside a commit the journals no longer hold: open keeps that commit\'s good lines after it, though the journal holds every later commit', async (t) => {
    const { dir, path } = await folder(t);
    const store = new LowdbStore(path);
    await store.open();
    // Ten commits of three entries each, archived and synced; the journal folded in holds none.
    for (let c = 0; c < 10; c++) await store.transact((tx) => { for (let k = 0; k < 3; k++) appendAudit(tx, audit(c * 3 + k)); });
    await store.close();
    const again = new LowdbStore(path);
    t.after(() => again.close());
    await again.open();
    await again.transact((tx) => appendAudit(tx, audit(30))); // the journal now holds this commit only
    await again.settled();
    const image = await crashImage(dir);
    t.after(() => rm(join(image, '..'), { recursive: true, force: true }));
    const segment = join(image + '.archive', 'audit-000001.log');
    const lines = (await readFile(segment, 'utf8')).split('\n');
    assert.match(lines[28]!, /invite 28/);
    lines[28] = lines[28]!.replace('invite 28', 'invite X'); // bit rot in the last commit's second entry
    await writeFile(segment, lines.join('\n'));
    const restarted = new LowdbStore(image);
    await restarted.open();
    const found = await queryAudit(restarted, { limit: 100 });
    const whys = new Set(found.items.map((e) => e.why));
    assert.ok(whys.has('invite 29'), 'the good entry after the damaged one, in a commit no journal holds, is kept');
    assert.ok(whys.has('invite 30'), 'the journal\'s commit is archived');
    assert.equal(found.total, 30, 'every entry but the damaged one, once');
    await restarted.close();
  });

  test('an archive fdatasync that failed and dropped its writes (Linux marks them clean, the next one succeeds): the next sync writes them again, so success means on disk', async (t) => {
    const { dir } = await folder(t);
    const files = new FaultyFiles();
    const archiveFolder = join(dir, 'store.json.archive');
    const archive = new Archive(files, archiveFolder, 'audit');
    await archive.open();
    for (let i = 1; i <= 3; i++) archive.append(i, 'h1', audit(i));
    await archive.sync();
    for (let i = 4; i <= 8; i++) archive.append(i, 'h1', audit(i));
    await archive.flush();
    files.inject({ op: 'datasync-losing', path: '.archive' });
    await assert.rejects(archive.sync(), /EIO/);
    files.heal();
    await archive.sync();
    await archive.close();
    const reread = new Archive(files, archiveFolder, 'audit');
    await reread.open();
    assert.deepEqual((await collect(reread.oldestFirst())).map((r) => r.seq), [1, 2, 3, 4, 5, 6, 7, 8]);
    await reread.close();
  });

  test('a store whose archive fdatasync failed losing the writes keeps every audit entry: the journal is dropped only after they are written again and synced', async (t) => {
    const { dir, path } = await folder(t);
    const files = new FaultyFiles();
    const store = new LowdbStore(path, { files, checkpointBytes: 1_500 });
    t.after(() => store.close());
    await store.open();
    for (let i = 0; i < 5; i++) await store.transact((tx) => appendAudit(tx, audit(i)));
    await store.settled();
    files.inject({ op: 'datasync-losing', path: '.archive' });
    for (let i = 5; i < 30; i++) await store.transact((tx) => appendAudit(tx, audit(i)));
    await store.settled();
    assert.ok(files.refused > 0, 'an archive sync failed');
    files.heal();
    for (let i = 30; i < 60; i++) await store.transact((tx) => appendAudit(tx, audit(i)));
    await store.settled();
    assert.ok(!(await readdir(dir)).includes('store.json.journal.1'), 'a checkpoint has since dropped the journal that held them');
    const image = await crashImage(dir);
    t.after(() => rm(join(image, '..'), { recursive: true, force: true }));
    const restarted = new LowdbStore(image);
    await restarted.open();
    const found = await queryAudit(restarted, { limit: 100 });
    assert.equal(found.total, 60);
    assert.equal(new Set(found.items.map((e) => e.why)).size, 60);
    await restarted.close();
  });

  test('a new segment that cannot be created (ENOSPC) leaves the archive writing to the current one, and it recovers with the disk', async (t) => {
    const { dir } = await folder(t);
    const files = new FaultyFiles();
    const archiveFolder = join(dir, 'store.json.archive');
    const archive = new Archive(files, archiveFolder, 'audit', 300);
    await archive.open();
    files.inject({ op: 'open', code: 'ENOSPC', path: 'audit-000002' });
    let seq = 0;
    while (files.refused === 0 && seq < 20) {
      archive.append(++seq, 'h1', audit(seq));
      await archive.flush(); // the records are written even when the next segment cannot be started
    }
    assert.ok(files.refused > 0, 'the new segment was refused');
    archive.append(++seq, 'h1', audit(seq));
    await archive.sync(); // still writes to the current segment
    files.heal();
    for (let i = 0; i < 5; i++) archive.append(++seq, 'h1', audit(seq));
    await archive.sync();
    await archive.close();
    const reread = new Archive(files, archiveFolder, 'audit', 300);
    await reread.open();
    assert.deepEqual((await collect(reread.oldestFirst())).map((r) => r.seq), Array.from({ length: seq }, (_, i) => i + 1));
    await reread.close();
  });

  test('a crash right after a new segment was started (still empty): the journal refills only what the archive lacks, nothing twice', async (t) => {
    const { dir, path } = await folder(t);
    const store = new LowdbStore(path, { archiveSegmentBytes: 1_000 });
    t.after(() => store.close());
    await store.open();
    const segments = join(dir, 'store.json.archive');
    let written = 0;
    for (; written < 50; ) {
      await store.transact((tx) => appendAudit(tx, audit(written)));
      written++;
      await queryAudit(store, { limit: 1 }); // the archive is written
      const names = (await readdir(segments)).filter((n) => n.startsWith('audit-')).sort();
      if (names.length > 1 && (await readFile(join(segments, names[names.length - 1]!))).byteLength === 0) break;
    }
    assert.ok(written < 50, 'a new, empty segment was started');
    const image = await crashImage(dir); // the journal still holds every commit
    t.after(() => rm(join(image, '..'), { recursive: true, force: true }));
    const restarted = new LowdbStore(image, { archiveSegmentBytes: 1_000 });
    await restarted.open();
    const found = await queryAudit(restarted, { limit: 100 });
    assert.equal(found.total, written, 'each entry once');
    assert.equal(new Set(found.items.map((e) => e.why)).size, written);
    await restarted.close();
  });

  test('a store written before the archive existed (audit in the snapshot) moves its log to the archive on open', async (t) => {
    const { path } = await folder(t);
    const entry = { seq: 5, at: '2026-01-01T00:00:00.000Z', hubId: 'h1', trigger, action: 'invite', why: 'old one', outcome: 'ok' };
    await writeFile(path, JSON.stringify({ format: 'hubwarden-store/1', seq: 3, collections: { audit: { h1: [['5', entry]] } } }));
    const store = new LowdbStore(path);
    await store.open();
    assert.equal((await store.partitions('audit')).length, 0);
    assert.deepEqual((await queryAudit(store, {})).items.map((e) => e.why), ['old one']);
    await store.close();
    const again = new LowdbStore(path);
    await again.open();
    assert.equal((await queryAudit(again, {})).total, 1);
    await again.close();
  });

  test('finished tasks move to the archive a while after they finish; listing and lookup by id still find them, retention drops them', async (t) => {
    const { path } = await folder(t);
    const store = new LowdbStore(path);
    new TaskRunner({ store, handlers: [], hubs: () => new Map(), connectorFor: () => undefined, log: silent }); // task indexes
    await store.open();
    const now = Date.parse('2026-06-01T00:00:00Z');
    const ago = (ms: number) => new Date(now - ms);
    const ids = await store.transact(async (tx) => {
      const mk = (key: string) => enqueueTask(tx, { hubId: 'h1', kind: 'invite', payload: {}, idempotencyKey: key, trigger, summary: key, now: ago(600_000) });
      const done = await updateTask(tx, await mk('done'), { status: 'completed', completedAt: ago(120_000).toISOString() }, ago(120_000));
      const fresh = await updateTask(tx, await mk('fresh'), { status: 'completed', completedAt: ago(10_000).toISOString() }, ago(10_000));
      const failed = await updateTask(tx, await mk('failed'), { status: 'failed', completedAt: ago(120_000).toISOString() }, ago(120_000));
      const queued = await mk('queued');
      return { done: done.id, fresh: fresh.id, failed: failed.id, queued: queued.id };
    });
    assert.equal(await archiveFinishedTasks(store, now - 60_000), 1);
    assert.deepEqual((await collect(store.list('tasks', 'h1'))).map((x) => x.id).sort(), [ids.fresh, ids.failed, ids.queued].sort(), 'failed and recent ones stay in memory');
    assert.equal((await store.partitions('finishedTasks')).length, 0, 'the archived one is not in memory');
    await store.close();
    const again = new LowdbStore(path);
    new TaskRunner({ store: again, handlers: [], hubs: () => new Map(), connectorFor: () => undefined, log: silent });
    await again.open();
    const page = await queryTasks(again, { hubId: 'h1' });
    assert.equal(page.total, 4);
    assert.ok(page.items.some((x) => x.id === ids.done), 'the archived task is listed with the ones in memory (in creation order)');
    assert.equal((await queryTasks(again, { status: 'completed' })).total, 2);
    assert.equal((await findTaskAnywhere(again, ids.done))?.status, 'completed');
    assert.equal(await pruneFinishedTasks(again, Date.now() + 60_000), 2, 'the failed and the recent one in memory; the archive segment being written is kept');
    await again.close();
  });
});
