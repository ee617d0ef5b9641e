-- `commit_writes` with two more arguments, ups_new and k_new: which records to insert are known
-- to be absent, and which index entries cannot be stored (theirs, and since then also those a
-- record read present gains: writes.ts). Those are inserted plainly; the
-- others as before, with ON CONFLICT. An INSERT … ON CONFLICT inserts each row speculatively
-- (a check of the arbiter index, the row, a confirmation:
-- https://www.postgresql.org/docs/current/sql-insert.html#SQL-ON-CONFLICT), and a blind record's
-- stored index entries are looked up to be compared. Measured by replaying a first check for
-- updates' commit (35,507 records, 40,803 index entries into an empty hub): the call took
-- 1.5–2.6 s; without the lookups of stored entries 1.3–1.6 s; inserting plainly too, 0.85–0.94 s.
--
-- A record is known absent when the transaction read it absent, or listed its partition empty
-- (overlay.ts); either read is checked unchanged below, after the locks that keep every other
-- writer of that record (or partition) waiting, so nothing can insert it in between. Its index
-- entries cannot exist either: every entry is written and deleted with its record. Were either
-- ever wrong, the plain INSERT fails with a unique violation and the whole call rolls back:
-- the commit fails, nothing is half written.
--
-- Every record to insert takes its seq in staging order first (the identity's sequence, as the
-- column default would), so records inserted by the two statements keep the order they were
-- staged in (list order is insertion order).
--
-- 004's function stays: a replica still on the previous release calls it during a rolling
-- upgrade (migrate.ts), and PostgreSQL tells the two apart by their arguments.
CREATE FUNCTION commit_writes(
  lock_keys bigint[], lock_x boolean[],
  ck_kind text[], ck_a text[], ck_b text[], ck_c text[], ck_print text[],
  del_c text[], del_p text[], del_i text[],
  ups_c text[], ups_p text[], ups_i text[], ups_j text[], ups_new boolean[],
  t_c text[], t_p text[], t_i text[], t_whole boolean[], names text[],
  k_n text[], k_v text[], k_c text[], k_p text[], k_i text[], k_new boolean[],
  x_n text[], x_v text[], x_c text[], x_p text[], x_i text[]
) RETURNS TABLE (collection text, partition text, id text)
LANGUAGE plpgsql SET search_path FROM CURRENT SET lock_timeout = '5s' SET enable_hashjoin = on AS $$
#variable_conflict use_column
DECLARE
  n int;
  seqs bigint[];
  seq regclass;
BEGIN
  PERFORM CASE WHEN l.x THEN pg_advisory_xact_lock(l.k) ELSE pg_advisory_xact_lock_shared(l.k) END
  FROM unnest(lock_keys, lock_x) WITH ORDINALITY AS l(k, x, o) ORDER BY l.o;

  -- Each statement below runs only when it has something to do (PL/pgSQL evaluates these IF
  -- conditions without the executor): a SCIM create's commit needs four of them, and starting an
  -- executor for each of the others showed in a `perf` profile of PostgreSQL.
  IF coalesce(array_length(ck_kind, 1), 0) > cardinality(array_positions(ck_kind, 'lookup')) THEN
    PERFORM conflict(t.kind || ' of ' || t.a)
    FROM unnest(ck_kind, ck_a, ck_b, ck_c, ck_print) AS t(kind, a, b, c, print)
    WHERE t.kind <> 'lookup' AND (CASE t.kind
             WHEN 'record' THEN (SELECT r.xmin::text FROM records r WHERE r.collection = t.a AND r.partition = t.b AND r.id = t.c)
             WHEN 'partition' THEN partition_print(t.a, t.b)
             WHEN 'collection' THEN collection_print(t.a)
           END) IS DISTINCT FROM t.print;
  END IF;

  -- A lookup's print: how many records are filed under the value, and an md5 of their
  -- partition, id and row version in insertion order (reads.ts computes the same from the rows it
  -- read). Inline, entry by entry then record by record (LATERAL … OFFSET 0): a check for
  -- updates checks 10,000 lookups, and a function call per lookup cost seconds.
  IF 'lookup' = ANY(ck_kind) THEN
    PERFORM conflict('lookup of ' || t.a)
    FROM unnest(ck_kind, ck_a, ck_b, ck_c, ck_print) AS t(kind, a, b, c, print)
    CROSS JOIN LATERAL (
      SELECT count(*)::text || '/' || coalesce(md5(string_agg(e.partition || E'\x1f' || e.id || E'\x1f' || r.v, E'\x1e' ORDER BY r.seq)), '') AS print
      FROM index_entries e
      CROSS JOIN LATERAL (SELECT x.seq, x.xmin::text AS v FROM records x WHERE x.collection = e.collection AND x.partition = e.partition AND x.id = e.id OFFSET 0) r
      WHERE e.name = t.a AND e.value = t.b AND e.collection = t.c
    ) now
    WHERE t.kind = 'lookup' AND now.print IS DISTINCT FROM t.print;
  END IF;

  -- One key at a time: each a primary-key lookup, whatever the table's statistics.
  FOR n IN 1 .. coalesce(array_length(del_c, 1), 0) LOOP
    RETURN QUERY DELETE FROM records r WHERE r.collection = del_c[n] AND r.partition = del_p[n] AND r.id = del_i[n]
      RETURNING r.collection, r.partition, r.id;
  END LOOP;

  -- A new record gets the next seq, a replaced one keeps its own (insertion order). When both
  -- kinds are staged, the seqs are taken first, in staging order, for the two statements to use.
  IF array_length(ups_c, 1) IS NULL THEN
    NULL; -- nothing to insert or replace
  ELSIF NOT (false = ANY(ups_new)) THEN
    INSERT INTO records (collection, partition, id, data)
    SELECT u.c, u.p, u.i, u.j::json FROM unnest(ups_c, ups_p, ups_i, ups_j) WITH ORDINALITY AS u(c, p, i, j, o) ORDER BY u.o;
  ELSIF NOT (true = ANY(ups_new)) THEN
    INSERT INTO records (collection, partition, id, data)
    SELECT u.c, u.p, u.i, u.j::json FROM unnest(ups_c, ups_p, ups_i, ups_j) WITH ORDINALITY AS u(c, p, i, j, o) ORDER BY u.o
    ON CONFLICT ON CONSTRAINT records_pkey DO UPDATE SET data = EXCLUDED.data;
  ELSE
    -- Looked up only here: pg_get_serial_sequence reads the catalog's dependencies.
    seq := pg_get_serial_sequence('records', 'seq')::regclass;
    seqs := ARRAY(SELECT nextval(seq) FROM generate_series(1, array_length(ups_c, 1)) AS g(o) ORDER BY g.o);
    INSERT INTO records (collection, partition, id, seq, data) OVERRIDING SYSTEM VALUE
    SELECT u.c, u.p, u.i, u.s, u.j::json FROM unnest(ups_c, ups_p, ups_i, ups_j, ups_new, seqs) AS u(c, p, i, j, new, s) WHERE u.new;
    INSERT INTO records (collection, partition, id, seq, data) OVERRIDING SYSTEM VALUE
    SELECT u.c, u.p, u.i, u.s, u.j::json FROM unnest(ups_c, ups_p, ups_i, ups_j, ups_new, seqs) AS u(c, p, i, j, new, s) WHERE NOT u.new ORDER BY u.s
    ON CONFLICT ON CONSTRAINT records_pkey DO UPDATE SET data = EXCLUDED.data;
  END IF;

  -- Index upkeep. The entries a read record loses go by key. A blind record's entries under these
  -- indexes (all of a deleted record's) are compared with its new keys, as sets: entries no longer
  -- held go, new ones come, the rest stay. The entries are read record by
  -- record (LATERAL … OFFSET 0 is never flattened into a join the planner could turn around),
  -- compared by hash (enabled for this function: the store's sessions disable it, see
  -- postgres-store.ts), and the stale ones deleted by their row address (ctid).
  IF array_length(x_n, 1) > 0 THEN
    DELETE FROM index_entries WHERE ctid = ANY(ARRAY(
      SELECT y.tid FROM unnest(x_n, x_v, x_c, x_p, x_i) AS x(n, v, c, p, i)
      CROSS JOIN LATERAL (SELECT e.ctid AS tid FROM index_entries e WHERE e.name = x.n AND e.value = x.v AND e.collection = x.c AND e.partition = x.p AND e.id = x.i OFFSET 0) y));
  END IF;

  -- The entries of records known absent: none stored, none to compare.
  IF true = ANY(k_new) THEN
    INSERT INTO index_entries (name, value, collection, partition, id)
    SELECT k.name, k.value, k.collection, k.partition, k.id FROM unnest(k_n, k_v, k_c, k_p, k_i, k_new) AS k(name, value, collection, partition, id, new) WHERE k.new;
  END IF;

  IF NOT (false = ANY(k_new)) AND coalesce(array_length(t_c, 1), 0) = 0 THEN
    RETURN;
  END IF;
  WITH keys AS MATERIALIZED (
    SELECT k.name, k.value, k.collection, k.partition, k.id FROM unnest(k_n, k_v, k_c, k_p, k_i, k_new) AS k(name, value, collection, partition, id, new) WHERE NOT k.new
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
