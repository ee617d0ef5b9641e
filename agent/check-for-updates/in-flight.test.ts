import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inFlight } from './in-flight.ts';

test('inFlight keeps at most `limit` jobs running and returns results in job order', async () => {
  let running = 0;
  let peak = 0;
  const jobs = [30, 5, 20, 1, 10].map((ms, i) => async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, ms));
    running--;
    return i;
  });
  assert.deepEqual(await inFlight(jobs, 2), [0, 1, 2, 3, 4]);
  assert.equal(peak, 2);
  assert.deepEqual(await inFlight([], 4), []);
});
