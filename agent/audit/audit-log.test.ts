import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '../store/memory-store.ts';
import { appendAudit, mirrorAuditToFile } from './audit-log.ts';
import { queryAudit } from './audit-query.ts';

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
