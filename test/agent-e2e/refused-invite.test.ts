import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import { SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { checkForUpdates, HUB, startHarness, until, type Harness } from './harness.ts';

/**
 * An invite Meta refuses for good: `POST /{business}/business_users` answered with code 100, an
 * invalid parameter (Meta's docs, https://developers.facebook.com/docs/graph-api/guides/error-handling:
 * a request that is wrong, not to be retried as it is), given here by a front before the emulator
 * for one email, as a plain call or a batch's operation. The task fails once, audited with Meta's code, and the same
 * invite is not sent again at every check for updates (each re-plans the person, who still holds
 * no seat and no invite), which spent an invite call of the business's daily budget and audited
 * the same failure each hour.
 */
const REFUSED = new Set(['rae@example.com', 'ren@example.com']);
const REFUSAL = { message: '(#100) Invalid parameter', type: 'OAuthException', code: 100, error_user_msg: 'This person cannot be invited to the business.' };
const INVITES = `${SANDBOX.businessId}/business_users`;
const posts = new Map<string, number>();
const count = (email: string) => posts.set(email, (posts.get(email) ?? 0) + 1);
const parse = [express.urlencoded({ extended: false }), express.json()];
const front: express.RequestHandler = (req, res, next) => {
  if (req.method !== 'POST') return next();
  parse[0]!(req, res, () => parse[1]!(req, res, () => {
    const body = (req.body ?? {}) as Record<string, string>;
    if (req.path.endsWith(`/${INVITES}`) && REFUSED.has(String(body.email).toLowerCase())) {
      count(String(body.email).toLowerCase());
      res.status(400).json({ error: REFUSAL });
      return;
    }
    const batch = typeof body.batch === 'string' ? JSON.parse(body.batch) as Array<{ method: string; relative_url: string; body?: string }> : undefined;
    const emailOf = (op: { body?: string }) => new URLSearchParams(op.body ?? '').get('email')?.toLowerCase() ?? '';
    const ours = (op: { method: string; relative_url: string; body?: string }) => op.method === 'POST' && op.relative_url.includes(INVITES) && REFUSED.has(emailOf(op));
    if (batch?.some(ours)) {
      assert.ok(batch.every(ours), 'only refused emails are invited in this test');
      for (const op of batch) count(emailOf(op));
      res.json(batch.map(() => ({ code: 400, headers: [], body: JSON.stringify({ error: REFUSAL }) })));
      return;
    }
    next();
  }));
};
let h: Harness;
before(async () => {
  h = await startHarness({ front });
  await checkForUpdates(h);
});
after(() => h.close());

describe('an invite the app refuses for good', () => {
  test('fails once, audited with the app\'s code, and is not sent again at every check', async () => {
    const email = 'rae@example.com';
    await h.directory.createUser('u-rae', email);
    await h.directory.patchGroup('Meta Advertisers', ['u-rae']);
    const failed = await until('the refused invite audited', async () => (await h.agent.api.audit({ hubId: HUB, email })).items.find((e) => e.action === 'invite' && e.outcome === 'failed'));
    assert.match(failed.why, /invalid-argument.*\[100\]/, 'names the app\'s code');
    assert.equal(posts.get(email), 1, 'failed at once, not retried');
    for (let i = 0; i < 3; i++) await checkForUpdates(h);
    await h.agent.idle();
    const audit = (await h.agent.api.audit({ hubId: HUB, email })).items;
    const lines = JSON.stringify(audit.map((e) => `${e.action} ${e.outcome}: ${e.why}`));
    assert.equal(posts.get(email), 1, `not sent again at every check for updates: ${lines}`);
    assert.equal(audit.filter((e) => e.action === 'invite' && e.outcome === 'failed').length, 1, lines);
  });

  test('a different request for the same person (moved to another team, another role) is sent', async () => {
    const email = 'ren@example.com';
    await h.directory.createUser('u-ren', email);
    await h.directory.patchGroup('Meta Advertisers', ['u-rae', 'u-ren']);
    await until('the refused invite', async () => (await h.agent.api.audit({ hubId: HUB, email })).items.find((e) => e.action === 'invite' && e.outcome === 'failed'));
    await checkForUpdates(h);
    assert.equal(posts.get(email), 1, 'the same request is held');
    await h.directory.patchGroup('Meta Advertisers', ['u-rae']);
    await h.directory.patchGroup('Meta Admins', ['u-ren']);
    await until('the invite as admin sent', () => posts.get(email) === 2);
    await checkForUpdates(h);
    assert.equal(posts.get(email), 2, 'and that one, refused too, is held in turn');
  });
});
