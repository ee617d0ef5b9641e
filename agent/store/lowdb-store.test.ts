import { hostname } from 'node:os';
import { collect } from './store.ts';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JSONFile } from 'lowdb/node';
import { appendFile } from 'node:fs/promises';
import { journalRecord } from './journal.ts';
import { LowdbStore } from './lowdb-store.ts';
import { TS_NODE_ARGS } from '../../test/child-node.ts';

declare module './collections.ts' {
  interface Collections {
    storeTestItems: { id: string; n: number; note?: string };
  }
}

async function tempPath(): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-store-'));
  return { path: join(dir, 'store.json'), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

describe('LowdbStore', () => {
  test('a reopened store sees every committed change, deletes included, in insertion order', async (t) => {
    const { path, cleanup } = await tempPath();
    t.after(cleanup);
    const a = new LowdbStore(path);
    await a.open();
    // numeric-looking ids would be reordered by a plain JSON object
    for (const id of ['z', '20', '3', 'a']) await a.transact((tx) => tx.put('storeTestItems', 'hub-a', id, { id, n: Number(id) || 0 }));
    await a.transact((tx) => {
      tx.delete('storeTestItems', 'hub-a', 'a');
      tx.put('storeTestItems', 'hub-b', '1', { id: '1', n: 1, note: 'ü ✓' });
      tx.put('storeTestItems', 'hub-a', 'z', { id: 'z', n: 99 });
    });
    await a.close();

    const b = new LowdbStore(path);
    await b.open();
    assert.deepEqual((await collect(b.list('storeTestItems', 'hub-a'))).map((r) => r.id), ['z', '20', '3']);
    assert.equal((await b.get('storeTestItems', 'hub-a', 'z'))?.n, 99);
    assert.equal(await b.get('storeTestItems', 'hub-a', 'a'), undefined);
    assert.equal((await b.get('storeTestItems', 'hub-b', '1'))?.note, 'ü ✓');
    await b.close();
    // the file is a plain JSON document that lowdb itself reads
    const doc = (await new JSONFile<any>(path).read()) as any;
    assert.equal(doc.format, 'hubwarden-store/2');
    assert.equal(doc.collections.storeTestItems['hub-a'].length, 3);
  });

  test('indexes are rebuilt from the file on open', async (t) => {
    const { path, cleanup } = await tempPath();
    t.after(cleanup);
    const a = new LowdbStore(path);
    await a.open();
    await a.transact((tx) => tx.put('storeTestItems', 'h', 'x', { id: 'x', n: 7 }));
    await a.close();
    const b = new LowdbStore(path);
    b.defineIndex('storeTestItems', 'storeTestItems.n', (r, p) => [`${p}\u0000${r.n}`]);
    await b.open();
    assert.deepEqual((await b.lookup('storeTestItems', 'storeTestItems.n', 'h\u00007')).map((r) => r.id), ['x']);
    await b.close();
  });

  test('concurrent transactions are group-committed into far fewer writes, each resolved only once durable', async (t) => {
    const { path, cleanup } = await tempPath();
    t.after(cleanup);
    const written: string[] = [];
    const store = new LowdbStore(path, {
      beforeAppend: async (bytes) => {
        await new Promise((r) => setTimeout(r, 20)); // a slow disk
        written.push(bytes.toString());
      },
    });
    await store.open();
    const n = 50;
    const acks = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        store.transact((tx) => tx.put('storeTestItems', 'h', `r${i}`, { id: `r${i}`, n: i })).then(() => written.length),
      ),
    );
    // the first transaction starts an append alone; the other 49 arrive while it runs and share one
    assert.equal(store.commits, 2);
    assert.equal(written.length, 2);
    // each acknowledgement came after a write that contains its record
    acks.forEach((writesBefore, i) => assert.ok(written[writesBefore - 1]?.includes(`"r${i}"`), `r${i} acknowledged before written`));
    await store.close();
  });

  test('a transaction that throws changes nothing, in memory or on disk', async (t) => {
    const { path, cleanup } = await tempPath();
    t.after(cleanup);
    const store = new LowdbStore(path);
    await store.open();
    await store.transact((tx) => tx.put('storeTestItems', 'h', 'keep', { id: 'keep', n: 1 }));
    const commits = store.commits;
    await assert.rejects(
      store.transact((tx) => {
        tx.put('storeTestItems', 'h', 'new', { id: 'new', n: 2 });
        tx.delete('storeTestItems', 'h', 'keep');
        throw new Error('duplicate userName');
      }),
      /duplicate userName/,
    );
    assert.equal(await store.get('storeTestItems', 'h', 'new'), undefined);
    assert.equal((await store.get('storeTestItems', 'h', 'keep'))?.n, 1);
    assert.equal(store.commits, commits);
    await store.close();
    const reopened = new LowdbStore(path);
    await reopened.open();
    assert.deepEqual((await collect(reopened.list('storeTestItems', 'h'))).map((r) => r.id), ['keep']);
    await reopened.close();
  });

  for (const [name, content, expected] of [
    ['truncated JSON', '{"format":"hubwarden-store/1","collections":{"x":{"h":[["a",{}', /not valid JSON/],
    ['another program\'s JSON', '{"users":[]}', /is not a store file/],
    ['a malformed partition', '{"format":"hubwarden-store/1","seq":0,"collections":{"x":{"h":{"a":1}}}}', /collections\.x\.h: expected an array/],
  ] as const) {
    test(`an unreadable file (${name}) stops open with a message naming it and is left untouched`, async (t) => {
      const { path, cleanup } = await tempPath();
      t.after(cleanup);
      await writeFile(path, content);
      const before = await stat(path);
      const store = new LowdbStore(path);
      await assert.rejects(store.open(), (err: Error) => {
        assert.ok(err.message.includes(path), err.message);
        assert.match(err.message, expected);
        assert.match(err.message, /Nothing was touched/);
        return true;
      });
      await assert.rejects(store.transact((tx) => tx.put('storeTestItems', 'h', 'a', { id: 'a', n: 1 })), /not open/);
      await store.close();
      assert.equal(await readFile(path, 'utf8'), content);
      assert.equal((await stat(path)).mtimeMs, before.mtimeMs);
    });
  }

  test('checkpoints rotate the journal into a new snapshot while commits go on; reopen sees everything', async (t) => {
    const { path, cleanup } = await tempPath();
    t.after(cleanup);
    const store = new LowdbStore(path, { checkpointBytes: 300 });
    await store.open();
    for (let round = 0; round < 20; round++) {
      await Promise.all(Array.from({ length: 5 }, (_, i) => store.transact((tx) => tx.put('storeTestItems', 'h', `k${i}`, { id: `k${i}`, n: round }))));
      if (round === 10) await store.transact((tx) => tx.delete('storeTestItems', 'h', 'k0'));
    }
    assert.ok(store.checkpoints >= 3, `expected several checkpoints, got ${store.checkpoints}`);
    // a crash now (no close): snapshot + journals must hold the latest state. Settle first only
    // because two stores in one process would share the snapshot's temp file.
    await store.settled();
    const crashed = new LowdbStore(path);
    await crashed.open();
    assert.deepEqual((await collect(crashed.list('storeTestItems', 'h'))).map((r) => [r.id, r.n]), [['k1', 19], ['k2', 19], ['k3', 19], ['k4', 19], ['k0', 19]]);
    await crashed.close();
    await store.close();
  });

  test('a torn last journal line (an append never acknowledged) is ignored and cut off', async (t) => {
    const { path, cleanup } = await tempPath();
    t.after(cleanup);
    const store = new LowdbStore(path);
    await store.open();
    await store.transact((tx) => tx.put('storeTestItems', 'h', 'a', { id: 'a', n: 1 }));
    // simulate a crash mid-append: the process dies, leaving half a line behind
    await appendFile(store.journalPath, '{"seq":2,"changes":[["storeTestItems","h",["b",{"id":"b"');
    const reopened = new LowdbStore(path);
    await reopened.open();
    assert.equal((await reopened.get('storeTestItems', 'h', 'a'))?.n, 1);
    assert.equal(await reopened.get('storeTestItems', 'h', 'b'), undefined);
    assert.equal(await readFile(reopened.journalPath, 'utf8'), '{"journal":"hubwarden-journal/2","after":1}\n', 'cut off: a fresh journal after commit 1');
    await reopened.transact((tx) => tx.put('storeTestItems', 'h', 'c', { id: 'c', n: 3 }));
    await reopened.close();
    const again = new LowdbStore(path);
    await again.open();
    assert.deepEqual((await collect(again.list('storeTestItems', 'h'))).map((r) => r.id), ['a', 'c']);
    await again.close();
  });

  test('a damaged journal line before the end stops open with a message naming the journal; nothing is touched', async (t) => {
    const { path, cleanup } = await tempPath();
    t.after(cleanup);
    const store = new LowdbStore(path);
    await store.open();
    await store.transact((tx) => tx.put('storeTestItems', 'h', 'a', { id: 'a', n: 1 }));
    const journal = store.journalPath;
    const journalBefore0 = `${await readFile(journal, 'utf8')}garbage\n{"seq":3,"changes":[]}\n`;
    await appendFile(journal, 'garbage\n{"seq":3,"changes":[]}\n');
    await store.close(); // (close folds the journal in; the test damages the one a crash would leave)
    await writeFile(journal, journalBefore0);
    const snapshotBefore = await readFile(path, 'utf8');
    const journalBefore = await readFile(journal, 'utf8');
    const reopened = new LowdbStore(path);
    await assert.rejects(reopened.open(), (err: Error) => {
      assert.ok(err.message.includes(`${journal} line 3: no checksum`), err.message);
      assert.match(err.message, /lines 3 to 4/);
      assert.match(err.message, /Nothing was touched/);
      return true;
    });
    assert.equal(await readFile(path, 'utf8'), snapshotBefore);
    assert.equal(await readFile(journal, 'utf8'), journalBefore);
  });
});

