/**
 * The world of the seat-holder tests (report-holder-*, approval-, removal- and match-holder-race): a
 * Meta hub with owners, managers and report confirmation, the dashboard's routes over the real
 * agent, and the seat the tests start from. The agent the dashboard sees runs `atApply` once when
 * an apply, an approval decision, a removal, a match, an un-match or an exemption's change reaches
 * it, before the agent's own transaction (the race tests commit a re-match there).
 */
import { after, before } from 'node:test';
import { SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import type { AgentApi } from '../../agent/api.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { SessionStore } from '../../scim-server/web/session-store.ts';
import { dashboardCaller, dashboardConfig, serveDashboard } from '../../scim-server/web/web-fixtures.ts';
import type { TestServer } from '../admin/test-server.ts';
import { checkForUpdates, until, type Harness } from './harness.ts';
import { startWorld } from './audit-completeness-fixtures.ts';
import { HUB } from './harness.ts';

export interface ReportHolderWorld {
  readonly h: Harness;
  readonly sessions: SessionStore;
  readonly call: ReturnType<typeof dashboardCaller>;
  /** Whether the emulator still has this member (their seat). */
  inMeta(memberId: string): boolean;
  /** Runs once when the dashboard's next apply (or approval decision, removal, match, un-match, exempt or unexempt) reaches the agent. */
  atApply: (() => Promise<void>) | undefined;
}

export const admin = { type: 'admin' as const, actor: 'boss@acme.example' };

/**
 * Starts the world before the file's tests and closes it after; `name` names the config. `safety`:
 * the hub's (default: removals wait in a report; a brake of 1% holds them in an approval instead).
 */
export function reportHolderWorld(name: string, safety = '{ settleSeconds: 1, removalThresholdPercent: 50, confirmDeprovisioning: true }'): ReportHolderWorld {
  const config = dashboardConfig(name, `
  - id: ${HUB}
    connector: meta-business
    meta: { businessId: "${SANDBOX.businessId}", accessToken: env:META_TOKEN }
    teams:
      - { group: Meta Advertisers, appRole: EMPLOYEE }
      - { group: Meta Admins, hubRole: owner, appRole: ADMIN }
      - { group: Meta Managers, hubRole: manager, appRole: EMPLOYEE }
    safety: ${safety}
`);
  let h: Harness | undefined;
  let server: TestServer | undefined;
  const world: ReportHolderWorld = {
    get h() { return h!; },
    sessions: new SessionStore(new MemoryStore()),
    call: dashboardCaller(() => server!),
    inMeta: (id) => h!.emulator.control.state().users.some((u) => u.id === id),
    atApply: undefined,
  };
  before(async () => {
    h = await startWorld({}, config.file);
    const api = h.agent.api;
    const agent: AgentApi = new Proxy(api, {
      get(target, prop, receiver) {
        if (prop === 'applyReport' || prop === 'decideApproval' || prop === 'removeMember' || prop === 'matchMember' || prop === 'unmatchMember' || prop === 'exemptMember' || prop === 'unexemptMember') {
          return async (...args: unknown[]) => {
            const hook = world.atApply;
            world.atApply = undefined;
            await hook?.();
            return (target[prop] as (...a: unknown[]) => Promise<unknown>)(...args);
          };
        }
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    server = await serveDashboard({ config, agent, store: h.store, sessions: world.sessions });
  });
  after(async () => {
    await server?.close();
    await h?.close();
  });
  return world;
}

/**
 * Nina's invite accepted under oscar@example.com (Meta lets the invited person accept with another
 * account): the seat carries that address and is matched to Nina, whose invite it was. Max manages
 * the hub. Returns the seat's member id.
 */
export async function ninaSeatUnderOscarsAddress(h: Harness): Promise<string> {
  await h.directory.createUser('u-nina', 'nina@example.com');
  await h.directory.patchGroup('Meta Advertisers', ['u-nina']);
  const invite = await until('the invite of nina@example.com', () => h.emulator.control.state().invites.find((i) => i.email === 'nina@example.com' && i.status === 'PENDING'));
  const { memberId: seat } = h.emulator.control.acceptInvite(invite.id, { email: 'oscar@example.com' });
  await checkForUpdates(h);
  await h.directory.createUser('u-max', 'max@example.com');
  await h.directory.patchGroup('Meta Managers', ['u-max']);
  return seat;
}
