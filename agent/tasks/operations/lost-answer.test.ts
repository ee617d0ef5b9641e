import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectorError } from '../../../connectors/sdk/connector-error.ts';
import type { Operation } from '../../plan/operation.ts';
import { MemoryStore } from '../../store/memory-store.ts';
import { collect } from '../../store/store.ts';
import { recordAttempt, type Claimant } from '../attempt.ts';
import { ClaimBatch } from '../claim-batch.ts';
import { enqueueTask } from '../enqueue.ts';
import type { RetryDecision } from '../retry-policy.ts';
import { lostAnswerAudit } from './lost-answer.ts';

/**
 * The `unknown` entry of an attempt whose answer was lost (lost-answer.ts) is written once per
 * attempt: only by the runner whose lease the attempt ran under, in the transaction that records
 * its end. An end recorded twice (end-batch.ts records a batch's ends again one by one when the
 * batch's commit failed), or the end of an attempt whose lease another replica took over, writes
 * none; an attempt that ends the task writes none either (its `failed` entry counts it).
 */
const trigger = { type: 'scim' as const, idp: 'okta' };
const op = { kind: 'invite', key: 'invite:sam@example.com', email: 'sam@example.com', directoryUserId: 'u-sam', role: 'EMPLOYEE', effect: 'grant', reason: 'assigned', summary: 'invite sam@example.com as EMPLOYEE' } as Operation;
const lost = new ConnectorError('unavailable', 'invite sam@example.com: unavailable (socket hang up)');
const backoff: RetryDecision = { action: 'backoff', delayMs: 1_000, kind: 'unavailable', message: lost.message, log: 'error' };

async function world() {
  const store = new MemoryStore();
  let now = Date.parse('2026-12-07T12:00:00Z');
  const clock = () => now;
  const replica = (owner: string): Claimant => ({ owner, clock, leaseMs: 30_000, exclusive: false });
  const task = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'invite', payload: { op }, idempotencyKey: `op:${op.key}`, trigger, summary: op.summary, now: new Date(now) }));
  const claim = async (c: Claimant) => (await new ClaimBatch(store, c).claim((await store.get('tasks', 'h1', task.id))!))!.task;
  const entries = async () => (await collect(store.list('audit', 'h1'))).sort((a, b) => a.seq - b.seq);
  return { store, replica, claim, entries, later: (ms: number) => { now += ms; } };
}

test('a lost answer is audited once: an end recorded twice, and the end of an attempt another replica took over, write no second entry', async () => {
  const w = await world();
  const a = w.replica('replica-a');
  const b = w.replica('replica-b');
  const first = await w.claim(a);
  const end = { task: first, outcome: { status: 'error' as const, decision: backoff }, audits: [lostAnswerAudit(op, lost, first.attempts)!] };
  await recordAttempt(w.store, a, end);
  await recordAttempt(w.store, a, end);
  // Its retry: A's renewals fail, the lease lapses, B takes the task over and its answer is lost too.
  w.later(2_000);
  const second = await w.claim(a);
  w.later(31_000);
  const third = await w.claim(b);
  await recordAttempt(w.store, a, { task: second, outcome: { status: 'error', decision: backoff }, audits: [lostAnswerAudit(op, lost, second.attempts)!] });
  await recordAttempt(w.store, b, { task: third, outcome: { status: 'error', decision: backoff }, audits: [lostAnswerAudit(op, lost, third.attempts)!] });
  const written = (await w.entries()).filter((e) => e.outcome === 'unknown');
  assert.deepEqual(written.map((e) => e.detail?.attempt), [1, 3], 'one per attempt recorded, none for the attempt taken over');
  assert.equal(written[0]!.taskId, first.id);
  assert.deepEqual(written[0]!.subject, { email: 'sam@example.com', directoryUserId: 'u-sam' });
  assert.deepEqual(written[0]!.trigger, trigger);
});

test('an attempt that ends the task writes no `unknown` entry: its `failed` entry counts the attempts of unknown outcome', async () => {
  const w = await world();
  const a = w.replica('replica-a');
  const first = await w.claim(a);
  const fail: RetryDecision = { action: 'fail', kind: 'unavailable', message: `${lost.message} (gave up after 1 attempts)`, log: 'error' };
  await recordAttempt(w.store, a, { task: first, outcome: { status: 'error', decision: fail }, audits: [lostAnswerAudit(op, lost, first.attempts)!] });
  const trail = await w.entries();
  assert.deepEqual(trail.map((e) => e.outcome), ['failed']);
  assert.equal(trail[0]!.detail?.attemptsOutcomeUnknown, 1);
});

test('a call the app refused, or an error that is no connector\'s, is no lost answer', () => {
  assert.equal(lostAnswerAudit(op, lost.with({ notApplied: true }), 1), undefined);
  assert.equal(lostAnswerAudit(op, new Error('boom'), 1), undefined);
  // A throttle or a refusal the connector leaves unmarked (Meta's graph-errors.ts marks none) is
  // still the app's answer: no `unknown` entry per throttled person.
  for (const kind of ['rate-limited', 'permission-denied', 'unauthenticated', 'conflict', 'invalid-argument', 'not-found', 'internal'] as const) {
    assert.equal(lostAnswerAudit(op, new ConnectorError(kind, `invite sam@example.com: ${kind}`, { retryAfterMs: 60_000 }), 1), undefined, kind);
  }
  const removal = lostAnswerAudit({ kind: 'remove-member', key: 'remove:m1', memberId: 'm1', email: 'sam@example.com', summary: 'remove sam@example.com', effect: 'removal', reason: 'unassigned' } as Operation, lost, 2)!;
  assert.equal(removal.outcome, 'unknown');
  assert.match(removal.why, /^remove sam@example\.com \(unassigned\): sent to the app, its answer lost .*the next attempt sends it again, which the app answers as already done/);
});
