import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeactivatedGate } from './deactivated-gate.ts';

const DAY = 24 * 60 * 60 * 1000;

test('deactivated gate: one probe a day per IdP; the others wait for it and follow only if it landed', async () => {
  let now = 10 * DAY;
  const gate = new DeactivatedGate(() => now);
  const old = now - 2 * DAY;
  assert.deepEqual(await gate.admit('okta', now - 1000), { go: false, retryAfter: now - 1000 + DAY }, 'refused less than a day ago: not tried');

  const probe = await gate.admit('okta', old);
  assert.ok(probe.go && probe.probe);
  const waiting = [gate.admit('okta', old), gate.admit('okta', old)];
  assert.equal((await gate.admit('entra', old)).go, true, 'another IdP probes on its own');
  probe.probe('unknown'); // a 5xx: says nothing about the setting
  assert.deepEqual(await Promise.all(waiting), [{ go: false, retryAfter: now }, { go: false, retryAfter: now }]);

  const again = await gate.admit('okta', old);
  assert.ok(again.go && again.probe, 'after an unknown outcome the next run probes again');
  const waiter = gate.admit('okta', old);
  again.probe('refused');
  assert.deepEqual(await waiter, { go: false, retryAfter: now + DAY });
  assert.equal((await gate.admit('okta', old)).go, false, 'refused today: no probe until tomorrow');

  now += DAY + 1;
  const next = await gate.admit('okta', old);
  assert.ok(next.go && next.probe);
  const follower = gate.admit('okta', old);
  next.probe('landed');
  assert.deepEqual(await follower, { go: true });
  assert.deepEqual(await gate.admit('okta', now), { go: true }, 'the setting is on: everyone is written');
  gate.refused('okta');
  assert.equal((await gate.admit('okta', old)).go, false, 'a new refusal closes it again');
});
