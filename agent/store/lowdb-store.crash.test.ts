import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LowdbStore } from './lowdb-store.ts';
import { collect } from './store.ts';
import { TS_NODE_ARGS } from '../../test/child-node.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** Runs the writer child, SIGKILLs it `killAfterMs` after its first acknowledgement, returns the ids it acknowledged. */
function writeUntilKilled(path: string, prefix: string, checkpointBytes: number, killAfterMs: number): Promise<string[]> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...TS_NODE_ARGS, join(here, 'lowdb-store.crash-child.ts'), path, prefix, String(checkpointBytes)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acked: string[] = [];
    let buffer = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('ack ')) {
          // the clock starts at the first acknowledgement, so a slow start (tsx, a busy machine) cannot leave nothing to check
          if (acked.length === 0) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
          acked.push(line.slice(4));
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited by itself (code ${code})`));
      else resolvePromise(acked);
    });
  });
}

test('a writer killed with SIGKILL (mid-append, mid-checkpoint) at a random moment leaves a file that parses and holds every acknowledged write', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-crash-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'store.json');
  let previous = 0;
  for (let round = 0; round < 4; round++) {
    // odd rounds checkpoint every ~50 KB of journal, so kills also land mid-rotation and mid-snapshot
    const acked = await writeUntilKilled(path, `r${round}-`, round % 2 ? 50_000 : 16 << 20, Math.floor(Math.random() * 600));
    assert.ok(acked.length > 0, `round ${round}: the writer acknowledged nothing before it was killed`);
    JSON.parse(await readFile(path, 'utf8')); // never half-written
    const store = new LowdbStore(path);
    await store.open();
    const missing: string[] = [];
    for (const id of acked) if ((await store.get('crashTestItems', '', id)) === undefined) missing.push(id);
    assert.deepEqual(missing, [], `round ${round}: acknowledged writes lost`);
    assert.ok(await store.count('crashTestItems', '') >= previous + acked.length);
    previous = await store.count('crashTestItems', '');
    await store.close();
  }
});

/** Runs the writer child until the chosen file operation is reached, then SIGKILLs it; returns the ids it acknowledged. */
function writeUntilStep(path: string, step: string): Promise<string[]> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...TS_NODE_ARGS, join(here, 'lowdb-store.crash-child.ts'), path, 'w', '50000', step], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acked: string[] = [];
    let stopped = false;
    let buffer = '';
    const never = setTimeout(() => child.kill('SIGKILL'), 60_000); // the step was never reached: fails below
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('ack ')) acked.push(line.slice(4));
        if (line === 'stopped' && !stopped) {
          stopped = true;
          child.kill('SIGKILL');
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(never);
      if (!stopped) reject(new Error(`${step}: the writer never reached the step (exit ${code ?? signal})`));
      else resolvePromise(acked);
    });
  });
}

// Each step where a kill can land: an append written but not synced, a rotation between its two
// renames, a snapshot written but not renamed, the old journal not yet removed, the archive
// mid-write or mid-sync. (The n-th operation: the first ones are the open's own fresh files.)
for (const [step, what] of [
  ['write|store.json.journal|12', 'before a journal append'],
  ['datasync|store.json.journal|12', 'an append written, not yet synced'],
  ['open|store.json.journal.new|2', 'a rotation starting its new journal'],
  ['rename|store.json.journal.new|2', 'a rotation between its two renames (no .journal)'],
  ['rename|.store.json.tmp|2', 'a checkpoint snapshot written, not yet renamed'],
  ['unlink|store.json.journal.1|2', 'a checkpoint done but for removing .journal.1'],
  ['write|audit-000001|6', 'the archive mid-write (commits go on meanwhile)'],
  ['datasync|audit-000001|3', 'a checkpoint syncing the archive'],
] as const) {
  test(`a writer killed at a chosen step (${what}) leaves a store that opens with every acknowledged write and its audit entry, each once`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'hubwarden-crash-step-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'store.json');
    const acked = await writeUntilStep(path, step);
    assert.ok(acked.length > 0, 'the writer acknowledged writes before the step');
    for (let open = 0; open < 2; open++) {
      const store = new LowdbStore(path);
      await store.open();
      const items = new Set((await collect(store.list('crashTestItems', ''))).map((r) => r.id));
      const audited = (await collect(store.newestFirst('audit'))).map((e) => e.why);
      assert.deepEqual(acked.filter((id) => !items.has(id)), [], `open ${open}: acknowledged writes lost`);
      assert.equal(new Set(audited).size, audited.length, `open ${open}: an audit entry doubled`);
      assert.deepEqual([...audited].sort(), [...items].sort(), `open ${open}: each write with its audit entry, no more, no less`);
      await store.close();
    }
  });
}

// A restart that replays a journal writes fresh files (snapshot, then the new journal renamed in,
// then .journal.1 removed); killed at each of those steps, the next start still finds everything.
const cutAppend = ['datasync|store.json.journal|40', 'after an append cut short'] as const;
const cutRotation = ['rename|store.json.journal.new|2', 'after a rotation cut between its renames'] as const;
for (const [step, what, [first, before]] of [
  ['open|store.json.journal.new|1', 'its new journal being created', cutAppend],
  ['rename|.store.json.tmp|1', 'its snapshot written, not yet renamed', cutAppend],
  ['rename|store.json.journal.new|1', 'its snapshot in place, the new journal not yet', cutAppend],
  ['unlink|store.json.journal.1|1', 'everything in place but for removing .journal.1', cutAppend],
  ['rename|store.json.journal.new|1', 'its snapshot in place, the new journal not yet', cutRotation],
  ['unlink|store.json.journal.1|1', 'everything in place but for removing .journal.1', cutRotation],
] as const) {
  test(`a restart ${before}, killed while it folds the journal in (${what}), loses nothing either`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'hubwarden-crash-reopen-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'store.json');
    const acked = await writeUntilStep(path, first);
    assert.ok(acked.length > 0, 'the writer acknowledged writes before it was killed');
    await writeUntilStep(path, step);
    const store = new LowdbStore(path);
    await store.open();
    const items = new Set((await collect(store.list('crashTestItems', ''))).map((r) => r.id));
    const audited = (await collect(store.newestFirst('audit'))).map((e) => e.why);
    assert.deepEqual(acked.filter((id) => !items.has(id)), [], 'acknowledged writes lost');
    assert.equal(new Set(audited).size, audited.length, 'an audit entry doubled');
    assert.deepEqual([...audited].sort(), [...items].sort());
    await store.close();
  });
}

// A journal is created as .journal.new (header, fsync) and renamed into place. Killed before its
// header is written, it is left empty; with no .journal beside it (the very first start, or a
// restart after a rotation was cut between its renames) it held nothing yet, and the store opens.
for (const [first, what] of [
  [undefined, 'the very first start'],
  ['rename|store.json.journal.new|2', 'a restart after a rotation cut between its renames'],
] as const) {
  test(`killed before a new journal's header is written (${what}), the store still opens with every acknowledged write`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'hubwarden-crash-new-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'store.json');
    const acked = first ? await writeUntilStep(path, first) : [];
    if (first) assert.ok(acked.length > 0, 'the writer acknowledged writes before it was killed');
    await writeUntilStep(path, 'write|store.json.journal.new|1');
    assert.equal((await readFile(`${path}.journal.new`)).byteLength, 0, 'the new journal was left empty');
    const store = new LowdbStore(path);
    await store.open();
    const items = new Set((await collect(store.list('crashTestItems', ''))).map((r) => r.id));
    assert.deepEqual(acked.filter((id) => !items.has(id)), [], 'acknowledged writes lost');
    await store.close();
  });
}
