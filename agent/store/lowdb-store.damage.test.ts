/**
 * Damaged store files: only a torn final record with no newline may be dropped on open; every
 * other damage refuses to start, naming the file, the line and what would be lost.
 * `hubwarden store check` reports the same, and `hubwarden store repair --accept-loss` keeps a
 * copy of the files, keeps every acknowledged write before the damage and lists what it dropped.
 */
import { collect } from './store.ts';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LowdbStore } from './lowdb-store.ts';
import { checkStore, repairStore } from './store-repair.ts';
import { queryAudit } from '../audit/audit-query.ts';

declare module './collections.ts' {
  interface Collections {
    damageTestItems: { id: string; n: number };
  }
}

const BIN = new URL('../../bin/hubwarden.mjs', import.meta.url).pathname;

/** Ten acknowledged commits (k0..k9, one each; journal lines 2..11), left as a crash leaves them. */
async function crashedStore(t: { after: (fn: () => Promise<void>) => void }, fold = false) {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-damage-'));
  const path = join(dir, 'store.json');
  const store = new LowdbStore(path);
  t.after(async () => {
    await store.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });
  await store.open();
  for (let i = 0; i < 10; i++) await store.transact((tx) => tx.put('damageTestItems', 'h', `k${i}`, { id: `k${i}`, n: i }));
  if (fold) await store.close(); // everything in the snapshot
  else await store.settled(); // (left open: its files are what a kill -9 leaves)
  return { dir, path, journal: `${path}.journal` };
}

async function ids(path: string): Promise<string[]> {
  const store = new LowdbStore(path);
  await store.open();
  const out = (await collect(store.list('damageTestItems', 'h'))).map((r) => r.id);
  await store.close();
  return out;
}

async function editLine(file: string, line: number, edit: (text: string) => string): Promise<void> {
  const lines = (await readFile(file, 'utf8')).split('\n');
  lines[line - 1] = edit(lines[line - 1]!);
  await writeFile(file, lines.join('\n'));
}

async function refusal(path: string): Promise<string> {
  const store = new LowdbStore(path);
  let message = '';
  await assert.rejects(store.open(), (err: Error) => ((message = err.message), true));
  assert.match(message, /Nothing was touched/);
  return message;
}

