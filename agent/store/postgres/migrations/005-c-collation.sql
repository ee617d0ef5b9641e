-- The store's keys compare byte by byte (the "C" collation), whatever the database's locale.
--
-- 001 declared the key columns plain `text`, so they took the database's collation: on a
-- database created with a locale (en_US.UTF-8, C.UTF-8 from glibc) every B-tree comparison of the
-- primary keys and of the index entries went through strcoll(). A `perf` profile of PostgreSQL
-- during the SCIM import's group PATCHes put up to a sixth of its CPU in those comparisons
-- (_bt_compare, varstr_cmp, strcoll_l). Keys are the store's own text (collection names, encoded
-- partition and id, index values): only equality and a stable order matter, and "C" gives both at
-- memcmp cost, the same order on every deployment (code point order, as JavaScript sorts these
-- strings; `partitions()` returns them sorted).
-- Collation support: https://www.postgresql.org/docs/current/collation.html
--
-- Changing only the collation does not rewrite the tables (text to text is binary coercible) but
-- rebuilds their indexes, under an exclusive lock: measured 8.8 s for 1,000,000 records and
-- 2,000,000 index entries on the 2-core test machine. Queries keep using the indexes: a column's
-- collation wins over a parameter's default one
-- (https://www.postgresql.org/docs/current/collation.html#COLLATION-CONCEPTS).
ALTER TABLE records
  ALTER COLUMN collection TYPE text COLLATE "C",
  ALTER COLUMN partition TYPE text COLLATE "C",
  ALTER COLUMN id TYPE text COLLATE "C";
ALTER TABLE index_entries
  ALTER COLUMN name TYPE text COLLATE "C",
  ALTER COLUMN value TYPE text COLLATE "C",
  ALTER COLUMN collection TYPE text COLLATE "C",
  ALTER COLUMN partition TYPE text COLLATE "C",
  ALTER COLUMN id TYPE text COLLATE "C";
