-- Marks on the store as a whole, beside schema_migrations and index_definitions (not records of
-- any collection, so they are neither copied, counted nor checksummed by `hubwarden store
-- migrate`). One mark so far: `copy-in-progress`, written by migrate before its first record
-- and deleted once the copy is verified (copy-mark.ts). A schema that keeps it holds a copy that
-- never finished, and no store opens on it.
CREATE TABLE store_marks (
  name text PRIMARY KEY,
  detail json NOT NULL,
  set_at timestamptz NOT NULL DEFAULT now()
);
