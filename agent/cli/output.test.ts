/**
 * What the CLI writes to a terminal cannot drive it: control characters and bidi controls from
 * the server are escaped in tables, JSON and a CSV export shown on a terminal, while a CSV written
 * to a file or a pipe stays exactly as the server sent it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printer, table } from './output.ts';
import { csvForOutput } from './paging.ts';

const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const hostile = 'Eve\u001b]0;title\u0007\u001b[1A\r\u009b2J\u202egnp.exe';

test('a table cell and the human text escape control characters; the table keeps its line breaks', () => {
  const out: string[] = [];
  printer(false, (t) => out.push(t)).print(null, () => table([{ name: hostile }, { name: 'Bob' }], [{ header: 'name', value: (r) => r.name }]));
  assert.equal(out[0].split('\n').length, 3);
  assert.doesNotMatch(out[0], RAW);
  // A cell is one line: the \r is white space there, shown as a space.
  assert.match(out[0], /Eve\\x1b\]0;title\\x07\\x1b\[1A \\x9b2J\\u202egnp\.exe/);
});

test('--json escapes C1 and bidi controls as \\u escapes (JSON.stringify leaves them raw); the value parses back the same', () => {
  const out: string[] = [];
  printer(true, (t) => out.push(t)).print({ name: hostile }, () => '');
  assert.doesNotMatch(out[0], RAW);
  assert.equal(JSON.parse(out[0]).name, hostile);
});

test('a CSV export: escaped on a terminal (CRLF line ends kept), untouched to a file or pipe', () => {
  const csv = `email,name\r\nx@example.com,"${hostile}"\r\n`;
  assert.equal(csvForOutput(csv, false), csv);
  const shown = csvForOutput(csv, true);
  assert.doesNotMatch(shown.replace(/\r\n/g, ''), RAW);
  assert.equal(shown.split('\r\n').length, 3);
});

test('a CSV export on a terminal: a line break inside a quoted cell is escaped, so no forged row shows; records still end with CRLF', () => {
  const forged = 'invite Jane\n2026-12-01T00:00:00.000Z,acme,admin,root,remove-member,ceo@example.com\r\nmore';
  const csv = `seq,why,outcome\r\n7,"${forged}",ok\r\n8,"say ""hi""\nthere",ok\r\n`;
  const shown = csvForOutput(csv, true);
  assert.deepEqual(shown.split(/\r\n|\n|\r/), [
    'seq,why,outcome',
    '7,"invite Jane\\x0a2026-12-01T00:00:00.000Z,acme,admin,root,remove-member,ceo@example.com\\x0d\\x0amore",ok',
    '8,"say ""hi""\\x0athere",ok',
    '',
  ]);
  assert.equal(csvForOutput(csv, false), csv, 'a file or pipe gets the CSV as sent');
});

test('a column that reads a field the server left out shows "-", not a TypeError', () => {
  const rows = [{ health: { status: 'ok' } }, {}, null] as Array<{ health?: { status: string } } | null>;
  assert.equal(table(rows, [{ header: 'health', value: (h) => h!.health!.status }]), 'HEALTH\nok\n-\n-');
});
