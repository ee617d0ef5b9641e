import { listeningForSuite } from '../../connectors/sdk/test-listening.ts';
import { createAdminRouter } from '../../scim-server/admin/router.ts';
import { FakeAgent } from './fake-agent.ts';
import { serveRouters, testConfig } from './test-server.ts';

/**
 * The admin API (/api/v1) over a FakeAgent on a port of its own for the enclosing describe block
 * (call it there), so the admin API and CLI test files share one start and stop. `agent` is made
 * at once; `url` is there from the block's first test on.
 */
export function listeningAdminApi(): { readonly agent: FakeAgent; readonly url: string } {
  const agent = new FakeAgent();
  return Object.assign(listeningForSuite(() => serveRouters([['/api/v1', createAdminRouter({ config: testConfig(), agent })]])), { agent });
}
