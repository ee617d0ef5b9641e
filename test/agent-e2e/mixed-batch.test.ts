import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import { SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { invalidParameter, transientError, type GraphError } from '../../connectors/meta-business/emulator/graph-error.ts';
import { collect } from '../../agent/store/store.ts';
import { checkForUpdates, HUB, invitePosts, settle, startHarness, until, type Harness } from './harness.ts';

/**
 * Several people pushed at once: their invites leave as one Graph batch request
 * (connectors/meta-business/write-batcher.ts), and "each operation in the batch answers on its
 * own": one failed operation does not fail the others, and on a timeout the operations that did
 * not complete come back `null` (https://developers.facebook.com/docs/graph-api/batch-requests).
 * In one batch here:
 * - ada and ben: invited (the emulator answers them);
 * - cy: refused for good, code 100 (an invalid parameter: the request is wrong, not to be retried
 *   as it is, https://developers.facebook.com/docs/graph-api/guides/error-handling);
 * - dee: answered with a transient code 2 ("temporary downtime", retry) the first time;
 * - eve: `null` the first time, as an operation a timed-out batch did not complete.
 * The three are given by a front before the emulator, which takes their operations out of the
 * batch (none is carried out) and answers their slots; the emulator runs the rest.
 * Each person ends with exactly one invite audit entry with the right outcome, each invited person
 * with exactly one invite in the emulator (no item re-sent by retrying the whole batch), and the
 * tasks in the right states.
 */
const BUSINESS_USERS = `${SANDBOX.businessId}/business_users`;
const PEOPLE = { ada: 'ada@example.com', ben: 'ben@example.com', cy: 'cy@example.com', dee: 'dee@example.com', eve: 'eve@example.com' };
const REFUSED = PEOPLE.cy;
const TRANSIENT = PEOPLE.dee;
const NOT_COMPLETED = PEOPLE.eve;
type Op = { method: string; relative_url: string; body?: string };
const emailOf = (op: Op) => new URLSearchParams(op.body ?? '').get('email')?.toLowerCase() ?? '';
const isInvite = (op: Op) => op.method === 'POST' && op.relative_url.replace(/^\/?(v\d+\.\d+\/)?/, '').split('?')[0] === BUSINESS_USERS;

/** Every batch request's invite emails, as sent; and which of dee and eve met their fault (once). */
const batches: string[][] = [];
const faulted = new Set<string>();

/** A per-operation error item of a batch answer: `{code, headers, body: "<json>"}`. */
const errorItem = (error: GraphError) => ({ code: error.batchStatus, headers: [{ name: 'Content-Type', value: 'text/javascript; charset=UTF-8' }], body: JSON.stringify(error.toBody()) });

/**
 * A front for the emulator: cy's invite in any batch, and dee's or eve's in the first batch that
 * carries it, are taken out before the emulator runs the batch (so not carried out) and their
 * slots in the answer filled: a code 100 item (cy), a code 2 item (dee), `null` (eve).
 */
const front: express.RequestHandler = (req, res, next) => {
  const batch = req.method === 'POST' && /^\/(v\d+\.\d+\/?)?$/.test(req.path) && typeof req.body?.batch === 'string'
    ? JSON.parse(req.body.batch) as Op[] : undefined;
  if (!batch) return next();
  batches.push(batch.filter(isInvite).map(emailOf));
  const answers = new Map<number, unknown>();
  batch.forEach((op, i) => {
    const email = emailOf(op);
    if (!isInvite(op)) return;
    if (email === REFUSED) answers.set(i, errorItem(invalidParameter('Invalid parameter', undefined, { userMessage: 'This person cannot be invited to the business.' })));
    if (faulted.has(email) || (email !== TRANSIENT && email !== NOT_COMPLETED)) return;
    faulted.add(email);
    answers.set(i, email === NOT_COMPLETED ? null : errorItem(transientError(2)));
  });
  if (answers.size === 0) return next();
  const kept = batch.filter((_, i) => !answers.has(i));
  const merge = (ran: unknown[]) => { let k = 0; return batch.map((_, i) => (answers.has(i) ? answers.get(i) : ran[k++])); };
  if (kept.length === 0) {
    res.json(merge([]));
    return;
  }
  req.body = { ...req.body, batch: JSON.stringify(kept) };
  const end = res.end.bind(res) as (chunk?: unknown) => express.Response;
  (res as { end: unknown }).end = (chunk?: unknown) => {
    const ran = JSON.parse(String(chunk)) as unknown[];
    assert.ok(Array.isArray(ran), `the emulator ran the rest of the batch: ${String(chunk)}`);
    res.removeHeader('content-length');
    return end(JSON.stringify(merge(ran)));
  };
  next();
};

let h: Harness;
before(async () => {
  h = await startHarness({ front: express.Router().use(express.urlencoded({ extended: false }), express.json(), front) });
  await checkForUpdates(h);
});
after(() => h.close());

test('a mixed batch: one settling audit entry per person with its outcome (and one `unknown` per lost answer), one invite each, no item re-sent', async () => {
  const ids = Object.keys(PEOPLE).map((name) => `u-${name}`);
  for (const [name, email] of Object.entries(PEOPLE)) await h.directory.createUser(`u-${name}`, email);
  await h.directory.patchGroup('Meta Advertisers', ids);

  const tasks = async () => (await collect(h.store.list('tasks', HUB))).filter((t) => t.kind === 'invite');
  const ended = (t: { status: string }) => t.status === 'completed' || t.status === 'failed';
  await until('the five invite tasks ended', async () => { const all = await tasks(); return all.length === 5 && all.every(ended); }, 20_000);
  await settle(h);

  // The faults met one batch that carried every person (not lone calls, not batches of one).
  const mixed = batches.find((b) => Object.values(PEOPLE).every((e) => b.includes(e)));
  assert.ok(mixed, `one batch carried all five invites: ${JSON.stringify(batches)}`);
  assert.deepEqual([...faulted].sort(), [PEOPLE.dee, PEOPLE.eve]);

  const audit = (await h.agent.api.audit({ hubId: HUB, action: 'invite' })).items;
  const trail = JSON.stringify(audit.map((e) => `${e.subject?.email}: ${e.outcome} (attempt ${String(e.detail?.attempt)}): ${e.why}`));
  // One settling entry per person; an attempt whose answer told nothing (code 2, a batch item
  // left null) also has its own `unknown` entry, once (agent/tasks/operations/lost-answer.ts).
  const entries = (email: string) => audit.filter((e) => e.subject?.email === email && e.outcome !== 'unknown');
  const unknown = (email: string) => audit.filter((e) => e.subject?.email === email && e.outcome === 'unknown');
  for (const email of Object.values(PEOPLE)) assert.equal(entries(email).length, 1, `exactly one settling invite entry for ${email}: ${trail}`);
  for (const email of [PEOPLE.ada, PEOPLE.ben, PEOPLE.cy]) assert.equal(unknown(email).length, 0, `${email}: answered, no unknown entry: ${trail}`);
  for (const email of [PEOPLE.dee, PEOPLE.eve]) assert.deepEqual(unknown(email).map((e) => e.detail?.attempt), [1], `${email}: one unknown entry, its first attempt: ${trail}`);
  for (const email of [PEOPLE.ada, PEOPLE.ben]) {
    assert.equal(entries(email)[0]!.outcome, 'ok', trail);
    assert.equal(entries(email)[0]!.detail?.attempt, 1, `${email} invited at the first attempt: ${trail}`);
  }
  const refused = entries(PEOPLE.cy)[0]!;
  assert.equal(refused.outcome, 'failed', trail);
  assert.match(refused.why, /invalid-argument.*\[100\]/, 'names the app\'s code');
  for (const email of [PEOPLE.dee, PEOPLE.eve]) {
    assert.equal(entries(email)[0]!.outcome, 'ok', trail);
    assert.equal(entries(email)[0]!.detail?.attempt, 2, `${email} retried once, then invited: ${trail}`);
  }

  // In the emulator: one invite each, made by one accepted POST.
  const pending = h.emulator.control.state().invites.filter((i) => i.status === 'PENDING');
  for (const email of [PEOPLE.ada, PEOPLE.ben, PEOPLE.dee, PEOPLE.eve]) {
    assert.equal(pending.filter((i) => i.email === email).length, 1, `one invite for ${email}`);
    assert.equal(invitePosts(h.emulator, email).filter((c) => c.status === 200).length, 1, `one accepted POST for ${email}`);
  }
  assert.equal(pending.filter((i) => i.email === PEOPLE.cy).length, 0);
  // Answered operations are not sent again by a retry of the batch; the refused one is not retried.
  const sent = (email: string) => batches.flat().filter((e) => e === email).length + invitePosts(h.emulator, email).filter((c) => !c.batch).length;
  assert.deepEqual(Object.values(PEOPLE).map(sent), [1, 1, 1, 2, 2], `POSTs per person (ada ben cy dee eve): ${JSON.stringify(batches)}`);

  // The retries of dee and eve, whose first outcome was not known to be a refusal, looked for an
  // existing invite first (pending_users?email=); ada's and ben's clean first attempts did not.
  const lookups = (email: string) => h.emulator.calls.filter((c) => c.method === 'GET' && c.path === `/${SANDBOX.businessId}/pending_users` && String(c.query.email ?? c.body.email ?? '').toLowerCase() === email).length;
  for (const email of [PEOPLE.dee, PEOPLE.eve]) assert.ok(lookups(email) >= 1, `${email}'s retry looked up the invite before sending it again`);
  for (const email of [PEOPLE.ada, PEOPLE.ben]) assert.equal(lookups(email), 0, `${email}: a clean first attempt, no look-up`);

  const byEmail = new Map((await tasks()).map((t) => [(t.payload as { op: { email: string } }).op.email, t]));
  for (const email of [PEOPLE.ada, PEOPLE.ben]) assert.deepEqual([byEmail.get(email)?.status, byEmail.get(email)?.attempts], ['completed', 1], email);
  for (const email of [PEOPLE.dee, PEOPLE.eve]) assert.deepEqual([byEmail.get(email)?.status, byEmail.get(email)?.attempts], ['completed', 2], email);
  assert.equal(byEmail.get(PEOPLE.cy)?.status, 'failed');
  assert.equal(byEmail.get(PEOPLE.cy)?.lastError?.kind, 'invalid-argument');
});
