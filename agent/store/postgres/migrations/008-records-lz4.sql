-- Records are compressed with LZ4 where the server has it, in place of PostgreSQL's default pglz.
--
-- A record larger than about 2 kB is compressed and stored out of line (TOAST) on every write:
-- a directory group of 1,000 members is ~89 kB of JSON, rewritten whole by each membership
-- PATCH. Measured on the 2-core test machine with PostgreSQL 15: 1,000 rewrites of such a record
-- took 1.49 s with pglz and 0.42 s with LZ4 (reads 82 ms and 33 ms), the stored size about the
-- same; during the SCIM import's member PATCHes PostgreSQL is the busier of the two cores.
-- https://www.postgresql.org/docs/current/storage-toast.html
-- https://www.postgresql.org/docs/current/sql-altertable.html (SET COMPRESSION, PostgreSQL 14+)
--
-- Only the column's setting changes, not the table (values already stored keep pglz until they
-- are next written). A server older than 14, or built without LZ4, keeps pglz: the statement is
-- refused there (a syntax error, or "compression method lz4 not supported") and this migration
-- notes it and succeeds, so such a server still starts.
DO $$
BEGIN
  EXECUTE 'ALTER TABLE records ALTER COLUMN data SET COMPRESSION lz4';
EXCEPTION WHEN feature_not_supported OR syntax_error THEN
  RAISE NOTICE 'hubwarden: records keep pglz compression (%)', SQLERRM;
END
$$;
