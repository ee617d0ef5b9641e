/**
 * What the lowdb store logs while the disk refuses writes: one error line naming the file and the
 * error code when writes start being refused, one warn line per cause while the probe retries
 * (not one every probe for as long as the disk stays full), one info line when writes resume.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import winston from 'winston';
import { logger } from '../log/logger.ts';
import { FaultyFiles } from './faulty-files.test-double.ts';
import { LowdbStore } from './lowdb-store.ts';
import { isStoreUnavailable } from './store-unavailable.ts';

declare module './collections.ts' {
  interface Collections {
    logTestItems: { id: string };
  }
}

const PROBE_MS = 15;

test('a full disk: one error line, one warn line per cause while the probe retries, one info line at resume; no stack traces', async (t) => {
  const lines: Array<Record<string, unknown>> = [];
  const saved = { silent: logger.silent, level: logger.level, transports: [...logger.transports] };
  logger.clear().add(new winston.transports.Stream({ stream: new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } }), level: 'debug' }));
  logger.silent = false;
  logger.level = 'info';
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-store-logs-'));
  const files = new FaultyFiles();
  const store = new LowdbStore(join(dir, 'store.json'), { files, probeMs: PROBE_MS });
  t.after(async () => {
    await store.close().catch(() => {});
    logger.clear();
    for (const tr of saved.transports) logger.add(tr);
    logger.silent = saved.silent;
    logger.level = saved.level;
    await rm(dir, { recursive: true, force: true });
  });
  await store.open();
  const put = (id: string) => store.transact((tx) => tx.put('logTestItems', 'h', id, { id }));
  await put('a');

  files.inject({ op: 'write', code: 'ENOSPC' });
  await assert.rejects(put('b'), isStoreUnavailable);
  for (let i = 0; i < 5; i++) await assert.rejects(put(`c${i}`), isStoreUnavailable, 'refused before anything is staged');
  const refusedBefore = files.refused;
  while (files.refused < refusedBefore + 10) await new Promise((r) => setTimeout(r, PROBE_MS)); // ten probes or more failed
  files.heal();
  files.inject({ op: 'open', code: 'EIO' }); // another cause: logged once more
  const again = files.refused;
  while (files.refused < again + 5) await new Promise((r) => setTimeout(r, PROBE_MS));
  files.heal();
  while (!store.healthy()) await new Promise((r) => setTimeout(r, PROBE_MS));

  const store_ = lines.filter((l) => l.component === 'store');
  const errors = store_.filter((l) => l.level === 'error');
  const warns = store_.filter((l) => l.level === 'warn');
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.equal(errors[0]!.code, 'ENOSPC');
  assert.equal(errors[0]!.path, store.path);
  assert.deepEqual(warns.map((l) => l.code), ['ENOSPC', 'EIO'], `one warn line per cause, not one per probe: ${JSON.stringify(warns)}`);
  assert.ok(warns.every((l) => l.path === store.path));
  assert.equal(store_.filter((l) => l.level === 'info' && /writes resumed/.test(String(l.message))).length, 1);
  assert.ok(store_.every((l) => !('stack' in l)), 'no stack traces');
});
