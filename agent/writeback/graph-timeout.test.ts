import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGraphClient } from './graph-client.ts';

/**
 * A Graph or token endpoint that takes the request and never answers (a black-holed proxy): the
 * attempt gives up after `attemptTimeoutMs`, instead of holding the write-back run for good.
 */
test('graph client: a token endpoint or a Graph call that never answers fails after the attempt timeout', { timeout: 10_000 }, async () => {
  const held: ServerResponse[] = [];
  let tokenOk = false;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.endsWith('/oauth2/v2.0/token') && tokenOk) {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ access_token: 'tok', expires_in: 3600 }));
      return;
    }
    held.push(res); // never answered
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const settings = { tenantId: 't', clientId: 'c', clientSecret: () => 's', graphBaseUrl: url, authorityUrl: url, retry: { maxRetries: 0 }, attemptTimeoutMs: 300 };
  try {
    const started = Date.now();
    await assert.rejects(createGraphClient(settings).client.api('/users/x').get(), /abort|timeout/i, 'the token request');
    assert.ok(Date.now() - started < 5_000, `gave up after ${Date.now() - started} ms`);
    tokenOk = true;
    const again = Date.now();
    await assert.rejects(createGraphClient(settings).client.api('/users/x').get(), /abort|timeout/i, 'the Graph call');
    assert.ok(Date.now() - again < 5_000, `gave up after ${Date.now() - again} ms`);
  } finally {
    for (const res of held) res.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
