import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { commitStaged, type Committer } from './commit.ts';
import { commitCallsFor } from './commit-args.ts';
import { PART_RECORDS } from './commit-parts.ts';
import type { Connections } from './connections.ts';
import { KeyLocks } from './key-locks.ts';
import { ReadSet } from './read-set.ts';
import type { StagedEntry } from './writes.ts';

/**
 * commit-parts.ts: what a commit in parts leaves of its connection when a part fails. Against a
 * scripted connection (no database): which statements went to it after the failure, and whether
 * it went back to the pool or was ended.
 */

interface Script {
  /** The answer to the n-th commit_writes call (0-based): an error to fail it with, or rows. */
  part(n: number): Error | undefined;
  rollback?: Error;
}

function scripted(script: Script) {
  const sent: string[] = [];
  const released: Array<Error | undefined> = [];
  let parts = 0;
  const client = {
    on() {},
    removeListener() {},
    release(err?: Error) {
      released.push(err);
    },
    async query(config: { text: string }) {
      const text = config.text;
      if (text === 'BEGIN' || text === 'COMMIT' || text === 'ROLLBACK') {
        sent.push(text);
        if (text === 'ROLLBACK' && script.rollback) throw script.rollback;
        return { rows: [] };
      }
      const n = parts++;
      sent.push(`part ${n}`);
      const failure = script.part(n);
      if (failure) throw failure;
      return { rows: [] };
    },
  };
  const db = {
    connect: async () => client,
    timed: (text: string) => ({ text }),
    markUnavailable() {},
    markAvailable() {},
    unavailableError: (err: unknown) => Object.assign(new Error(`unavailable: ${String(err)}`), { unavailable: true }),
    refusedError: (err: unknown) => err,
  } as unknown as Connections;
  const committer: Committer = { db, keys: new KeyLocks('s'), indexes: new Map(), commitCalls: commitCallsFor('"s"'), announcer: { announce() {} } as never };
  return { committer, sent, released, client: client as unknown as pg.PoolClient };
}

/** More records than one part takes: a first part and two more. */
function bigCommit(): Map<string, StagedEntry> {
  const staged = new Map<string, StagedEntry>();
  for (let n = 0; n < PART_RECORDS + 2_000; n++) staged.set(`r${n}`, { collection: 'partItems' as never, partition: 'big', id: `r${n}`, record: { id: `r${n}` }, before: { record: undefined } });
  return staged;
}

const sqlError = (code: string) => Object.assign(new Error(`sqlstate ${code}`), { code });

describe('commit in parts: the connection after a failed part', () => {
  test('a part whose answer timed out: no ROLLBACK is queued behind it, and the connection is ended', async () => {
    const s = scripted({ part: (n) => (n === 1 ? new Error('Query read timeout') : undefined) });
    const outcome = await commitStaged(s.committer, bigCommit(), new ReadSet());
    assert.equal(outcome.ok, false);
    assert.deepEqual(s.sent, ['BEGIN', 'part 0', 'part 1'], 'nothing sent after the part that timed out');
    assert.equal(s.released.length, 1);
    assert.match(String(s.released[0]?.message), /Query read timeout/, 'ended, not given back to the pool');
  });

  test('a part refused and its ROLLBACK failing: the connection is ended, not given back inside the transaction', async () => {
    const s = scripted({ part: (n) => (n === 1 ? sqlError('55P03') : undefined), rollback: sqlError('57014') });
    const outcome = await commitStaged(s.committer, bigCommit(), new ReadSet());
    assert.equal(outcome.ok, false);
    assert.equal((outcome as { error: { code?: string } }).error.code, '55P03', 'the part\'s own failure is what is answered');
    assert.deepEqual(s.sent, ['BEGIN', 'part 0', 'part 1', 'ROLLBACK']);
    assert.equal(s.released.length, 1);
    assert.ok(s.released[0] instanceof Error, 'ended');
  });

  test('a unique violation whose ROLLBACK failed: not made again on that connection', async () => {
    const s = scripted({ part: (n) => (n === 1 ? sqlError('23505') : undefined), rollback: sqlError('57014') });
    const outcome = await commitStaged(s.committer, bigCommit(), new ReadSet());
    assert.equal(outcome.ok, false);
    assert.deepEqual(s.sent, ['BEGIN', 'part 0', 'part 1', 'ROLLBACK'], 'no second BEGIN inside the failed transaction');
    assert.ok(s.released[0] instanceof Error, 'ended');
  });

  test('a part refused and rolled back: the connection goes back to the pool', async () => {
    const s = scripted({ part: (n) => (n === 1 ? sqlError('55P03') : undefined) });
    const outcome = await commitStaged(s.committer, bigCommit(), new ReadSet());
    assert.equal(outcome.ok, false);
    assert.deepEqual(s.sent, ['BEGIN', 'part 0', 'part 1', 'ROLLBACK']);
    assert.deepEqual(s.released, [undefined]);
  });

  test('a fleet turn\'s connection stays the turn\'s either way (its end discards it)', async () => {
    const s = scripted({ part: (n) => (n === 1 ? new Error('Query read timeout') : undefined) });
    const outcome = await commitStaged(s.committer, bigCommit(), new ReadSet(), s.client);
    assert.equal(outcome.ok, false);
    assert.deepEqual(s.sent, ['BEGIN', 'part 0', 'part 1']);
    assert.deepEqual(s.released, []);
    // Told to the turn, whose end then ends the connection instead of unlocking on it (fleet-turn.ts).
    assert.match(String((outcome as { discard?: Error }).discard?.message), /Query read timeout/);
  });

  test('a one-call commit on a fleet turn\'s connection that timed out: the turn is told to end the connection', async () => {
    const s = scripted({ part: () => new Error('Query read timeout') });
    const staged = new Map<string, StagedEntry>([['a', { collection: 'partItems' as never, partition: 'p', id: 'a', record: { id: 'a' } }]]);
    const outcome = await commitStaged(s.committer, staged, new ReadSet(), s.client);
    assert.equal(outcome.ok, false);
    assert.deepEqual(s.released, []);
    assert.match(String((outcome as { discard?: Error }).discard?.message), /Query read timeout/);
    // A refusal leaves the connection usable: the turn unlocks on it as usual.
    const refused = scripted({ part: () => sqlError('55P03') });
    const answered = await commitStaged(refused.committer, staged, new ReadSet(), refused.client);
    assert.equal(answered.ok, false);
    assert.equal((answered as { discard?: Error }).discard, undefined);
  });
});
