-- The insertion-order indexes on expressions, so that only queries written for them use them.
--
-- 001 indexed (collection, partition, seq) and (collection, seq). A lookup of records by key
-- (collection, partition, id), joined to a list of keys (the row locks and deletions of a
-- transaction's writes), matched their leading columns too, and on a table whose statistics
-- were not gathered yet the planner took the smaller (collection, partition, seq) index and
-- filtered the whole partition by id: 10,000 rows read to lock 2 records (measured, EXPLAIN
-- ANALYZE), which made each SCIM create cost milliseconds of database CPU. On expressions, the
-- key lookups can only use the primary key, whatever the statistics say; list, newestFirst,
-- retention and index builds name the expressions (reads.ts, postgres-store.ts, indexes.ts).
-- Expression indexes: https://www.postgresql.org/docs/current/indexes-expressional.html
-- U+001F separates the two parts: collection names are the store's own and never hold it.
DROP INDEX records_order;
DROP INDEX records_collection_order;
CREATE INDEX records_partition_order ON records ((collection || E'\x1f' || partition), seq);
CREATE INDEX records_collection_order ON records ((collection || E'\x1f'), seq);
