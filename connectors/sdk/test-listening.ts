import { after, before } from 'node:test';

/**
 * A server for the enclosing describe block (call it there): `start` runs before its first test and
 * the server it gives is closed after its last, so test helpers that serve an emulator or an API
 * share one start and stop. `url` is there from the block's first test on.
 */
export function listeningForSuite(start: () => Promise<{ url: string; close(): Promise<void> }>): { readonly url: string } {
  let server: { url: string; close(): Promise<void> } | undefined;
  before(async () => {
    server = await start();
  });
  after(() => server?.close());
  return {
    get url() {
      if (!server) throw new Error('listeningForSuite: url read outside a test of its describe block');
      return server.url;
    },
  };
}
