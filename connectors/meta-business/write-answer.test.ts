import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpClient } from '../sdk/http.ts';
import { RateLimitBook } from '../sdk/rate-limit-book.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import { GraphClient } from './graph-client.ts';
import { WriteBatcher } from './write-batcher.ts';

/**
 * A write is answered `{"id": …}` (created) or `{"success": true}` (updated, associated, deleted),
 * an empty 200 counting as success (https://developers.facebook.com/docs/graph-api/reference;
 * Meta's Python SDK FacebookResponse.is_success, which also reads any body with an `error` key as
 * a failure). Anything else is no proof the change was made: unavailable, outcome unknown.
 */
const ctx = { what: 'meta-business: write', businessId: '100' };
const json = { 'content-type': 'application/json' };

function client(answer: (url: URL, init?: RequestInit) => Response): { graph: GraphClient; sent: string[] } {
  const sent: string[] = [];
  const fetchFn = (async (input: URL | RequestInfo, init?: RequestInit) => {
    const url = new URL(String(input));
    sent.push(init?.method === 'POST' && url.pathname === '/v25.0/' ? `batch ${new URLSearchParams(String(init.body)).get('batch')}` : `${init?.method} ${url.pathname}`);
    return answer(url, init);
  }) as typeof fetch;
  const http = new HttpClient({ baseUrl: 'http://127.0.0.1:9', fetch: fetchFn, secrets: () => ['tok-1234'] });
  return { graph: new GraphClient({ http, version: 'v25.0', token: 'tok-1234', businessId: '100', book: new RateLimitBook(), sleep: async () => {} }), sent };
}

const refusedUnknown = (e: unknown) => e instanceof ConnectorError && e.kind !== 'rate-limited' && !e.notApplied;

describe('a single write answered', () => {
  const refused: Array<[string, string]> = [
    ['an `error` that is no envelope', '{"error":"Something went wrong"}'],
    ['an `error` of null', '{"error":null}'],
    ['"success": "false"', '{"success":"false"}'],
    ['"success": null', '{"success":null}'],
    ['text that is no JSON', '<html>OK</html>'],
    ['a list', '[]'],
    ['a bare true', 'true'],
    ['an empty object', '{}'],
    ['an empty id', '{"id":""}'],
  ];
  for (const [name, body] of refused) {
    test(`${name} is not taken for the change made`, async () => {
      const { graph } = client(() => new Response(body, { status: 200, headers: json }));
      await assert.rejects(graph.call('POST', '555', { role: 'EMPLOYEE' }, ctx), refusedUnknown);
      await assert.rejects(graph.call('DELETE', 'act_1/assigned_users', { user: '7' }, ctx), refusedUnknown);
    });
  }
  test('{"success": true}, an id and an empty 200 are made', async () => {
    for (const body of ['{"success":true}', '{"id":"123"}', '{"id":123}', '', '{"success":true,"requires_admin_approval":true}']) {
      const { graph } = client(() => new Response(body, { status: 200, headers: json }));
      await graph.call('POST', '555', { role: 'EMPLOYEE' }, ctx);
    }
  });
});

describe('a write inside a batch answered', () => {
  /** Two invites batched; the first op answered `first` (an element of the batch answer), the second `{"id":"2"}`. */
  async function twoInvites(first: unknown): Promise<[PromiseSettledResult<unknown>, PromiseSettledResult<unknown>]> {
    const { graph } = client(() => new Response(JSON.stringify([first, { code: 200, body: '{"id":"2"}' }]), { status: 200, headers: json }));
    const writes = new WriteBatcher(graph);
    const invite = (email: string) => writes.post('100/business_users', { email, role: 'EMPLOYEE' }, { ...ctx, isInvite: true });
    return (await Promise.allSettled([invite('a@example.com'), invite('b@example.com')])) as [PromiseSettledResult<unknown>, PromiseSettledResult<unknown>];
  }
  const elements: Array<[string, unknown]> = [
    ['an element that is no object', 'done'],
    ['an element without a code', { body: '{"id":"1"}' }],
    ['a code that is no number', { code: '200', body: '{"id":"1"}' }],
    ['a body that is no JSON', { code: 200, body: '<html>' }],
    ['a redirect', { code: 302, body: '{"id":"1"}' }],
    ['an `error` that is no envelope', { code: 200, body: '{"error":"x"}' }],
  ];
  for (const [name, element] of elements) {
    test(`${name}: that invite's outcome is unknown, the other is made`, async () => {
      const [a, b] = await twoInvites(element);
      assert.equal(a.status, 'rejected');
      assert.ok(refusedUnknown((a as PromiseRejectedResult).reason), String((a as PromiseRejectedResult).reason));
      assert.deepEqual((b as PromiseFulfilledResult<unknown>).value, { id: '2' });
    });
  }
  test('an element with an id is made', async () => {
    const [a] = await twoInvites({ code: 200, body: '{"id":"1"}' });
    assert.deepEqual((a as PromiseFulfilledResult<unknown>).value, { id: '1' });
  });
});

describe('a read op failing transiently inside a batch', () => {
  test('is sent again in the next round when the error table reads it as unavailable (is_transient, 2), not when it is a refusal or the app-level limit 341', async () => {
    let round = 0;
    const { graph, sent } = client(() => {
      round++;
      const transient = (code: number, extra = {}) => ({ code: 400, body: JSON.stringify({ error: { message: `(#${code}) x`, type: 'OAuthException', code, fbtrace_id: 't', ...extra } }) });
      const page = { code: 200, body: '{"data":[]}' };
      return new Response(JSON.stringify(round === 1 ? [transient(9007, { is_transient: true }), transient(2), transient(100), transient(341)] : [page, page]), { status: 200, headers: json });
    });
    const results = await graph.batch(['act_1', 'act_2', 'act_3', 'act_4'].map((a) => ({ method: 'GET' as const, relativeUrl: `${a}/assigned_users?business=100` })), ctx);
    assert.deepEqual(results.map((r) => r.status), [200, 200, 400, 400]);
    assert.equal(sent.length, 2);
    assert.deepEqual((JSON.parse(sent[1]!.slice('batch '.length)) as Array<{ relative_url: string }>).map((o) => o.relative_url.split('/')[0]), ['act_1', 'act_2']);
  });
});
