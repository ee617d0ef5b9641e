-- What a transaction checks at COMMIT (postgres-store.ts, read-set.ts): each thing it read is
-- printed now and compared with how it was printed when it was read. A print changes whenever
-- what was read changes: a record's print is its row version's xmin (every UPDATE, DELETE and
-- INSERT writes a new row version with a new xmin), a set's print is its size and an md5 of its
-- members' keys and versions in insertion order (seq, unique).
-- System columns (xmin): https://www.postgresql.org/docs/current/ddl-system-columns.html
-- STABLE: the functions read with the calling statement's snapshot, so a print taken in the
-- statement that reads the set describes exactly the set that statement read
-- (https://www.postgresql.org/docs/current/xfunc-volatility.html).
-- SET search_path FROM CURRENT: the tables are this schema's, whatever the caller's search_path.

-- Raises serialization_failure (40001): the store runs the transaction again.
CREATE FUNCTION conflict(what text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'store: % changed after this transaction read it', what USING ERRCODE = 'serialization_failure';
END
$$;

-- The records of one partition (a `list` or a `count`).
CREATE FUNCTION partition_print(c text, p text) RETURNS text LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
  SELECT count(*)::text || '/' || coalesce(md5(string_agg(r.id || E'\x1f' || r.xmin::text, E'\x1e' ORDER BY r.seq)), '')
  FROM records r WHERE r.collection = c AND r.partition = p
$$;

-- The partitions of one collection (`partitions`), by the same loose index scan as the read.
CREATE FUNCTION collection_print(c text) RETURNS text LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
  WITH RECURSIVE p AS (
    (SELECT partition, 1 AS n FROM records WHERE collection = c ORDER BY partition LIMIT 1)
    UNION ALL
    SELECT (SELECT r.partition FROM records r WHERE r.collection = c AND r.partition > p.partition ORDER BY r.partition LIMIT 1), p.n + 1
    FROM p WHERE p.partition IS NOT NULL
  )
  SELECT count(*)::text || '/' || coalesce(md5(string_agg(partition, E'\x1e' ORDER BY n)), '') FROM p WHERE partition IS NOT NULL
$$;
