import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimitBook } from './rate-limit-book.ts';

/**
 * `onBlock` shares a block this instance found with the other replicas (ConnectorContext.onBlock).
 * A block the agent passed in came from the store: telling it back would write it again, and each
 * replica told of it would echo it. A usage header repeats a block on every answer: told once.
 */
test('onBlock is told of blocks found, once while they do not grow, never of blocks passed in', () => {
  let now = 1_000_000;
  const told: Array<[string, number]> = [] as Array<[string, number]>;
  const book = new RateLimitBook(() => now, (scope, until) => told.push([scope, until]));
  book.blockUntil('app', now + 60_000);
  assert.deepEqual(told, [], 'a block the agent passed in is not told back');
  assert.equal(book.remainingMs('app'), 60_000);
  book.block('222', 7 * 60_000);
  now += 200;
  book.block('222', 7 * 60_000); // the next answer's header: 200 ms later, the same block
  assert.deepEqual(told, [['222', 1_000_000 + 7 * 60_000]]);
  now += 60_000;
  book.block('222', 7 * 60_000); // a minute later still 7 minutes: the block grew
  assert.deepEqual(told.map((entry) => entry[0]), ['222', '222']);
  book.block('222', 1_000); // shorter than the block held: nothing new
  assert.equal(told.length, 2);
});
