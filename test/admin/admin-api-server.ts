import { after, before } from 'node:test';
import { createAdminRouter } from '../../scim-server/admin/router.ts';
import { FakeAgent } from './fake-agent.ts';
import { serveRouters, testConfig, type TestServer } from './test-server.ts';

/**
 * The admin API (/api/v1) over a FakeAgent on a port of its own for the enclosing describe block
 * (call it there), so the admin API and CLI test files share one start and stop. `agent` is made
 * at once; `url` is there from the block's first test on.
 */
export function listeningAdminApi(): { readonly agent: FakeAgent; readonly url: string } {
  const agent = new FakeAgent();
  let server: TestServer | undefined;
  before(async () => {
    server = await serveRouters([['/api/v1', createAdminRouter({ config: testConfig(), agent })]]);
  });
  after(() => server?.close());
  return {
    agent,
    get url() {
      if (!server) throw new Error('listeningAdminApi: url read outside a test of its describe block');
      return server.url;
    },
  };
}
