import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGraphClient } from './graph-client.ts';

/**
 * The token is asked for the Graph the client calls: a national cloud's Graph refuses a token
 * whose audience is the global service (https://learn.microsoft.com/graph/deployments).
 */
async function scopeAsked(graphBaseUrl: string): Promise<string | null> {
  let scope: string | null = null;
  const fake: typeof fetch = async (_url, init) => {
    scope = new URLSearchParams(String(init?.body)).get('scope');
    return new Response(JSON.stringify({ error: 'invalid_client', error_description: 'stop here' }), { status: 401, headers: { 'content-type': 'application/json' } });
  };
  const { auth } = createGraphClient({ tenantId: 't', clientId: 'c', clientSecret: () => 's', graphBaseUrl, authorityUrl: 'https://login.example', fetch: fake });
  await assert.rejects(auth.token(), /invalid_client/);
  return scope;
}

test('graph client: a national cloud Graph gets a token for itself, any other base URL one for the global Graph', async () => {
  assert.equal(await scopeAsked('https://graph.microsoft.us'), 'https://graph.microsoft.us/.default');
  assert.equal(await scopeAsked('https://dod-graph.microsoft.us/'), 'https://dod-graph.microsoft.us/.default');
  assert.equal(await scopeAsked('https://microsoftgraph.chinacloudapi.cn'), 'https://microsoftgraph.chinacloudapi.cn/.default');
  assert.equal(await scopeAsked('https://graph.microsoft.com'), 'https://graph.microsoft.com/.default');
  // A proxy or an emulator in front of the global service: the global audience, as before.
  assert.equal(await scopeAsked('http://127.0.0.1:4567'), 'https://graph.microsoft.com/.default');
});
