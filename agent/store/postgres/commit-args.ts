/**
 * How a commit's arrays travel to `commit_writes` (migrations/006-known-absent-inserts.sql): one
 * text parameter per array, unpacked by the database.
 *
 * node-postgres writes a text[] parameter element by element in JavaScript (escaping each), which
 * was 1.3 s of the Node process's CPU for a first check's 35,000-record commit, so each array goes
 * as one text. Two forms:
 * - JSON (`json_array_elements_text`), for any value: what the read checks and the locks always
 *   use (they hold NULLs and empty strings), and every array when a value holds a line break;
 * - lines (`string_to_array(text, E'\n')`), for the writes' arrays when no value holds a line
 *   break: the database splits them without parsing JSON or sorting by position. Unpacking one
 *   35,000-value array took 18 ms as JSON and 3 ms as lines (psql, PostgreSQL 15), and a first
 *   check's commit unpacks twelve such arrays. A record's JSON never holds a raw line break
 *   (JSON.stringify escapes control characters: https://tc39.es/ecma262/#sec-quotejsonstring),
 *   so only keys and index values are looked at.
 * string_to_array('') is the empty array
 * (https://www.postgresql.org/docs/current/functions-array.html), so an array of one empty string
 * goes as JSON too.
 */

/** The argument types of `commit_writes`, in order: lock_*, ck_*, del_*, ups_* and ups_new, t_*, names, k_* and k_new, x_*. */
const TYPES = ['bigint', 'boolean', ...Array(12).fill('text'), 'boolean', 'text', 'text', 'text', 'boolean', ...Array(6).fill('text'), 'boolean', ...Array(5).fill('text')] as const;
/** The first argument that may go as lines (del_c): the locks and read checks before it always go as JSON. */
const FIRST_WRITE = 7;
/** ups_j: records' JSON text, which never holds a raw line break. */
const RECORDS = 13;

export interface CommitCalls {
  json: string;
  lines: string;
}

/** The two statements that call `commit_writes` in `schema` (`schema` already quoted). */
export function commitCallsFor(quotedSchema: string): CommitCalls {
  const json = (t: string, n: number) => `ARRAY(SELECT e.v::${t} FROM json_array_elements_text($${n}::json) WITH ORDINALITY AS e(v, o) ORDER BY e.o)`;
  const lines = (t: string, n: number) => (t === 'text' ? `string_to_array($${n}, E'\\n')` : `string_to_array($${n}, E'\\n')::${t}[]`);
  const call = (form: (t: string, n: number, i: number) => string) => `SELECT collection, partition, id FROM ${quotedSchema}.commit_writes(${TYPES.map((t, i) => form(t, i + 1, i)).join(', ')})`;
  return { json: call(json), lines: call((t, n, i) => (i < FIRST_WRITE ? json(t, n) : lines(t, n))) };
}

/** The statement to use and its parameters, for the arrays in `commit_writes` order. */
export function commitParams(calls: CommitCalls, arrays: readonly unknown[][]): { text: string; values: string[] } {
  const asLines = arrays.every((a, i) => i < FIRST_WRITE || i === RECORDS || fitsLines(a));
  return {
    text: asLines ? calls.lines : calls.json,
    values: arrays.map((a, i) => (asLines && i >= FIRST_WRITE ? lineText(a) : JSON.stringify(a))),
  };
}

function fitsLines(values: readonly unknown[]): boolean {
  if (values.length === 1 && values[0] === '') return false;
  for (const v of values) if (typeof v === 'string' && v.includes('\n')) return false;
  return true;
}

/** Booleans as PostgreSQL reads them (`t`/`f`), strings as they are, one per line. */
function lineText(values: readonly unknown[]): string {
  return values.map((v) => (v === true ? 't' : v === false ? 'f' : String(v))).join('\n');
}
