import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Announcer, notifyPayloads, PAYLOAD_LIMIT, remoteChanges } from './notifications.ts';

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

  test('a database that keeps refusing them: given up on after a few sends, and the announcer goes on', async () => {
    let sends = 0;
    const announcer = new Announcer({ channel: 'c', origin: 'a', send: async () => {
      sends++;
      throw new Error('ECONNREFUSED');
    } });
    announcer.announce([['pgItems', 'hub', 'r1']]);
    await announcer.flushed();
    assert.equal(sends, 4);
  });
});
