/**
 * The lines `hubwarden check` and `hubwarden offboard` print about a task hold the server's text
 * (a removal's summary quoting a member's name from the app, an app's error, a held seat's why):
 * each value stays on its line, so a line break in one cannot show a forged line under the real
 * ones, and no control character reaches the terminal raw.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskView } from '../api.ts';
import type { AdminClient } from './admin-client.ts';
import { printer } from './output.ts';
import { offboardOutcome } from './offboard-outcome.ts';
import { taskLine } from './task-progress.ts';

const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const forged = 'Jane\n  completed remove acme: ceo@acme.example\r\u001b[1A\u202e';
const shown = (text: string) => {
  const out: string[] = [];
  printer(false, (t) => out.push(t)).print(null, () => text);
  return out[0];
};

test('a followed task\'s line: its error is one line, escaped', () => {
  const task = { id: 't1', kind: 'check', status: 'failed', lastError: { message: forged } } as unknown as TaskView;
  const text = shown(taskLine(task));
  assert.equal(text.split('\n').length, 1, text);
  assert.doesNotMatch(text, RAW);
  assert.match(text, /^task t1 check: failed \(Jane\\x0a {2}completed remove acme: ceo@acme\.example\\x0d\\x1b\[1A\\u202e\)$/);
});

test('an offboarding\'s removals and held seats: one line each, whatever their summary, error or why holds', async () => {
  const child = { id: 'c1', kind: 'remove', status: 'failed', hubId: 'acme', summary: `remove ${forged}`, lastError: { message: forged } };
  const client = {
    get: async () => ({ total: 1, items: [child] }),
    scrub: (text: string) => text,
  } as unknown as AdminClient;
  const task = { id: 't2', kind: 'offboard', status: 'failed', result: { held: [{ hubId: 'acme', summary: `seat of ${forged}`, why: forged }] } } as unknown as TaskView;
  const outcome = await offboardOutcome(client, task, 'jane@acme.example');
  const text = shown(outcome.text);
  // One removal, one held seat, the count line.
  assert.equal(text.split('\n').length, 3, text);
  assert.doesNotMatch(text, RAW);
  assert.equal(text.split('\n').filter((l) => l.startsWith('  completed')).length, 0, 'no forged removal line');
});

test('an offboarding whose removal was left off the deprovisioning report: said as skipped with why, not counted as on the report', async () => {
  const client = { get: async () => ({ total: 0, items: [] }), scrub: (text: string) => text } as unknown as AdminClient;
  const reported = [{ hubId: 'acme', operations: 0, skipped: [{ memberId: 'm-1', summary: 'remove jane@acme.example (EMPLOYEE)', why: 'its removal is already queued (task t9)' }] }];
  const task = { id: 't3', kind: 'offboard', status: 'completed', result: { hubs: [], operations: 0, reported } } as unknown as TaskView;
  const lines = shown((await offboardOutcome(client, task, 'jane@acme.example')).text).split('\n');
  assert.ok(!lines.some((l) => /removal\(s\) (added to|on) the deprovisioning report/.test(l)), lines.join('\n'));
  assert.ok(lines.includes('  skipped   acme: remove jane@acme.example (EMPLOYEE): not added to the report: its removal is already queued (task t9)'), lines.join('\n'));
});