describe('LowdbStore start-up guards', () => {
  test('a second process cannot open a store that a live process holds; a dead holder\'s lock is taken over', async (t) => {
    const { path, cleanup } = await tempPath();
    t.after(cleanup);
    const { spawn } = await import('node:child_process');
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    t.after(() => holder.kill('SIGKILL'));
    await writeFile(`${path}.lock`, String(holder.pid));
    const store = new LowdbStore(path);
    await assert.rejects(store.open(), new RegExp(`in use by process ${holder.pid}`));
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    const again = new LowdbStore(path);
    await again.open();
    assert.equal(await readFile(`${path}.lock`, 'utf8'), `${process.pid} ${hostname()}`);
    await again.close();
    await assert.rejects(stat(`${path}.lock`), /ENOENT/);
  });

  test('two processes taking the lock at the same moment: a lock being created is never taken for a stale one, so only one of them gets it', async (t) => {
    const { path, cleanup } = await tempPath();
    t.after(cleanup);
    const { spawn } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const child = spawn(process.execPath, [...TS_NODE_ARGS, fileURLToPath(new URL('./store-lock.race-child.ts', import.meta.url)), path], { stdio: ['pipe', 'pipe', 'inherit'] });
    t.after(() => child.kill('SIGKILL'));
    child.stdout.setEncoding('utf8');
    let out = '';
    const said = (what: RegExp) => new Promise<void>((resolve, reject) => {
      const look = () => (what.test(out) ? resolve() : undefined);
      child.stdout.on('data', (chunk: string) => ((out += chunk), look()));
      child.once('exit', () => reject(new Error(`the child exited; it said: ${out}`)));
      look();
    });
    await said(/^creating$/m); // the other process is mid-way through creating the lock
    const store = new LowdbStore(path);
    await store.open(); // this one starts at that moment
    t.after(() => store.close());
    child.stdin.write('\n');
    await said(/^(locked|refused .*)$/m);
    assert.match(out, new RegExp(`refused store: .* is in use by process ${process.pid}`), 'only one of the two holds the store');
  });

  test('a stale lock naming this very pid (pid 1 again after a container restart) is taken over and removed at close; a second store in the process leaves it to the first', async (t) => {
    const { path, cleanup } = await tempPath();
    t.after(cleanup);
    await writeFile(`${path}.lock`, String(process.pid)); // left by a killed earlier process that had this pid
    const store = new LowdbStore(path);
    await store.open();
    const second = new LowdbStore(path);
    await second.open();
    await second.close();
    assert.equal(await readFile(`${path}.lock`, 'utf8'), `${process.pid} ${hostname()}`, 'the second store leaves the lock to the first');
    await store.close();
    await assert.rejects(stat(`${path}.lock`), /ENOENT/, 'a clean stop leaves no lock behind, so no later process is refused');
  });

  test('a journal without its snapshot stops open instead of starting from a partial picture', async (t) => {
    const { path, cleanup } = await tempPath();
    t.after(cleanup);
    await writeFile(`${path}.journal`, `{"journal":"hubwarden-journal/2","after":4}\n${journalRecord(5, ['["storeTestItems","h",["x",{"id":"x","n":1}]]']).toString()}`);
    const store = new LowdbStore(path);
    await assert.rejects(store.open(), /store\.json: is missing, but the journal .*\.journal holds commits/);
    await assert.rejects(stat(path), /ENOENT/);
    assert.match(await readFile(`${path}.journal`, 'utf8'), /"seq":5/);
  });

  test('a journal that starts after commits no file holds (a lost .journal.1 or snapshot beside a fresh, still empty journal) stops open; writing on would bury the gap', async (t) => {
    const { path, cleanup } = await tempPath();
    t.after(cleanup);
    const store = new LowdbStore(path);
    await store.open();
    await store.transact((tx) => tx.put('storeTestItems', 'h', 'a', { id: 'a', n: 1 }));
    await store.close(); // snapshot at commit 1, empty journal after it
    const olderSnapshot = await readFile(path);
    const later = new LowdbStore(path);
    await later.open();
    for (const id of ['b', 'c']) await later.transact((tx) => tx.put('storeTestItems', 'h', id, { id, n: 1 }));
    await later.close(); // snapshot at commit 3, empty journal after 3
    const journalBefore = await readFile(`${path}.journal`, 'utf8');
    assert.match(journalBefore, /"after":3\}\n$/);
    await writeFile(path, olderSnapshot); // the snapshot of commit 1 put back (or: it, and the .journal.1 of commits 2-3, left behind a checkpoint)
    await assert.rejects(new LowdbStore(path).open(), /\.journal: starts after commit 3, but commits 2 to 3 are missing before it/);
    assert.equal(await readFile(`${path}.journal`, 'utf8'), journalBefore, 'nothing touched');
    await rm(path);
    await assert.rejects(new LowdbStore(path).open(), /store\.json: is missing, but the journal .*\.journal starts after commit 3/);
  });

  test('a gap between the snapshot and the journal (a lost .journal.1) stops open', async (t) => {
    const { path, cleanup } = await tempPath();
    t.after(cleanup);
    await writeFile(path, '{"format":"hubwarden-store/1","seq":3,"collections":{}}');
    await writeFile(`${path}.journal`, '{"seq":6,"changes":[["storeTestItems","h",["x",{"id":"x","n":1}]]]}\n');
    const store = new LowdbStore(path);
    await assert.rejects(store.open(), /\.journal: commits 4 to 5 are missing before it/);
    assert.equal(await readFile(path, 'utf8'), '{"format":"hubwarden-store/1","seq":3,"collections":{}}');
  });
});

