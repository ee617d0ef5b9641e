import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Announcer, NOTIFY_PENDING_MAX, NOTIFY_RETRIES, notifyPayloads, PAYLOAD_LIMIT, remoteChanges } from './notifications.ts';

/** What replicas tell each other after a commit (notifications.ts). */
describe('PostgresStore (helpers)', () => {
  test('notification payloads stay under the limit and carry every change', () => {
    const refs = Array.from({ length: 700 }, (_, i) => ['pgItems', 'hub-é', `user-${i}-${'x'.repeat(40)}`] as const);
    const payloads = notifyPayloads('origin-a', refs);
    assert.ok(payloads.length > 1);
    for (const p of payloads) assert.ok(Buffer.byteLength(p) <= PAYLOAD_LIMIT, `${Buffer.byteLength(p)} bytes`);
    const back = payloads.flatMap((p) => remoteChanges(p, 'origin-b') ?? []);
    assert.deepEqual(back.map((c) => c.id), refs.map((r) => r[2]));
    assert.ok(back.every((c) => c.remote === true && c.record === undefined));
    assert.equal(remoteChanges(payloads[0]!, 'origin-a'), undefined); // our own
    assert.equal(remoteChanges('not json', 'x'), undefined);
  });

  test('a notification statement that failed (a pooled connection that died idle) is sent again, not dropped', async () => {
    const sent: string[][] = [];
    let fail = 1;
    const announcer = new Announcer({ channel: 'c', origin: 'a', send: async (_text, values) => {
      if (fail-- > 0) throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
      sent.push(values[1] as string[]);
    } });
    announcer.announce([['pgItems', 'hub', 'r1']]);
    await announcer.flushed();
    assert.deepEqual(sent.flat().flatMap((p) => remoteChanges(p, 'b')!.map((c) => c.id)), ['r1']);
  });

  test('a notification that keeps failing for longer than a few tries is still sent once the database takes it', async () => {
    // Another replica whose own feed stayed connected is told of nothing else: given up on, its
    // members view kept what it cached until the hub's next change.
    const sent: string[][] = [];
    let fail = 8;
    const announcer = new Announcer({ channel: 'c', origin: 'a', retryMs: 1, retryMaxMs: 5, send: async (_text, values) => {
      if (fail-- > 0) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      sent.push(values[1] as string[]);
    } });
    announcer.announce([['pgItems', 'hub', 'r1']]);
    await announcer.flushed();
    assert.deepEqual(sent.flat().flatMap((p) => remoteChanges(p, 'b')!.map((c) => c.id)), ['r1']);
  });

  test('a database that keeps refusing them: tried on while open, given up on after a few more sends at close', async () => {
    let sends = 0;
    const announcer = new Announcer({ channel: 'c', origin: 'a', retryMs: 1, retryMaxMs: 5, send: async () => {
      sends++;
      throw new Error('ECONNREFUSED');
    } });
    announcer.announce([['pgItems', 'hub', 'r1']]);
    // Until it has gone past the tries it once gave up after (not a fixed 100 ms: on a loaded CI
    // machine five timers of 1-5 ms may take longer than that), within a generous bound.
    const end = Date.now() + 5_000;
    while (sends <= NOTIFY_RETRIES + 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    const beforeClose = sends;
    assert.ok(beforeClose > NOTIFY_RETRIES + 1, `tried ${beforeClose} times while open`);
    await announcer.close();
    assert.ok(sends - beforeClose <= NOTIFY_RETRIES + 1, `${sends - beforeClose} sends after close`);
    announcer.announce([['pgItems', 'hub', 'r2']]); // the announcer goes on (a store closing still commits its last transactions)
    await announcer.flushed();
  });

  test('while they cannot be sent, at most NOTIFY_PENDING_MAX payloads wait, the newest kept', async () => {
    let open = false;
    const sent: string[] = [];
    const announcer = new Announcer({ channel: 'c', origin: 'a', retryMs: 1, retryMaxMs: 2, send: async (_text, values) => {
      if (!open) throw new Error('ECONNREFUSED');
      sent.push(...(values[1] as string[]));
    } });
    for (let i = 0; i < NOTIFY_PENDING_MAX + 50; i++) {
      announcer.announce([['pgItems', 'hub', `r${i}`]]);
      if (i % 100 === 0) await new Promise((r) => setTimeout(r, 3));
    }
    await new Promise((r) => setTimeout(r, 20));
    open = true;
    await announcer.flushed();
    const ids = sent.flatMap((p) => remoteChanges(p, 'b')!.map((c) => c.id));
    assert.equal(ids.length, NOTIFY_PENDING_MAX);
    assert.equal(ids.at(-1), `r${NOTIFY_PENDING_MAX + 49}`);
  });
});
