/**
 * The durability promise under disk faults: a write is acknowledged only after it is on disk, and
 * what is acknowledged survives. Each fault is injected through the store's file layer
 * (faulty-files.test-double.ts), and each test ends by reopening the files as a restart would and
 * checking that every acknowledged write is there and no refused one is visible.
 */
import { collect } from './store.ts';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultyFiles } from './faulty-files.test-double.ts';
import { LowdbStore } from './lowdb-store.ts';
import { StoreUnavailable } from './store-unavailable.ts';
import type { Change } from './store.ts';

declare module './collections.ts' {
  interface Collections {
    faultTestItems: { id: string; n: number };
  }
}

const PROBE_MS = 40;

async function setup(t: { after: (fn: () => Promise<void>) => void }, checkpointBytes?: number, files = new FaultyFiles(), beforeAppend?: (bytes: Buffer) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-faults-'));
  const path = join(dir, 'store.json');
  const store = new LowdbStore(path, { files, probeMs: PROBE_MS, checkpointBytes, beforeAppend });
  await store.open();
  t.after(async () => {
    await store.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });
  const acked: string[] = [];
  const refused: string[] = [];
  const put = (id: string, n = 1) =>
    store.transact((tx) => tx.put('faultTestItems', 'h', id, { id, n })).then(
      () => void acked.push(id),
      (err: unknown) => {
        refused.push(id);
        throw err;
      },
    );
  /**
   * Opens a copy of the files as a restart after a crash at this instant would (a copy: the first
   * store goes on running and must not find its files rewritten under it).
   */
  const restart = async () => {
    await store.settled();
    // The store may be probing the disk meanwhile (it writes a snapshot and renames journal
    // files): a file gone before its copy, or an old snapshot copied beside the journal renamed in
    // after it, is no state a crash can leave, so the copy is taken again until it matches the
    // files as they are once it is done (the snapshot and journals).
    let image = '';
    const stateFiles = async (folder: string) => {
      const names = (await readdir(folder)).filter((n) => n.startsWith('store.json') && !n.endsWith('.lock') && !n.endsWith('.archive')).sort();
      return JSON.stringify(await Promise.all(names.map(async (n) => [n, (await readFile(join(folder, n))).toString('base64')])));
    };
    for (let attempt = 1; ; attempt++) {
      image = await mkdtemp(join(tmpdir(), 'hubwarden-faults-image-'));
      try {
        for (const name of await readdir(dir)) if (name.startsWith('store.json') && !name.endsWith('.lock')) await cp(join(dir, name), join(image, name), { recursive: true });
        if ((await stateFiles(dir)) === (await stateFiles(image))) break;
        await rm(image, { recursive: true, force: true });
        if (attempt >= 20) throw new Error('the files kept changing while they were copied');
      } catch (err) {
        await rm(image, { recursive: true, force: true });
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 20) throw err;
      }
    }
    const again = new LowdbStore(join(image, 'store.json'));
    await again.open();
    const ids = (await collect(again.list('faultTestItems', 'h'))).map((r) => r.id);
    await again.close();
    await rm(image, { recursive: true, force: true });
    return ids;
  };
  return { dir, path, files, store, put, acked, refused, restart };
}

/** FaultyFiles whose next `open` waits until released: an operation caught in the middle. */
class GatedFiles extends FaultyFiles {
  private gate?: { entered: () => void; released: Promise<void> };
  opened = 0;

  /** Holds the next open; resolves once it is held, with the function that lets it go on. */
  holdNextOpen(): Promise<() => void> {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    return new Promise((entered) => (this.gate = { entered: () => entered(release), released }));
  }

  override async open(...args: Parameters<FaultyFiles['open']>): ReturnType<FaultyFiles['open']> {
    this.opened++;
    const gate = this.gate;
    this.gate = undefined;
    if (gate) {
      gate.entered();
      await gate.released;
    }
    return super.open(...args);
  }
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Journal appends held before they touch the disk, until `release`: a write caught in flight. */
class HeldAppends {
  private held = false;
  private waiting: Array<() => void> = [];
  private entered?: () => void;

  /** Holds the next appends; resolves once one is held. */
  hold(): Promise<void> {
    this.held = true;
    return new Promise((r) => (this.entered = r));
  }

  release(): void {
    this.held = false;
    for (const go of this.waiting.splice(0)) go();
  }

