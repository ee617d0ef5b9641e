/**
 * Okta 429 E0000047 and the write-back bucket: the reset Okta gives (X-Rate-Limit-Reset, epoch
 * seconds, https://developer.okta.com/docs/reference/rl-best-practices/) pauses every call of the
 * run, the SDK's own retry of the throttled call included, by the write-back's clock. Before, the
 * SDK retried after a wait of its own and the bucket never heard of the 429, so the run's other
 * workers kept sending updates into the exhausted window (pacing.test.ts: a paused bucket holds
 * every call).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOktaEmulator } from '../../test/emulators/okta/okta-emulator.ts';
import { listenOnLoopback } from '../../test/emulators/loopback-server.ts';
import { createWriteback } from './writeback.ts';
import { capturingLog, directoryUser, movableClock, OKTA_TOKEN, seededStore, writebackConfig } from './writeback-fixtures.ts';

const HUB = 'meta-main';
const RESET_AHEAD_MS = 20_000;

test('okta: a 429 pauses the shared bucket until X-Rate-Limit-Reset: the SDK retry waits in it as every other call does, and nothing is sent before the reset', async () => {
  const people = Array.from({ length: 3 }, (_, i) => ({ id: `00uthrottle${String(i).padStart(9, '0')}`, login: `t${i}@example.com` }));
  const okta = createOktaEmulator({ token: OKTA_TOKEN, users: people });
  const inner = await okta.listen();
  const clock = movableClock();
  let resetAt: number | undefined;
  /** Each user update as it reached Okta: the write-back clock then, and the answer. */
  const arrivals: Array<{ at: number; status: number }> = [];
  // In front of the emulator: the first user update opens a rate-limit window of RESET_AHEAD_MS
  // (by the write-back clock); any update inside it is answered 429 E0000047 with
  // X-Rate-Limit-Remaining 0 and the reset in epoch seconds, as Okta answers.
  const front = await listenOnLoopback((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c)).on('end', async () => {
      const isUpdate = req.method === 'POST' && /^\/api\/v1\/users\/[^/?]+$/.test(req.url ?? '');
      if (isUpdate) {
        const now = clock.now();
        resetAt ??= now + RESET_AHEAD_MS;
        if (arrivals.length === 0 || now < resetAt) {
          arrivals.push({ at: now, status: 429 });
          res.writeHead(429, { 'content-type': 'application/json', 'x-rate-limit-limit': '600', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(Math.ceil(resetAt / 1000)) })
            .end(JSON.stringify({ errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.', errorLink: 'E0000047', errorId: 'x', errorCauses: [] }));
          return;
        }
        arrivals.push({ at: now, status: 200 });
      }
      const answer = await fetch(`${inner.url}${req.url}`, { method: req.method, headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k)).map(([k, v]) => [k, String(v)])), body: chunks.length ? Buffer.concat(chunks) : undefined });
      res.writeHead(answer.status, Object.fromEntries([...answer.headers].filter(([k]) => !['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(k)))).end(Buffer.from(await answer.arrayBuffer()));
    });
  });
  try {
    const store = await seededStore(HUB, people.map((p, i) => directoryUser(HUB, `u-${i}`, p.login, { externalId: p.id })), people.map((p, i) => ({ id: `m-${i}`, email: p.login, role: 'EMPLOYEE' })));
    const writeback = createWriteback({ config: writebackConfig({ okta: front.url }), store, log: capturingLog(), clock, tuning: { okta: { maxRetries: 2, resetMarginMs: 0 }, concurrency: 1 } });
    const report = await writeback.run(HUB);
    assert.equal(report.written, 3, JSON.stringify(report.problems));
    assert.deepEqual(arrivals.map((a) => a.status), [429, 200, 200, 200], 'one 429: nothing was sent into the exhausted window');
    for (const later of arrivals.slice(1)) assert.ok(later.at >= Math.floor(resetAt! / 1000) * 1000, `an update went out ${resetAt! - later.at} ms before the reset`);
    assert.ok(report.waitedMs >= RESET_AHEAD_MS - 1000, `the bucket waited for the reset (${report.waitedMs} ms)`);
  } finally {
    await front.close();
    await inner.close();
  }
});
