/**
 * A page's background refresh (the automation page's live task list, every few seconds while the
 * tab is visible) is no use by the person: it must not keep the session from ending 30 minutes
 * unused (OWASP ASVS 4.0.3 V3.3.2). Before, a tab left open kept it alive until the 12-hour limit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Request } from 'express';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { DEFAULT_SESSION_LIMITS, SessionStore } from './session-store.ts';
import { BACKGROUND_HEADER, sessionCookieName, sessionOf, type WebContext } from './web-context.ts';

test('background refreshes do not keep a session alive; the person\'s own requests do', async () => {
  let now = 1_000_000;
  const sessions = new SessionStore(new MemoryStore(), DEFAULT_SESSION_LIMITS, () => now);
  const ctx = { sessions, secure: false } as unknown as WebContext;
  const request = (id: string, background: boolean) => ({ headers: { cookie: `${sessionCookieName(ctx)}=${encodeURIComponent(id)}`, ...(background ? { [BACKGROUND_HEADER]: '1' } : {}) } }) as unknown as Request;
  const polled = await sessions.create('polled@example.com', 'oidc');
  const used = await sessions.create('used@example.com', 'oidc');
  for (let minute = 1; minute <= 29; minute++) {
    now += 60_000;
    assert.ok(await sessionOf(ctx, request(polled.id, true)), `minute ${minute}: still live`);
    if (minute % 10 === 0) assert.ok(await sessionOf(ctx, request(used.id, false)));
  }
  now += 2 * 60_000; // 31 minutes after the last request the person made
  assert.equal(await sessionOf(ctx, request(polled.id, true)), undefined, 'ended: only background refreshes since sign-in');
  assert.ok(await sessionOf(ctx, request(used.id, false)), 'used 11 minutes ago: live');
});

test('the dashboard\'s client sends the header, and the automation page\'s timer marks its refreshes background', () => {
  const client = readFileSync(new URL('./static/dashboard.js', import.meta.url), 'utf8');
  assert.match(client, new RegExp(`if \\(background\\) headers\\['${BACKGROUND_HEADER}'\\] = '1'`));
  const page = readFileSync(new URL('./static/automation-page.js', import.meta.url), 'utf8');
  const timer = page.slice(page.indexOf('setInterval('));
  assert.match(timer, /loadTasks\(true\)/);
  assert.match(timer, /loadWork\(true\)/);
  assert.doesNotMatch(timer, /loadTasks\(\)|loadWork\(\)/);
});
