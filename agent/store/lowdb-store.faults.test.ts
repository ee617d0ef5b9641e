/**
 * The durability promise under disk faults: a write is acknowledged only after it is on disk, and
 * what is acknowledged survives. Each fault is injected through the store's file layer
 * (faulty-files.test-double.ts), and each test ends by reopening the files as a restart would and
 * checking that every acknowledged write is there and no refused one is visible.
 */
import { collect } from './store.ts';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
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

async function setup(t: { after: (fn: () => Promise<void>) => void }, checkpointBytes?: number, files = new FaultyFiles()) {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-faults-'));
  const path = join(dir, 'store.json');
  const store = new LowdbStore(path, { files, probeMs: PROBE_MS, checkpointBytes });
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
    // The store may be probing the disk meanwhile (it renames journal files): a file listed and
    // gone before its copy makes the image inconsistent, so the copy is taken again.
    let image = '';
    for (let attempt = 1; ; attempt++) {
      image = await mkdtemp(join(tmpdir(), 'hubwarden-faults-image-'));
      try {
        for (const name of await readdir(dir)) if (name.startsWith('store.json') && !name.endsWith('.lock')) await cp(join(dir, name), join(image, name), { recursive: true });
        break;
      } catch (err) {
        await rm(image, { recursive: true, force: true });
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 5) throw err;
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
      // a crash now: what was acknowledged is there, a refused write is not (its record, if any, is torn or unsynced)
      const afterCrash = await restart();
      for (const id of acked) assert.ok(afterCrash.includes(id), `acknowledged ${id} survived`);
      if (fault.op === 'write') assert.deepEqual(afterCrash, ['before']);
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
