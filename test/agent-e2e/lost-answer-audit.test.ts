import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../../agent/store/store.ts';
import { auditFileLine } from '../../agent/audit/audit-log.ts';
import { createAdminRouter } from '../../scim-server/admin/router.ts';
import { AuditList } from '../../scim-server/admin/response-schemas.ts';
import { serveRouters, TEST_ENV, testConfig, type TestServer } from '../admin/test-server.ts';
import { cli } from '../admin/cli-run.ts';
import { checkForUpdates, HUB, invitePosts, startHarness, until, type Harness } from './harness.ts';

/**
 * An invite whose POST Meta carries out and whose answer is lost (the emulator's `lostReply`: the
 * socket is destroyed after the change was made). The audit log says so when it happens, with one
 * entry of outcome `unknown` (agent/tasks/operations/lost-answer.ts), before the retry that looks
 * the invitation up and settles it (`already-done`): a process that stopped for good between the
 * two still left an admin a line telling them to check the app. Before, the attempt wrote nothing.
 */
let h: Harness;
let api: TestServer;
before(async () => {
  h = await startHarness();
  await checkForUpdates(h);
  api = await serveRouters([['/api/v1', createAdminRouter({ config: testConfig(), agent: h.agent.api })]]);
});
after(async () => {
  await api.close();
  await h.close();
});

const EMAIL = 'dee@example.com';
const inviteTask = async () => (await collect(h.store.list('tasks', HUB))).find((t) => t.kind === 'invite' && (t.payload as { op: { email: string } }).op.email === EMAIL);

test('an invite whose answer Meta lost: one `unknown` entry at the attempt, then the settling entry; the admin API, its schema and the CLI show it', async () => {
  h.emulator.control.setFaults({ lostReply: { match: 'business_users$' } });
  await h.directory.createUser('u-dee', EMAIL);
  await h.directory.patchGroup('Meta Advertisers', ['u-dee']);
  const task = await until('the invite task settled by its retry', async () => {
    const t = await inviteTask();
    return t?.status === 'completed' ? t : undefined;
  });
  await h.agent.idle();
  assert.equal(invitePosts(h.emulator, EMAIL).length, 1, 'one invitation sent: the retry looked first');

  const trail = (await h.agent.api.audit({ hubId: HUB, email: EMAIL })).items.filter((e) => e.taskId === task.id).reverse();
  const shown = JSON.stringify(trail.map((e) => `${e.action} ${e.outcome}: ${e.why}`));
  assert.deepEqual(trail.map((e) => `${e.action} ${e.outcome}`), ['invite unknown', 'invite already-done'], shown);
  const [lost, settled] = trail as [typeof trail[0], typeof trail[0]];
  assert.match(lost.why, /^invite dee@example\.com.*: sent to the app, its answer lost \(.*\), so the app may have made the change; the next attempt looks the app up first/, shown);
  assert.deepEqual(lost.subject, settled.subject, 'who and what as the settling entry');
  assert.deepEqual(lost.trigger, settled.trigger);
  assert.equal(lost.detail?.attempt, 1);
  assert.equal(lost.detail?.outcomeUnknown, true);
  assert.equal(settled.detail?.earlierAttemptUnknown, true, 'the settling entry stays as before');
  assert.equal(JSON.parse(auditFileLine(lost)).level, 'warn', 'audit.file writes it at warn');

  // The admin API answers it, valid against its response schema (the OpenAPI document's).
  const res = await fetch(`${api.url}/api/v1/audit?hubId=${HUB}&email=${EMAIL}`, { headers: { authorization: `Bearer ${TEST_ENV.ADMIN_TOKEN}` } });
  assert.equal(res.status, 200);
  const page = AuditList.parse(await res.json());
  assert.equal(page.items.filter((e) => e.taskId === task.id && e.outcome === 'unknown').length, 1);

  // `hubwarden audit` lists it (no outcome filter: by person).
  const run = await cli(['audit', '--hub', HUB, '--email', EMAIL, '--url', api.url, '--token', TEST_ENV.ADMIN_TOKEN, '--json']);
  assert.equal(run.code, 0, run.stderr);
  const listed = (JSON.parse(run.stdout) as { items: Array<{ outcome: string; taskId?: string }> }).items;
  assert.equal(listed.filter((e) => e.taskId === task.id && e.outcome === 'unknown').length, 1, run.stdout);
});
