-- A transaction's commit as one call (postgres-store.ts): its locks, the check of what it read,
-- and its writes, sent as one statement outside an explicit transaction block, so PostgreSQL
-- runs it as its own transaction and commits it when it returns: one round trip where BEGIN, the
-- locks, the writes and COMMIT were three. Measured on the SCIM import: each round trip costs
-- the server a system call and a wake-up on both sides, and a SCIM create made about eight.
--
-- Inside a VOLATILE function at READ COMMITTED each statement takes a new snapshot, so the check
-- and the writes see everything committed before the locks were granted
-- (https://www.postgresql.org/docs/current/xfunc-volatility.html); the advisory locks are
-- transaction-level, held until the call's transaction ends
-- (https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS).
-- lock_timeout is set for the call: a commit waiting longer gives up (55P03) and runs again.
--
-- Arguments (read-set.ts, key-locks.ts, writes.ts):
--   lock_keys, lock_x     the locks in the order to take them, and which are exclusive;
--   ck_*                  what was read and its print then (checked as read-set.ts says);
--   del_*                 records to delete; ups_* records to insert or replace (data as JSON text);
--   t_*, names            the records written blind (whole: deleted), whose stored entries under
--                         these indexes (all of them when deleted) are compared with k_*;
--   k_*                   the index entries to have: all of a blind record's, and those a record
--                         read in the transaction gains;
--   x_*                   the index entries a record read in the transaction loses.
-- Returns the deleted records that existed (only they are changes).
CREATE FUNCTION commit_writes(
  lock_keys bigint[], lock_x boolean[],
  ck_kind text[], ck_a text[], ck_b text[], ck_c text[], ck_print text[],
  del_c text[], del_p text[], del_i text[],
  ups_c text[], ups_p text[], ups_i text[], ups_j text[],
  t_c text[], t_p text[], t_i text[], t_whole boolean[], names text[],
  k_n text[], k_v text[], k_c text[], k_p text[], k_i text[],
  x_n text[], x_v text[], x_c text[], x_p text[], x_i text[]
) RETURNS TABLE (collection text, partition text, id text)
LANGUAGE plpgsql SET search_path FROM CURRENT SET lock_timeout = '5s' SET enable_hashjoin = on AS $$
#variable_conflict use_column
DECLARE
  n int;
BEGIN
  PERFORM CASE WHEN l.x THEN pg_advisory_xact_lock(l.k) ELSE pg_advisory_xact_lock_shared(l.k) END
  FROM unnest(lock_keys, lock_x) WITH ORDINALITY AS l(k, x, o) ORDER BY l.o;

  PERFORM conflict(t.kind || ' of ' || t.a)
  FROM unnest(ck_kind, ck_a, ck_b, ck_c, ck_print) AS t(kind, a, b, c, print)
  WHERE t.kind <> 'lookup' AND (CASE t.kind
           WHEN 'record' THEN (SELECT r.xmin::text FROM records r WHERE r.collection = t.a AND r.partition = t.b AND r.id = t.c)
           WHEN 'partition' THEN partition_print(t.a, t.b)
           WHEN 'collection' THEN collection_print(t.a)
         END) IS DISTINCT FROM t.print;

  -- A lookup's print: how many records are filed under the value, and an md5 of their
  -- partition, id and row version in insertion order (reads.ts computes the same from the rows it
  -- read). Inline, entry by entry then record by record (LATERAL … OFFSET 0): a check for
  -- updates checks 10,000 lookups, and a function call per lookup cost seconds.
  PERFORM conflict('lookup of ' || t.a)
  FROM unnest(ck_kind, ck_a, ck_b, ck_c, ck_print) AS t(kind, a, b, c, print)
  CROSS JOIN LATERAL (
    SELECT count(*)::text || '/' || coalesce(md5(string_agg(e.partition || E'\x1f' || e.id || E'\x1f' || r.v, E'\x1e' ORDER BY r.seq)), '') AS print
    FROM index_entries e
    CROSS JOIN LATERAL (SELECT x.seq, x.xmin::text AS v FROM records x WHERE x.collection = e.collection AND x.partition = e.partition AND x.id = e.id OFFSET 0) r
    WHERE e.name = t.a AND e.value = t.b AND e.collection = t.c
  ) now
  WHERE t.kind = 'lookup' AND now.print IS DISTINCT FROM t.print;

  -- One key at a time: each a primary-key lookup, whatever the table's statistics.
  FOR n IN 1 .. coalesce(array_length(del_c, 1), 0) LOOP
    RETURN QUERY DELETE FROM records r WHERE r.collection = del_c[n] AND r.partition = del_p[n] AND r.id = del_i[n]
      RETURNING r.collection, r.partition, r.id;
  END LOOP;

  -- A new record gets the next seq, a replaced one keeps its own (insertion order).
  INSERT INTO records (collection, partition, id, data)
  SELECT u.c, u.p, u.i, u.j::json FROM unnest(ups_c, ups_p, ups_i, ups_j) WITH ORDINALITY AS u(c, p, i, j, o) ORDER BY u.o
  ON CONFLICT ON CONSTRAINT records_pkey DO UPDATE SET data = EXCLUDED.data;

  -- Index upkeep. The entries a read record loses go by key. A blind record's entries under these
  -- indexes (all of a deleted record's) are compared with its new keys, as sets: entries no longer
  -- held go, new ones come, the rest stay. The entries are read record by
  -- record (LATERAL … OFFSET 0 is never flattened into a join the planner could turn around),
  -- compared by hash (enabled for this function: the store's sessions disable it, see
  -- postgres-store.ts), and the stale ones deleted by their row address (ctid).
  DELETE FROM index_entries WHERE ctid = ANY(ARRAY(
    SELECT y.tid FROM unnest(x_n, x_v, x_c, x_p, x_i) AS x(n, v, c, p, i)
    CROSS JOIN LATERAL (SELECT e.ctid AS tid FROM index_entries e WHERE e.name = x.n AND e.value = x.v AND e.collection = x.c AND e.partition = x.p AND e.id = x.i OFFSET 0) y));

  WITH keys AS MATERIALIZED (
    SELECT * FROM unnest(k_n, k_v, k_c, k_p, k_i) AS k(name, value, collection, partition, id)
  ), existing AS MATERIALIZED (
    SELECT e.tid, e.name, e.value, e.collection, e.partition, e.id
    FROM unnest(t_c, t_p, t_i, t_whole) AS t(c, p, i, whole)
    CROSS JOIN LATERAL (
      SELECT x.ctid AS tid, x.name, x.value, x.collection, x.partition, x.id FROM index_entries x
      WHERE x.collection = t.c AND x.partition = t.p AND x.id = t.i AND (t.whole OR x.name = ANY(names))
      OFFSET 0
    ) e
  ), gone AS (
    DELETE FROM index_entries WHERE ctid = ANY(ARRAY(
      SELECT x.tid FROM existing x
      WHERE NOT EXISTS (SELECT 1 FROM keys k WHERE k.name = x.name AND k.value = x.value AND k.collection = x.collection AND k.partition = x.partition AND k.id = x.id)))
  )
  INSERT INTO index_entries (name, value, collection, partition, id)
  SELECT k.name, k.value, k.collection, k.partition, k.id FROM keys k
  WHERE NOT EXISTS (SELECT 1 FROM existing x WHERE x.name = k.name AND x.value = k.value AND x.collection = k.collection AND x.partition = k.partition AND x.id = k.id)
  ON CONFLICT DO NOTHING;
END
$$;
