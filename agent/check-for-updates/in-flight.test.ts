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

test('inFlight: the first failure starts no further job and rejects only once the running ones have settled (no call left behind)', async () => {
  const started: number[] = [];
  let settled = 0;
  const jobs = [0, 1, 2, 3, 4, 5].map((i) => async () => {
    started.push(i);
    if (i === 0) throw new Error('job 0 failed');
    await new Promise((r) => setTimeout(r, 40));
    settled++;
    return i;
  });
  await assert.rejects(inFlight(jobs, 2), /job 0 failed/);
  assert.deepEqual(started, [0, 1], 'job 0 failed at once: only job 1, already running, went on');
  assert.equal(settled, 1, 'job 1 had settled when inFlight rejected');
});