describe('LowdbStore damaged files', () => {
  test('a corrupt complete record mid-journal: open refuses naming file, line and the commits lost; repair keeps the rest and lists what it dropped', async (t) => {
    const { dir, path, journal } = await crashedStore(t);
    await editLine(journal, 6, (l) => l.replace('"n":4', '"n":7')); // commit 5 (k4): one digit changed, newline intact
    const before = await readFile(journal);
    const message = await refusal(path);
    assert.ok(message.includes(`${journal} line 6: checksum mismatch`), message);
    assert.match(message, /would lose lines 6 to 11: commits 5 to 10 \(6 commits, 6 record changes\)/);
    assert.deepEqual(await readFile(journal), before, 'nothing touched');

    const check = await checkStore(path);
    assert.equal(check.ok, false);
    assert.ok(check.lines.some((l) => l.startsWith(`DAMAGED ${journal} line 6: checksum mismatch`)), check.lines.join('\n'));
    assert.deepEqual(await readFile(journal), before, 'check changes nothing');

    const repaired = await repairStore(path);
    assert.deepEqual(repaired.dropped, [4, 5, 6, 7, 8, 9].map((i) => `${journal} line ${i + 2}: commit ${i + 1}: put damageTestItems/h/k${i}`));
    assert.deepEqual(await readFile(join(repaired.backup!, 'store.json.journal')), before, 'a copy of the damaged journal is kept');
    assert.deepEqual(await ids(path), ['k0', 'k1', 'k2', 'k3'], 'every write before the damage is there');
    assert.equal((await checkStore(path)).ok, true);
    assert.ok((await readdir(dir)).some((n) => n.startsWith('store.json.damaged-')));

    // The repair is in the repaired store's audit log: what was damaged, what was dropped, where the copies are.
    const store = new LowdbStore(path);
    await store.open();
    t.after(() => store.close());
    const audit = await queryAudit(store, { action: 'store-repaired' });
    assert.equal(audit.total, 1);
    const entry = audit.items[0]!;
    assert.equal(entry.trigger.type, 'cli');
    assert.match(entry.trigger.actor ?? '', /hubwarden store repair/);
    assert.equal(entry.outcome, 'ok');
    assert.match(entry.why, /kept everything up to commit 4, dropped 6 record change\(s\)/);
    assert.equal(entry.detail?.backup, repaired.backup);
    assert.deepEqual(entry.detail?.dropped, repaired.dropped);
    assert.equal(entry.detail?.droppedCount, 6);
    assert.match(String((entry.detail?.damage as string[])[0]), /line 6: checksum mismatch/);
  });

  test('a store with nothing damaged: repair writes nothing, not even an audit entry', async (t) => {
    const { path } = await crashedStore(t, true);
    const repaired = await repairStore(path);
    assert.equal(repaired.backup, undefined);
    const store = new LowdbStore(path);
    await store.open();
    t.after(() => store.close());
    assert.equal((await queryAudit(store, {})).total, 0);
  });

  test('a corrupt final record that is complete (newline present) is damage, not a torn append', async (t) => {
    const { path, journal } = await crashedStore(t);
    await editLine(journal, 11, (l) => l.replace('"k9"', '"k8"'));
    const message = await refusal(path);
    assert.ok(message.includes(`${journal} line 11: checksum mismatch`), message);
    assert.match(message, /commits 10 to 10 \(1 commits, 1 record changes\)/);
  });

  test('garbage in the middle of the journal refuses to start', async (t) => {
    const { path, journal } = await crashedStore(t);
    await editLine(journal, 4, (l) => `${l}\n\u0000\u0000garbage`);
    const message = await refusal(path);
    assert.ok(message.includes(`${journal} line 5: no checksum`), message);
    assert.match(message, /lines 5 to 12: commits 4 to 10/);
    const repaired = await repairStore(path);
    assert.ok(repaired.dropped.includes(`${journal} line 5: unreadable (9 bytes), its changes unknown`), repaired.dropped.join('\n'));
    assert.deepEqual(await ids(path), ['k0', 'k1', 'k2']);
  });

  test('a store path that is a directory: open and check say so, neither advises a repair, and repair refuses, writing nothing', async (t) => {
    const parent = await mkdtemp(join(tmpdir(), 'hubwarden-damage-'));
    t.after(() => rm(parent, { recursive: true, force: true }));
    const dir = join(parent, 'data');
    await mkdir(dir);
    const message = await refusal(dir);
    assert.equal(message, `store: cannot open ${dir}: is a directory, not a store file: store.path names the file itself (such as data/hubwarden.json); starting anyway would lose nothing; point store.path at a file and retry. Nothing was touched`);
    const check = await checkStore(dir);
    assert.equal(check.ok, false);
    assert.ok(check.lines.includes(`DAMAGED ${dir}: is a directory, not a store file: store.path names the file itself (such as data/hubwarden.json); starting anyway would lose nothing; point store.path at a file and retry`), check.lines.join('\n'));
    const before = await readdir(parent);
    await assert.rejects(repairStore(dir), /is a directory, not a store file.*nothing to repair until it can be read/);
    assert.deepEqual(await readdir(parent), before, 'no backup folder, no new store files');
  });

  test('a torn final record with no newline (never acknowledged) is dropped and the store opens with every acknowledged write', async (t) => {
    const { path, journal } = await crashedStore(t);
    await writeFile(journal, `${await readFile(journal, 'utf8')}{"seq":11,"changes":[["damageTestItems","h",["k10"`);
    assert.equal((await checkStore(path)).ok, true);
    assert.deepEqual(await ids(path), Array.from({ length: 10 }, (_, i) => `k${i}`));
  });

  test('a missing journal next to a snapshot that expects one refuses to start', async (t) => {
    const { path, journal } = await crashedStore(t);
    await unlink(journal);
    const message = await refusal(path);
    assert.ok(message.includes(`${journal}: is missing, but the snapshot (commit 0) expects one`), message);
    assert.match(message, /would lose every commit after 0/);
    const repaired = await repairStore(path);
    assert.deepEqual(await ids(path), [], 'nothing readable to keep');
    assert.ok(repaired.backup);
  });

  test('an empty journal next to a snapshot that expects one refuses to start', async (t) => {
    const { path, journal } = await crashedStore(t);
    await writeFile(journal, '');
    const message = await refusal(path);
    assert.ok(message.includes(`${journal}: is empty (0 bytes)`), message);
  });

  test('a snapshot that fails its checksum refuses to start; repair keeps its records and says they cannot be trusted', async (t) => {
    const { path } = await crashedStore(t, true);
    const text = await readFile(path, 'utf8');
    assert.match(text, /"n":3/);
    await writeFile(path, text.replace('"n":3', '"n":8'));
    const message = await refusal(path);
    assert.ok(message.includes(`${path}: fails its checksum`), message);
    // store check describes the same snapshot repair keeps: not "no snapshot, 0 record(s)" beside a
    // damage line saying repair keeps all of its records.
    const check = await checkStore(path);
    assert.equal(check.ok, false);
    const summary = /^(.*): snapshot at commit (\d+), 0 journal commit\(s\) after it, (\d+) record\(s\) readable up to commit (\d+)$/.exec(check.lines[0]!);
    assert.ok(summary, check.lines.join('\n'));
    assert.equal(summary[1], path);
    assert.equal(summary[2], summary[4]);
    const trusted = /fails its checksum.*trust in all of its (\d+) records/.exec(check.lines.find((l) => l.startsWith('DAMAGED')) ?? '');
    assert.ok(trusted, check.lines.join('\n'));
    assert.equal(trusted[1], summary[3], 'the summary counts the records the damage line says repair keeps');
    const repaired = await repairStore(path);
    assert.deepEqual(repaired.lines.slice(0, check.lines.length), check.lines, 'check printed what repair found');
    assert.deepEqual(repaired.dropped, []);
    assert.equal((await ids(path)).length, 10);
  });

  test('an unreadable snapshot refuses to start; repair drops it and says so', async (t) => {
    const { path, journal } = await crashedStore(t, true);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.slice(0, text.length / 2));
    const message = await refusal(path);
    assert.ok(message.includes(`${path}: fails its checksum`) || message.includes(`${path}: not valid JSON`), message);
    const repaired = await repairStore(path);
    assert.deepEqual(repaired.dropped, [`${path}: unreadable, every record in it`]);
    assert.deepEqual(await ids(path), []);
    void journal;
  });

  test('a snapshot that is not JSON is said so without quoting a character around the fault (a secret written in it, a short file)', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'hubwarden-damage-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    for (const [name, text, secret] of [['store.json', '{"token": KtWpvcPt5T1ukyvOQIu3FmE}\n', 'KtWpvcPt5T1'], ['short.json', '{\nSh0rt\n', 'Sh0rt']] as const) {
      const path = join(dir, name);
      await writeFile(path, text);
      const check = await checkStore(path);
      assert.equal(check.ok, false);
      const said = check.lines.join('\n');
      assert.match(said, /not valid JSON \(/);
      assert.ok(!said.includes(secret.slice(1, 5)), said);
      assert.equal(check.lines.length, said.split('\n').length, 'no line broken by a quoted line break');
    }
  });

  test('a file that is no store at all (the config, a token file, another program\'s JSON named by --path or store.path by mistake): check names it so, repair and open refuse and leave it as it is', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'hubwarden-damage-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    // Another program's JSON too (package.json, the emulator's data/sandbox-meta-business.json
    // beside the store): taken for a damaged snapshot, repair replaced it with an empty store.
    for (const [name, text] of [['hubwarden.yaml', 'server:\n  port: 8080\nhubs: []\n'], ['admin-token', 'KtWpvcPt5T1ukyvOQIu3FmE-9zkRAWiTQpZ4Ue3LKq8\n'], ['package.json', '{"name":"hubwarden","version":"0.1.0"}\n'], ['sandbox-meta-business.json', '{"format":"meta-sandbox/1","people":[]}\n']] as const) {
      const path = join(dir, name);
      await writeFile(path, text);
      const check = await checkStore(path);
      assert.equal(check.ok, false);
      assert.match(check.lines.join('\n'), /is not a store file .*point store\.path \(or --path\) at the store's own file/);
      assert.ok(!check.lines.join('\n').includes(text.slice(1, 8)));
      await assert.rejects(repairStore(path), /is not a store file.*nothing to repair/);
      await assert.rejects(new LowdbStore(path).open(), (err: Error) => /is not a store file/.test(err.message) && /Nothing was touched/.test(err.message) && !/store repair/.test(err.message));
      assert.equal(await readFile(path, 'utf8'), text, 'left as it was');
    }
    assert.deepEqual((await readdir(dir)).sort(), ['admin-token', 'hubwarden.yaml', 'package.json', 'sandbox-meta-business.json'], 'no copy, journal or lock left behind');
  });

  test('hubwarden store check / repair: exit codes, --accept-loss required, and a live server\'s lock respected', async (t) => {
    const { path, journal } = await crashedStore(t);
    await editLine(journal, 3, (l) => l.replace('"n":1', '"n":2'));
    await unlink(`${path}.lock`); // the writer is gone (kill -9 leaves its lock; a dead pid's lock is taken over anyway)
    const cli = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, HUBWARDEN_LOG_LEVEL: 'silent' }, timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
    });
    const check = await cli(['store', 'check', '--path', path]);
    assert.equal(check.code, 1, check.stderr);
    assert.match(check.stdout, /DAMAGED .*store\.json\.journal line 3: checksum mismatch/);
    const refused = await cli(['store', 'repair', '--path', path]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--accept-loss/);
    const held = await new LowdbStore(path).open().then(() => 'opened', () => 'refused');
    assert.equal(held, 'refused', 'the damage still stops a start');
    await unlink(`${path}.lock`).catch(() => {});
    await writeFile(`${path}.lock`, String(process.pid)); // a live process (this one) holds the store
    const locked = await cli(['store', 'repair', '--accept-loss', '--path', path]);
    assert.equal(locked.code, 1);
    assert.match(locked.stderr, new RegExp(`in use by process ${process.pid}`));
    await unlink(`${path}.lock`);
    const repaired = await cli(['store', 'repair', '--accept-loss', '--path', path]);
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.match(repaired.stdout, /dropped 9 record change\(s\):\n {2}.*line 3: commit 2: put damageTestItems\/h\/k1/);
    assert.match(repaired.stdout, /audited in the repaired store as store-repaired/);
    assert.deepEqual(await ids(path), ['k0']);
  });
});