  readonly beforeAppend = async (): Promise<void> => {
    if (!this.held) return;
    this.entered?.();
    await new Promise<void>((r) => this.waiting.push(r));
  };
}

/** A promise's outcome so far, without waiting for it. */
function outcome<T>(p: Promise<T>): { readonly state: 'pending' | 'fulfilled' | 'rejected'; readonly value?: T; readonly reason?: unknown } {
  const o: { state: 'pending' | 'fulfilled' | 'rejected'; value?: T; reason?: unknown } = { state: 'pending' };
  p.then(
    (value) => Object.assign(o, { state: 'fulfilled', value }),
    (reason: unknown) => Object.assign(o, { state: 'rejected', reason }),
  );
  return o;
}

async function assertResumes(store: LowdbStore, files: FaultyFiles, put: (id: string) => Promise<void>): Promise<void> {
  files.heal();
  for (let i = 0; i < 50 && !store.healthy(); i++) await settle(PROBE_MS);
  assert.equal(store.healthy(), true, 'the store resumed on its own once the disk accepted writes');
  assert.equal(store.unavailableReason(), undefined);
  await put('after-recovery');
}

describe('LowdbStore under disk faults', () => {
  test('a short write is finished, not truncated: the acknowledged record is whole after restart', async (t) => {
    const { store, files, put, acked, restart } = await setup(t);
    files.inject({ op: 'short-write', path: '.journal', bytes: 7, times: 3 });
    await put('a');
    await Promise.all(['b', 'c', 'd'].map((id) => put(id)));
    assert.ok(files.shortened >= 3, 'the journal writes really came back short');
    assert.equal(store.healthy(), true);
    assert.deepEqual((await restart()).sort(), acked.sort());
  });

  for (const [name, fault] of [
    ['ENOSPC mid-record (the disk fills up)', { op: 'write', code: 'ENOSPC', path: '.journal', afterBytes: 25 }],
    ['EIO on write', { op: 'write', code: 'EIO', path: '.journal' }],
    ['EIO on fdatasync', { op: 'datasync', code: 'EIO', path: '.journal' }],
  ] as const) {
    test(`${name}: the transactions fail with StoreUnavailable, are rolled back, writes are refused until the disk recovers`, async (t) => {
      const { store, files, put, acked, refused, restart } = await setup(t);
      await put('before');
      files.inject(fault);
      const results = await Promise.allSettled(['x1', 'x2', 'x3'].map((id) => put(id)));
      assert.ok(files.refused > 0, 'the fault was hit');
      for (const r of results) {
        assert.equal(r.status, 'rejected');
        assert.ok((r as PromiseRejectedResult).reason instanceof StoreUnavailable, String((r as PromiseRejectedResult).reason));
        assert.match(String((r as PromiseRejectedResult).reason), new RegExp(fault.code));
      }
      assert.deepEqual((await collect(store.list('faultTestItems', 'h'))).map((r) => r.id), ['before'], 'no reader sees a refused write');
      assert.equal(store.healthy(), false);
      assert.match(store.unavailableReason() ?? '', new RegExp(`${fault.code} while appending to the journal`));
      await assert.rejects(put('while-down'), StoreUnavailable);
      // a crash now: what was acknowledged is there, a refused write is not (a torn record is
      // dropped at open; a whole one whose fdatasync failed was cut off before the refusal)
      const afterCrash = await restart();
      assert.deepEqual(afterCrash, ['before'], 'a restart replays no refused write');
      await assertResumes(store, files, put);
      assert.deepEqual((await collect(store.list('faultTestItems', 'h'))).map((r) => r.id), ['before', 'after-recovery']);
      assert.deepEqual(await restart(), ['before', 'after-recovery'], 'after recovery the refused writes are gone for good');
      assert.deepEqual(refused.sort(), ['while-down', 'x1', 'x2', 'x3']);
    });
  }

  test('the failed batch and everything staged after it are undone newest first, and listeners are told', async (t) => {
    const { store, files, put, restart } = await setup(t);
    await put('r', 1);
    const seen: Array<[string, unknown]> = [];
    store.subscribe((changes: readonly Change[]) => {
      for (const c of changes) seen.push([c.id, (c.record as { n?: number } | undefined)?.n]);
    });
    files.inject({ op: 'datasync', code: 'EIO', path: '.journal' });
    const first = put('r', 2); // the batch in flight
    const later = [put('r', 3), put('s', 4)]; // staged while it is written
    await Promise.allSettled([first, ...later]);
    assert.equal((await store.get('faultTestItems', 'h', 'r'))?.n, 1);
    assert.equal(await store.get('faultTestItems', 'h', 's'), undefined);
    assert.deepEqual(seen, [['r', 2], ['r', 3], ['s', 4], ['s', undefined], ['r', 2], ['r', 1]]);
    files.heal();
    assert.deepEqual(await restart(), ['r']);
  });

  test('a failed journal rotation (rename) refuses writes without losing any; the store resumes', async (t) => {
    const { store, files, put, acked, restart } = await setup(t, 400);
    files.inject({ op: 'rename', code: 'EIO', path: '.journal.1' });
    for (let i = 0; i < 40 && store.healthy(); i++) await put(`k${i}`).catch(() => {});
    assert.ok(files.refused > 0, 'the rotation was attempted and failed');
    assert.equal(store.healthy(), false);
    assert.match(store.unavailableReason() ?? '', /EIO while rotating the journal/);
    const afterCrash = await restart();
    for (const id of acked) assert.ok(afterCrash.includes(id), `acknowledged ${id} survived`);
    await assertResumes(store, files, put);
    assert.deepEqual((await restart()).sort(), [...acked].sort());
  });

  for (const [name, fault] of [
    ['its rename', { op: 'rename', code: 'EIO', path: '.store.json.tmp' }],
    ['its fsync', { op: 'sync', code: 'EIO', path: '.store.json.tmp' }],
    ['ENOSPC', { op: 'write', code: 'ENOSPC', path: '.store.json.tmp' }],
  ] as const) {
    test(`a snapshot that cannot be written (${name}) loses nothing: the journals keep every commit and writes go on`, async (t) => {
      const { store, files, put, acked, restart } = await setup(t, 400);
      files.inject(fault);
      for (let i = 0; i < 30; i++) await put(`k${i}`);
      await store.settled();
      assert.ok(files.refused > 0, 'a snapshot was attempted and failed');
      assert.equal(store.healthy(), true, 'the journal still takes commits');
      assert.deepEqual((await restart()).sort(), [...acked].sort());
      files.heal();
      for (let i = 30; i < 40; i++) await put(`k${i}`);
      await store.settled();
      assert.deepEqual((await restart()).sort(), [...acked].sort());
    });
  }

  test('close waits for a resume the probe has started: no file is written after it returns', async (t) => {
    const files = new GatedFiles();
    const { dir, store, put } = await setup(t, undefined, files);
    files.inject({ op: 'datasync', code: 'EIO', path: '.journal' });
    await assert.rejects(put('x'), StoreUnavailable);
    files.heal();
    const awake = setInterval(() => {}, 1_000); // the probe's timer is unref'd: keep the loop running for it
    t.after(() => clearInterval(awake));
    const release = await files.holdNextOpen(); // the probe's fresh files, caught mid-write
    let closed = false;
    const closing = store.close().then(() => void (closed = true));
    await settle(PROBE_MS * 3);
    assert.equal(closed, false, 'close waits for the resume in progress');
    release();
    await closing;
    const opened = files.opened;
    await settle(PROBE_MS * 3);
    assert.equal(files.opened, opened, 'nothing opened after close returned');
    await rm(dir, { recursive: true }); // nothing is being written into it
  });
});

/**
 * Group commit lets a transaction read a write that is applied but not durable yet. It must not be
 * acknowledged before that write is durable, nor at all when that write fails and is undone: its
 * caller would act on (or its own writes would keep a consequence of) a write that is gone.
 */
describe('LowdbStore: what a transaction read is durable before it is acknowledged', () => {
  for (const recovered of [false, true]) {
    test(`a transaction running while a write it read is undone is refused${recovered ? ', even once the disk has recovered' : ''}`, async (t) => {
      const appends = new HeldAppends();
      const { store, files, put, restart } = await setup(t, undefined, new FaultyFiles(), appends.beforeAppend);
      await put('before');
      const held = appends.hold();
      const first = outcome(put('a', 100)); // its append is in flight
      await held;
      let read!: () => void;
      const hasRead = new Promise<void>((r) => (read = r));
      let finish!: () => void;
      const finishing = new Promise<void>((r) => (finish = r));
      const derived = outcome(store.transact(async (tx) => {
        const a = await tx.get('faultTestItems', 'h', 'a');
        read();
        await finishing; // still running when the append of `a` fails
        tx.put('faultTestItems', 'h', 'b', { id: 'b', n: (a?.n ?? 0) + 1 });
        return a?.n;
      }));
      await hasRead;
      files.inject({ op: 'write', code: 'ENOSPC', path: '.journal' });
      appends.release();
      await store.settled();
      await settle(0);
      assert.equal(first.state, 'rejected');
      assert.ok(first.reason instanceof StoreUnavailable);
      if (recovered) {
        files.heal();
        for (let i = 0; i < 50 && !store.healthy(); i++) await settle(PROBE_MS);
        assert.equal(store.healthy(), true);
      }
      finish();
      await settle(0);
      if (recovered) await put('after-recovery'); // nothing else may wait for a next append
      await settle(PROBE_MS);
      assert.equal(derived.state, 'rejected', 'not acknowledged, nor left waiting');
      assert.ok(derived.reason instanceof StoreUnavailable, String(derived.reason));
      assert.match(String(derived.reason), /ENOSPC/);
      assert.equal(await store.get('faultTestItems', 'h', 'b'), undefined, 'nothing of it was applied');
      assert.deepEqual(await restart(), recovered ? ['before', 'after-recovery'] : ['before']);
    });
  }

  test('a transaction that read a write waiting to be appended reaches the disk after it, never before', async (t) => {
    // The disk refuses the append that holds `upstream` (the test's beforeAppend throws as a full disk would).
    const refuseUpstream = async (bytes: Buffer) => {
      if (bytes.includes('"upstream"')) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    };
    const { store, put, restart } = await setup(t, undefined, new FaultyFiles(), refuseUpstream);
    await put('before');
    const first = store.transact(async (tx) => {
      await settle(1);
      tx.put('faultTestItems', 'h', 'upstream', { id: 'upstream', n: 100 });
    });
    // Queued behind the first: it runs as soon as the first has been applied.
    const derived = store.transact(async (tx) => {
      const upstream = await tx.get('faultTestItems', 'h', 'upstream');
      tx.put('faultTestItems', 'h', 'derived', { id: 'derived', n: (upstream?.n ?? 0) + 1 });
    });
    const results = await Promise.allSettled([first, derived]);
    for (const r of results) assert.equal(r.status, 'rejected', 'both fail with the append of `upstream`');
    assert.deepEqual(await restart(), ['before']);
  });

  test('a transaction with no writes waits for the writes in flight, and fails with them', async (t) => {
    const appends = new HeldAppends();
    const { store, files, put, restart } = await setup(t, undefined, new FaultyFiles(), appends.beforeAppend);
    await put('before');
    const readOnly = () => store.transact(async (tx) => ((await tx.get('faultTestItems', 'h', 'a')) ? 'exists' : 'missing'));
    assert.equal(await readOnly(), 'missing', 'nothing in flight: it resolves without any append');

    // The write it read becomes durable: it is acknowledged then, not before.
    let held = appends.hold();
    const first = put('a');
    await held;
    const seen = outcome(readOnly());
    await settle(PROBE_MS);
    assert.equal(seen.state, 'pending', 'not acknowledged while `a` is being appended');
    appends.release();
    await first;
    await settle(0);
    assert.equal(seen.state, 'fulfilled');
    assert.equal(seen.value, 'exists');

    // The write it read fails: so does it ("create unless it exists" must not answer "exists").
    held = appends.hold();
    const second = outcome(put('c'));
    await held;
    const retry = outcome(store.transact(async (tx) => ((await tx.get('faultTestItems', 'h', 'c')) ? 'exists' : 'created')));
    await settle(0);
    files.inject({ op: 'write', code: 'ENOSPC', path: '.journal' });
    appends.release();
    await store.settled();
    await settle(0);
    assert.equal(second.state, 'rejected');
    assert.equal(retry.state, 'rejected', `refused, not ${String(retry.value)}`);
    assert.ok(retry.reason instanceof StoreUnavailable, String(retry.reason));
    files.heal();
    assert.deepEqual((await restart()).sort(), ['a', 'before']);
  });
});
