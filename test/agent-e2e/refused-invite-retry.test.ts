import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import { SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { checkForUpdates, HUB, invitePosts, startHarness, until, type Harness } from './harness.ts';

/**
 * A failed invite holds the same invite's later tasks for a week (operation-handler.ts
 * `refusedEarlier`): the first hold is audited once, naming the failed task and its reason (the
 * plan runs hourly: not an entry each hour, nor none at all); and an owner who fixed the cause
 * outside the request (the app fixed) retries the failed task, which queues the invite again,
 * audited, once however often the retry is sent. The front answers Meta's code 100 (an invalid
 * parameter, https://developers.facebook.com/docs/graph-api/guides/error-handling) for one email
 * until the test says the app was fixed.
 */
const refused = new Set(['ria@example.com']);
const INVITES = `${SANDBOX.businessId}/business_users`;
const REFUSAL = { message: '(#100) Invalid parameter', type: 'OAuthException', code: 100, error_user_msg: 'This person cannot be invited to the business.' };
let refusedPosts = 0;
const parse = [express.urlencoded({ extended: false }), express.json()];
const front: express.RequestHandler = (req, res, next) => {
  if (req.method !== 'POST' || !req.path.endsWith(`/${INVITES}`)) return next();
  parse[0]!(req, res, () => parse[1]!(req, res, () => {
    const email = String((req.body as Record<string, unknown> | undefined)?.email ?? '').toLowerCase();
    if (refused.has(email)) return void (refusedPosts++, res.status(400).json({ error: REFUSAL }));
    next();
  }));
};
let h: Harness;
before(async () => {
  h = await startHarness({ front });
  await checkForUpdates(h);
});
after(() => h.close());

describe('a failed invite holding later ones', () => {
  const email = 'ria@example.com';
  const owner = { type: 'admin' as const, actor: 'owner@example.com', reason: 'Meta support fixed the account' };
  let failedId = '';

  test('its hold is audited once, naming the failed task and its reason, across two checks', async () => {
    await h.directory.createUser('u-ria', email);
    await h.directory.patchGroup('Meta Advertisers', ['u-ria']);
    const failed = await until('the refused invite audited', async () => (await h.agent.api.audit({ hubId: HUB, email })).items.find((e) => e.action === 'invite' && e.outcome === 'failed'));
    failedId = failed.taskId!;
    await checkForUpdates(h);
    await checkForUpdates(h);
    await h.agent.idle();
    const audit = (await h.agent.api.audit({ hubId: HUB, email })).items;
    const lines = JSON.stringify(audit.map((e) => `${e.action} ${e.outcome}: ${e.why}`));
    const holds = audit.filter((e) => e.action === 'invite' && e.outcome === 'skipped' && e.why.includes(`held by failed task ${failedId}`));
    assert.equal(holds.length, 1, `the hold audited once: ${lines}`);
    assert.match(holds[0]!.why, /cannot be invited to the business\. \[100\]/, 'names the reason');
    assert.match(holds[0]!.why, /hubwarden tasks retry/, 'says how an owner ends it sooner');
    assert.equal(refusedPosts, 1, 'not sent again meanwhile');
  });

  test('an owner retries it once the cause is fixed: the invite is sent, audited, and a second retry queues nothing', async () => {
    refused.delete(email);
    const first = await h.agent.api.retryTask(HUB, failedId, owner);
    assert.equal(first.alreadyDone, undefined);
    assert.equal(first.retried.id, failedId);
    assert.deepEqual({ by: first.retried.retry!.by, reason: first.retried.retry!.reason, taskId: first.retried.retry!.taskId }, { by: owner.actor, reason: owner.reason, taskId: first.taskId });
    const again = await h.agent.api.retryTask(HUB, failedId, owner);
    assert.equal(again.alreadyDone, true);
    assert.equal(again.taskId, first.taskId, 'the first retry\'s task, no second one');
    await until('the invite sent again', () => invitePosts(h.emulator, email).length === 1);
    await h.agent.idle();
    const audit = (await h.agent.api.audit({ hubId: HUB, email })).items;
    const retries = audit.filter((e) => e.action === 'retry-task');
    assert.equal(retries.length, 1, 'audited once');
    assert.equal(retries[0]!.trigger.actor, owner.actor);
    assert.match(retries[0]!.why, new RegExp(`retried failed task ${failedId}.*reason: "Meta support fixed the account"`));
    assert.ok(audit.some((e) => e.action === 'invite' && e.outcome === 'ok' && e.taskId === first.taskId), 'the retried invite made');
    await checkForUpdates(h);
    assert.equal(invitePosts(h.emulator, email).length, 1, 'sent once');
    assert.equal(refusedPosts, 1);
  });

  test('a task that is not failed is refused (conflict), an unknown one is not found', async () => {
    const done = (await h.agent.api.tasks({ hubId: HUB, status: 'completed', kind: 'invite' })).items[0]!;
    await assert.rejects(h.agent.api.retryTask(HUB, done.id, owner), (err: { kind?: string; message: string }) => err.kind === 'conflict' && /only a failed task/.test(err.message));
    await assert.rejects(h.agent.api.retryTask(HUB, 'no-such-task', owner), (err: { kind?: string }) => err.kind === 'not-found');
  });
});