describe('LowdbStore atomicity of bad records', () => {
  test('a record JSON cannot hold, or one an index key function throws on, rejects the transaction with nothing applied', async (t) => {
    const { path, cleanup } = await tempPath();
    t.after(cleanup);
    const store = new LowdbStore(path);
    store.defineIndex('storeTestItems', 'storeTestItems.note', (r) => [r.note!.toLowerCase()]);
    await store.open();
    await store.transact((tx) => tx.put('storeTestItems', 'h', 'a', { id: 'a', n: 1, note: 'A' }));
    const seen: number[] = [];
    store.subscribe((changes) => seen.push(changes.length));
    await assert.rejects(
      store.transact((tx) => {
        tx.put('storeTestItems', 'h', 'b', { id: 'b', n: 2, note: 'B' });
        tx.put('storeTestItems', 'h', 'c', { id: 'c', n: 10n as unknown as number, note: 'C' });
      }),
      /BigInt/,
    );
    await assert.rejects(
      store.transact((tx) => {
        tx.put('storeTestItems', 'h', 'a', { id: 'a', n: 5, note: 'A2' });
        tx.put('storeTestItems', 'h', 'd', { id: 'd', n: 3 }); // no note: the index function throws
      }),
      TypeError,
    );
    assert.deepEqual((await collect(store.list('storeTestItems', 'h'))).map((r) => [r.id, r.n]), [['a', 1]]);
    assert.deepEqual(await store.lookup('storeTestItems', 'storeTestItems.note', 'a2'), []);
    assert.equal((await store.lookup('storeTestItems', 'storeTestItems.note', 'a')).length, 1);
    assert.deepEqual(seen, []);
    assert.equal(store.healthy(), true);
    await store.transact((tx) => tx.put('storeTestItems', 'h', 'e', { id: 'e', n: 4, note: 'E' }));
    await store.close();
    const reopened = new LowdbStore(path);
    await reopened.open();
    assert.deepEqual((await collect(reopened.list('storeTestItems', 'h'))).map((r) => r.id), ['a', 'e']);
    await reopened.close();
  });

  test('a failing change listener neither undoes nor blocks the commit', async (t) => {
    const { path, cleanup } = await tempPath();
    t.after(cleanup);
    const store = new LowdbStore(path);
    await store.open();
    store.subscribe(() => {
      throw new Error('worker wake-up failed');
    });
    await store.transact((tx) => tx.put('storeTestItems', 'h', 'a', { id: 'a', n: 1 }));
    await store.close();
    const reopened = new LowdbStore(path);
    await reopened.open();
    assert.equal((await reopened.get('storeTestItems', 'h', 'a'))?.n, 1);
    await reopened.close();
  });
});
