import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configSchema } from './schema.ts';

/**
 * A hub is one business in one app. Two hubs on one business each planned its seats from their
 * own directory alone: Jane, in hub sales' Sales group and hub brand's Brand group, lost her seat
 * when she left Brand (hub brand removed it, "in no mapped group") though hub sales grants it, and
 * each hub's removal threshold judged only its own share of the one business. Refused in config.
 */
const meta = (id: string, businessId: string, graphBaseUrl?: string) => ({ id, connector: 'meta-business', meta: { businessId, ...(graphBaseUrl ? { graphBaseUrl } : {}) } });
const tiktok = (id: string, businessCenterId: string) => ({ id, connector: 'tiktok-business', tiktok: { businessCenterId } });
const problems = (hubs: object[]) => {
  const r = configSchema.safeParse({ hubs });
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

test('two hubs on one business are refused, naming the first hub', () => {
  assert.deepEqual(problems([meta('sales', '1000000000000001'), meta('brand', '1000000000000001')]),
    ['hubs.1.meta: names the same business as hub "sales": a hub is one business, and two hubs on one would each remove the seats the other grants; map both hubs\' groups as teams of one hub']);
  assert.equal(problems([meta('a', '1', 'sandbox'), meta('b', '1', 'sandbox')]).length, 1, 'the one built-in sandbox');
  assert.equal(problems([tiktok('a', '7000000000000000001'), tiktok('b', '7000000000000000001')]).length, 1);
});

test('hubs on different businesses, or on the same id behind another API base URL (two emulators), are fine', () => {
  assert.deepEqual(problems([meta('a', '1'), meta('b', '2')]), []);
  assert.deepEqual(problems([meta('a', '1', 'http://127.0.0.1:9001'), meta('b', '1', 'http://127.0.0.1:9002')]), []);
  assert.deepEqual(problems([meta('a', '7000000000000000001'), tiktok('b', '7000000000000000001')]), []);
});
