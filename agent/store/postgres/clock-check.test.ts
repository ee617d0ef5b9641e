import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heardLines } from '../../../test/heard-log.ts';
import { postgresForTests } from '../../../test/postgres.ts';
import { postgresReplicas } from '../../../test/postgres-replicas.ts';

/**
 * Leases between replicas are judged by wall clocks (docs/scaling.md): a replica whose clock is
 * far from the others' says so, measured against the database's clock, instead of running
 * tasks twice in silence.
 */
const db = await postgresForTests();
const { freshSchema, replica } = postgresReplicas(db);

test("a replica whose clock is a minute from the database's reports it at open; one that agrees does not", { skip: db.skip }, async (t) => {
  const lines = heardLines<{ level: string; message: string; skewMs?: number }>(t);

  const schema = freshSchema('clock');
  const ahead = await replica(schema, { clock: () => Date.now() + 60_000 });
  t.after(() => ahead.close());
  const skew = ahead.clockSkewMs();
  assert.ok(skew !== undefined && Math.abs(skew - 60_000) < 2_000, `measured ${skew} ms ahead`);
  const said = lines.filter((l) => l.level === 'error' && /clock is not the database's/.test(l.message));
  assert.equal(said.length, 1);
  assert.ok(Math.abs(said[0]!.skewMs! - 60_000) < 2_000);

  lines.length = 0;
  const fine = await replica(schema);
  t.after(() => fine.close());
  assert.ok(Math.abs(fine.clockSkewMs()!) < 2_000, `measured ${fine.clockSkewMs()} ms`);
  assert.equal(lines.filter((l) => /clock/.test(l.message)).length, 0);
});
