import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalQueue } from './local-queue.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('re-runs on one key go one after the other, in the order they asked; other keys do not wait', async () => {
  const queue = new LocalQueue();
  const order: string[] = [];
  const releaseA = await queue.take(['k']);
  const b = queue.take(['k']).then((release) => (order.push('b'), release));
  const c = queue.take(['k', 'j']).then((release) => (order.push('c'), release));
  const other = await queue.take(['z']); // not held by anyone: granted at once
  other();
  await tick();
  assert.deepEqual(order, [], 'b and c wait while a holds k');
  releaseA();
  const releaseB = await b;
  await tick();
  assert.deepEqual(order, ['b'], 'c still waits for b');
  releaseB();
  (await c)();
  assert.deepEqual(order, ['b', 'c']);
  assert.equal(queue.size, 0, 'nothing left held or waited on');
});

test('keys are taken sorted and once each, so two takers of the same keys in any order never wait for each other in a cycle', async () => {
  const queue = new LocalQueue();
  const first = await queue.take(['b', 'a', 'a']);
  const second = queue.take(['a', 'b']);
  first();
  (await second)();
  assert.equal(queue.size, 0);
});
