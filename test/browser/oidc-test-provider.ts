/**
 * A real OpenID Provider for the browser tests (the `oidc-provider` package with its own login
 * and consent pages), on 127.0.0.1 and a free port. Any login name signs in; the account's
 * claims (email, groups) come from `accounts`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

export interface TestAccount { email: string; groups: string[] }

export interface TestProvider {
  issuer: string;
  close(): Promise<void>;
}

export async function startOidcProvider(o: { clientId: string; clientSecret: string; redirectUri: string; accounts: Record<string, TestAccount> }): Promise<TestProvider> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const provider = new Provider(issuer, {
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'browser-test', alg: 'RS256', use: 'sig' }] },
    clients: [{
      client_id: o.clientId, client_secret: o.clientSecret, redirect_uris: [o.redirectUri],
      response_types: ['code'], grant_types: ['authorization_code'], token_endpoint_auth_method: 'client_secret_basic',
    }],
    // PKCE is required for every client, not only public ones (RFC 9700 §2.1.1).
    pkce: { required: () => true },
    scopes: ['openid', 'email', 'profile', 'groups'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['browser-test-cookie-key-0123456789'] },
    async findAccount(_ctx, id) {
      const account = o.accounts[id];
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, email: account.email, email_verified: true, name: id, groups: account.groups }) };
    },
  });
  server.on('request', provider.callback());
  return {
    issuer,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
