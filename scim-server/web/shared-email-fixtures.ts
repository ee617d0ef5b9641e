import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { MemberView } from '../../agent/api.ts';
import type { DirectoryUserRecord } from '../../agent/desired-state/directory-records.ts';
import { accessStore, directoryGroup, directoryUser, seedDirectory } from '../../agent/access/directory-fixtures.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect } from '../../agent/store/store.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import type { TestServer } from '../../test/admin/test-server.ts';
import { SessionStore } from './session-store.ts';
import { dashboardCaller, rankedHubConfig, serveDashboard, signedIn } from './web-fixtures.ts';

/** The hub of the shared-email rank tests, and the email its manager and owner share. */
export const HUB = 'acme-ads';
export const SHARED_EMAIL = 'desk@acme.example';

const row = (id: string, email: string, directoryUserId: string, appRole: string): MemberView =>
  ({ hubId: HUB, id, status: 'onboarded', email, appRole, assets: [], grantedBy: [], kind: 'member', directoryUserId });

/**
 * Mia (a manager, u-mia, IdP id 00u-mia) and Owen (an owner, u-owen, 00u-owen, with `owen` added
 * to his directory user: suspended, say), both sent with desk@acme.example; each has a seat under a
 * private address (m-mia, m-owen), matched to them. Registers the suite's before/after hooks; call
 * inside a `describe`.
 */
export function sharedEmailDashboard(name: string, owen: Partial<DirectoryUserRecord> = {}) {
  const config = rankedHubConfig(name);
  const sessions = new SessionStore(new MemoryStore());
  const s = { config, server: undefined as unknown as TestServer, agent: undefined as unknown as FakeAgent, store: undefined as unknown as MemoryStore };
  const call = dashboardCaller(() => s.server);
  before(async () => {
    s.agent = new FakeAgent();
    s.agent.membersByHub.get(HUB)!.push(row('m-mia', 'mia@gmail.example', 'u-mia', 'EMPLOYEE'), row('m-owen', 'owen@gmail.example', 'u-owen', 'ADMIN'));
    s.store = await accessStore();
    await seedDirectory(s.store, [
      directoryUser(HUB, 'u-mia', [SHARED_EMAIL], { externalId: '00u-mia', userName: 'mia@idp.example' }),
      directoryUser(HUB, 'u-owen', [SHARED_EMAIL], { externalId: '00u-owen', userName: 'owen@idp.example', ...owen }),
    ], [directoryGroup(HUB, 'g-owners', 'Acme Owners', ['u-owen']), directoryGroup(HUB, 'g-managers', 'Acme Managers', ['u-mia'])]);
    s.server = await serveDashboard({ config, agent: s.agent, store: s.store, sessions });
  });
  after(() => s.server.close());
  return Object.assign(s, {
    /** The agent's removeMember calls so far. */
    removals: () => s.agent.calls.filter((c) => c.method === 'removeMember'),
    /** Removes `memberId` from the dashboard, signed in with the shared email and these IdP ids. */
    remove: async (idpUserIds: string[], memberId: string) =>
      call(await signedIn(sessions, SHARED_EMAIL, { idpUserIds }), 'POST', `/ui/api/v1/hubs/${HUB}/members/${memberId}/remove`),
  });
}

/**
 * Signed in as Mia (the sign-in names 00u-mia): removing Owen's seat is refused (403, nothing
 * reaches the agent, audited `failed` naming his seat and user), and her own seat stays hers to
 * give up. The suites with and without a suspended Owen assert the same.
 */
export async function managerKeepsOffOwnersSeat(t: ReturnType<typeof sharedEmailDashboard>): Promise<void> {
  t.agent.calls.length = 0;
  const res = await t.remove(['00u-mia'], 'm-owen');
  assert.equal(res.status, 403);
  assert.match(((await res.json()) as { detail: string }).detail, /a manager cannot remove the seat of an owner/);
  assert.deepEqual(t.removals(), [], 'nothing reached the agent');
  const audited = (await collect(t.store.list('audit', HUB))).filter((e) => e.action === 'remove-member' && e.outcome === 'failed');
  assert.deepEqual(audited.map((e) => [e.subject?.memberId, e.subject?.directoryUserId]), [['m-owen', 'u-owen']]);
  assert.equal((await t.remove(['00u-mia'], 'm-mia')).status, 202, 'her own seat stays hers to give up');
  assert.deepEqual(t.removals().map((c) => c.args[1]), ['m-mia']);
}
