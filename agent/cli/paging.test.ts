/**
 * fetchPages follows the members list's cursor (`next` a string, sent back as `after`) as it
 * follows the audit log's (`next` a number, sent back as `before`): pages read by offset repeat a
 * row when the list grows between two requests (`hubwarden members --limit 1000` during a check
 * for updates).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AdminClient } from './admin-client.ts';
import { fetchPages } from './paging.ts';

test('a string `next` is followed as `after` at offset 0; a page without `next` ends the list', async () => {
  const rows = Array.from({ length: 700 }, (_, i) => `r${String(i).padStart(3, '0')}`);
  const asked: string[] = [];
  const client = {
    async get(path: string) {
      const q = new URL(path, 'http://x').searchParams;
      asked.push(q.toString());
      const after = q.get('after');
      const start = after === null ? Number(q.get('offset')) : rows.indexOf(after) + 1 + Number(q.get('offset'));
      const items = rows.slice(start, start + Number(q.get('limit'))).map((id) => ({ id }));
      // A row sorted first arrives after each answer: an offset page would repeat one.
      rows.unshift(`a${asked.length}`);
      const more = start + items.length < rows.length - 1;
      return { total: rows.length - 1, items, ...(more ? { next: items.at(-1)!.id } : {}) };
    },
  } as unknown as AdminClient;
  const page = await fetchPages<{ id: string }>(client, '/hubs/h/members', new URLSearchParams(), 1000);
  const ids = page.items.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length, 'no row twice');
  assert.deepEqual(ids, Array.from({ length: 700 }, (_, i) => `r${String(i).padStart(3, '0')}`));
  assert.match(asked[1], /offset=0&after=r499/);
});
