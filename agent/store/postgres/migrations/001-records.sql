-- The store's records and the entries of its secondary indexes (see postgres-store.ts).
-- Run by migrate.ts inside one transaction, with search_path set to the store's schema.

-- Every record of every collection. `seq` is assigned once, when the record is first inserted,
-- and kept when it is replaced (ON CONFLICT ... DO UPDATE SET data only): it is the insertion
-- order `list` pages by, and `newestFirst` reads backwards. `written_at` is also set on insert
-- only: retention (`dropArchivedBefore`) drops what was inserted before a cutoff.
--
-- `data` is `json`, not `jsonb`: json keeps the text JSON.stringify wrote, so a record reads back
-- exactly as the memory and lowdb stores return it, object key order included (jsonb sorts keys
-- by length: callers that compare JSON text of a stored value with a fresh one, e.g. an offer's
-- assets or a SCIM group's attributes, would see a change where there is none), and strings may
-- hold NUL (jsonb refuses \u0000). The store never queries inside `data`, so jsonb's operators
-- and GIN indexes are not needed; json is also cheaper to write (validated, not converted) and
-- to read. `->`/`->>` still work on json for ad-hoc SQL.
CREATE TABLE records (
  collection text NOT NULL,
  partition text NOT NULL,
  id text NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  data json NOT NULL,
  written_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (collection, partition, id)
);

-- list (keyset pages by seq within a partition) and newestFirst (seq DESC).
CREATE INDEX records_order ON records (collection, partition, seq);
-- newestFirst across the partitions of a collection, and retention (`dropArchivedBefore` finds
-- the first record written after the cutoff from the oldest, then deletes the ones before it).
CREATE INDEX records_collection_order ON records (collection, seq);

-- Secondary index entries: record (collection, partition, id) is found under `value` in index
-- `name`. Written by the store from the JavaScript `keysOf` of each index as records change.
CREATE TABLE index_entries (
  name text NOT NULL,
  value text NOT NULL,
  collection text NOT NULL,
  partition text NOT NULL,
  id text NOT NULL,
  PRIMARY KEY (name, value, collection, partition, id)
);
-- upkeep: the entries of one record, when it is replaced or deleted.
CREATE INDEX index_entries_record ON index_entries (collection, partition, id);

-- Which definition each index was built with (a hash of its collection and `keysOf` source): an
-- index defined with a new or changed definition is rebuilt from the records.
CREATE TABLE index_definitions (
  name text PRIMARY KEY,
  collection text NOT NULL,
  definition_hash text NOT NULL,
  built_at timestamptz NOT NULL DEFAULT now()
);
