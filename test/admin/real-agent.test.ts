/**
 * The admin REST API and the Okta event hook over the REAL agent (agent/agent.ts with the member
 * service and the check-for-updates handler), the real Meta connector and the Meta emulator: the
 * surfaces work against the implementation, not only against the fake.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAgent, type Agent } from '../../agent/agent.ts';
import { createCheckForUpdatesHandler } from '../../agent/check-for-updates/handler.ts';
import { createHubConnector } from '../../agent/hub-connector.ts';
import { createMemberService, type MemberService } from '../../agent/members/member-service.ts';
import type { LoadedConfig } from '../../config/load.ts';
import { Secret } from '../../config/secret-ref.ts';
import { createMetaEmulator, SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { createAdminRouter } from '../../scim-server/admin/router.ts';
import { createOktaHookRouter, type HookRouter } from '../../scim-server/hooks/okta.ts';
import { createEntraLifecycleRouter } from '../../scim-server/hooks/entra-lifecycle.ts';
import { createGraphEmulator, type GraphEmulator } from '../emulators/graph/graph-emulator.ts';
import { HUB, hubConfig, seedDirectory } from '../check-for-updates-e2e/business.ts';
import { serveRouters, type TestServer } from './test-server.ts';
import { suiteStores } from '../suite-stores.ts';
import { until } from '../agent-e2e/harness.ts';
import { archiveFinishedTasks } from '../../agent/tasks/prune.ts';
import type { Store } from '../../agent/store/store.ts';
import { HookEventLog } from '../../scim-server/hooks/hook-events.ts';
import { RemovalDone } from '../../scim-server/admin/response-schemas.ts';
import { testKeyring } from '../test-keyring.ts';
import { adminTokensFrom } from '../../scim-server/admin/admin-tokens.ts';

/** Yesterday's date (`YYYY-MM-DDT`): events' `published` relative to the test's clock, since one older than a week is not acted on (okta-event.ts outOfWindow). */
const DAY = new Date(Date.now() - 86_400_000).toISOString().slice(0, 11);

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const ADMIN = 'real-agent-admin-token';
const HOOK = 'real-agent-hook-secret';

/** The e2e business config plus an admin token and an Okta event hook secret. */
const TENANT = 'tenant-real';
const RELAY = 'relay-app';

function withSurfaces(base: LoadedConfig, graphUrl: string): LoadedConfig {
  const extra: Record<string, Secret> = { 'env:ADMIN': new Secret(ADMIN, 'env:ADMIN'), 'env:HOOK': new Secret(HOOK, 'env:HOOK'), 'env:ENTRA': new Secret('entra-secret', 'env:ENTRA') };
  return {
    ...base,
    file: {
      ...base.file,
      server: { ...base.file.server, adminTokens: ['env:ADMIN'] },
      identityProviders: {
        okta: { kind: 'okta', orgUrl: 'https://acme.okta.example', eventHookSecret: 'env:HOOK' },
        entra: {
          kind: 'entra', tenantId: TENANT, clientId: 'hubwarden-app', clientSecret: 'env:ENTRA', extensionAppId: 'hubwarden-app',
          graphBaseUrl: graphUrl, authorityUrl: graphUrl, lifecycleWorkflows: { allowedAppIds: [RELAY], audience: 'api://hubwarden', actions: {} },
        },
      },
    },
    secretRefs: [...base.secretRefs, ...Object.keys(extra)],
    secret: (ref) => extra[ref] ?? base.secret(ref),
  };
}

// On the memory store and on PostgreSQL (test/suite-stores.ts).
for (const kind of await suiteStores('memory', 'postgres')) {
  describe(`admin API and Okta hook over the real agent (${kind.kind})`, { skip: kind.skip }, () => {
    let server: TestServer;
    let agent: Agent;
    let service: MemberService;
    let hook: HookRouter;
    let closeEmulator: () => Promise<void>;
    let graph: GraphEmulator;
    let closeGraph: () => Promise<void>;
    let entra: ReturnType<typeof createEntraLifecycleRouter>;
    let dispose: () => Promise<void>;
    let store: Store;
    let config: LoadedConfig;

    before(async () => {
      const emulator = createMetaEmulator();
      const listening = await emulator.listen(0);
      closeEmulator = listening.close;
      graph = createGraphEmulator({ tenantId: TENANT, clientId: 'hubwarden-app', clientSecret: 'entra-secret' });
      const graphServer = await graph.listen();
      closeGraph = graphServer.close;
      config = withSurfaces(hubConfig(listening.url), graphServer.url);
      const opened = await kind.open();
      store = opened.store;
      dispose = opened.dispose;
      await seedDirectory(store);
      const connector = createHubConnector(config.file.hubs[0], config, { log: silent });
      service = createMemberService({ config, store, log: silent });
      agent = createAgent({
        config, store, connectorFor: () => connector, log: silent, members: service, auditFile: false,
        handlers: [createCheckForUpdatesHandler()], runner: { backoffBaseMs: 20, backoffMaxMs: 200, leaseMs: 2_000 },
      });
      await agent.start();
      hook = createOktaHookRouter({ config, agent: agent.api, store });
      entra = createEntraLifecycleRouter({ config, agent: agent.api, store, pollIntervalMs: 20 });
      server = await serveRouters([['/api/v1', createAdminRouter({ config, agent: agent.api, adminTokens: adminTokensFrom(config, testKeyring()) })], ['/hooks', hook], ['/hooks', entra]]);
    });
    after(async () => {
      entra.stop();
      await server.close();
      await closeGraph();
      await agent.stop(500);
      service.close();
      await closeEmulator();
      await dispose();
    });

    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${server.url}/api/v1${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', ...init.headers } });

    test('check for updates over REST: 202, poll the task to completed, then members by status', async () => {
      const res = await api(`/hubs/${HUB}/check-for-updates`, { method: 'POST' });
      assert.equal(res.status, 202);
      const { taskId } = await res.json();
      assert.equal(res.headers.get('location'), `/api/v1/tasks/${taskId}`);
      const task = await until('check for updates', async () => {
        const t = await (await api(`/tasks/${taskId}`)).json();
        return ['completed', 'failed'].includes(t.status) ? t : undefined;
      }, 15_000);
      assert.equal(task.status, 'completed', JSON.stringify(task.lastError));
      assert.deepEqual(task.trigger, { type: 'admin', actor: task.trigger.actor });
      assert.match(task.trigger.actor, /^admin-token:[0-9a-f]{6}$/);

      const unmatched = await (await api(`/hubs/${HUB}/members?status=unmatched`)).json();
      assert.deepEqual(unmatched.items.map((m: { id: string }) => m.id), [SANDBOX.employees[2]]);
      const hub = await (await api(`/hubs/${HUB}`)).json();
      assert.equal(hub.health.lastCheckForUpdates.outcome, 'completed');
      assert.equal(hub.settings.meta.accessToken, '[secret env:META_TOKEN]');
    });

    test('bad input against the real agent: 404/400 problem details, never 500', async () => {
      const unknownMember = await api(`/hubs/${HUB}/members/no-such-member/exempt`, { method: 'POST', body: JSON.stringify({ reason: 'x' }) });
      assert.equal(unknownMember.status, 404);
      const unknownUser = await api(`/hubs/${HUB}/members/${SANDBOX.employees[2]}/match`, { method: 'POST', body: JSON.stringify({ directoryUserId: 'dir-nobody' }) });
      assert.ok([400, 404].includes(unknownUser.status), `status ${unknownUser.status}: ${await unknownUser.text()}`);
      assert.equal((await api('/tasks/no-such-task')).status, 404);
      assert.equal((await api('/reports/no-such-report/apply', { method: 'POST', body: '{}' })).status, 404);
      assert.equal((await api('/people/nobody%40example.com/reevaluate', { method: 'POST' })).status, 404);
    });

    test('a remove retried after its removal ran answers 200 already done with the task; an id never seen stays 404', async () => {
      const row = SANDBOX.employees[2];
      const first = await api(`/hubs/${HUB}/members/${row}/remove`, { method: 'POST' });
      assert.equal(first.status, 202, await first.clone().text());
      const { taskId } = await first.json();
      await until('the removal ran', async () => {
        const t = await (await api(`/tasks/${taskId}`)).json();
        return ['completed', 'failed'].includes(t.status) ? t : undefined;
      }, 15_000);
      assert.equal((await api(`/hubs/${HUB}/members/${row}`)).status, 404, 'the row left the members list');
      // The client lost the 202 and sends the call again.
      const retry = await api(`/hubs/${HUB}/members/${row}/remove`, { method: 'POST' });
      assert.equal(retry.status, 200, await retry.clone().text());
      const body = RemovalDone.parse(await retry.json());
      assert.equal(body.alreadyDone, true);
      assert.equal(body.taskId, taskId);
      assert.equal(body.task?.status, 'completed');
      assert.equal((await agent.api.tasks({ kind: 'remove-member' })).items.length, 1, 'no second removal queued');
      assert.equal((await api(`/hubs/${HUB}/members/never-a-member/remove`, { method: 'POST' })).status, 404);
      assert.equal((await api(`/hubs/no-such-hub/members/${row}/remove`, { method: 'POST' })).status, 404);
    });

    test('an Okta deactivate event offboards through the agent once, even when replayed', async () => {
      const delivery = {
        eventType: 'com.okta.event_hook',
        data: { events: [{
          uuid: 'real-1', published: `${DAY}10:00:00.000Z`, eventType: 'user.lifecycle.deactivate',
          actor: { id: '00uadmin', alternateId: 'admin@sandbox.example' },
          target: [{ id: '00ufrank', type: 'User', alternateId: 'frank.ledger@sandbox.example', displayName: 'Frank' }],
        }] },
      };
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${server.url}/hooks/okta`, { method: 'POST', headers: { authorization: HOOK, 'content-type': 'application/json' }, body: JSON.stringify(delivery) });
        assert.equal(res.status, 200);
      }
      await hook.settled();
      const offboards = (await agent.api.tasks({ kind: 'offboard' })).items;
      assert.equal(offboards.length, 1);
      assert.equal(offboards[0].trigger.type, 'okta-event-hook');
      assert.equal(offboards[0].trigger.idp, 'okta');
    });

    test('an Okta deactivation of a person hubwarden cannot identify: the audit log says nothing was removed and why', async () => {
      // Okta names the person by login (alternateId) and Okta user id (https://developer.okta.com/docs/concepts/event-hooks/).
      const delivery = {
        eventType: 'com.okta.event_hook',
        data: { events: [{
          uuid: 'real-unknown-1', published: `${DAY}11:00:00.000Z`, eventType: 'user.lifecycle.deactivate',
          actor: { id: '00uadmin', alternateId: 'admin@sandbox.example' }, outcome: { result: 'SUCCESS' },
          target: [{ id: '00unobody', type: 'User', alternateId: 'nobody.known@sandbox.example', displayName: 'Nobody' }],
        }] },
      };
      const res = await fetch(`${server.url}/hooks/okta`, { method: 'POST', headers: { authorization: HOOK, 'content-type': 'application/json' }, body: JSON.stringify(delivery) });
      assert.equal(res.status, 200);
      await hook.settled();
      const task = (await agent.api.tasks({ kind: 'offboard' })).items.find((t) => t.trigger.detail === 'user.lifecycle.deactivate real-unknown-1');
      assert.ok(task, 'the offboarding was queued');
      await until('offboarding finished', async () => ['completed', 'failed'].includes((await agent.api.findTask(task.id))?.status ?? ''), 8_000);
      const page = await (await api(`/audit?email=${encodeURIComponent('nobody.known@sandbox.example')}&action=offboard`)).json();
      assert.equal(page.items.length, 1, JSON.stringify(page.items));
      const [entry] = page.items;
      assert.equal(entry.outcome, 'skipped');
      assert.deepEqual(entry.trigger, { type: 'okta-event-hook', idp: 'okta', actor: 'admin@sandbox.example', detail: 'user.lifecycle.deactivate real-unknown-1' });
      assert.match(entry.why, /no directory user on any hub .*: nothing removed/);
      assert.equal(entry.taskId, task.id);
    });

    test('an Entra leaver callout offboards through the agent and resumes the workflow when the task finishes', async () => {
      const token = await graph.issueToken({ aud: 'api://hubwarden', azp: RELAY, appid: RELAY });
      const body = {
        data: {
          subject: { id: 'obj-dan', email: 'dan.designer@sandbox.example', userPrincipalName: 'dan.designer@sandbox.example' },
          task: { id: 'task-1' }, taskProcessingResult: { id: 'tpr-real' }, workflow: { id: 'wf-leaver' },
        },
        source: 'sample', type: 'lifecycleEvent',
      };
      const res = await fetch(`${server.url}/hooks/entra/lifecycle`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(res.status, 202);
      await entra.settled();
      const offboard = (await agent.api.tasks({ kind: 'offboard' })).items.find((t) => t.trigger.type === 'entra-lifecycle');
      assert.ok(offboard, 'an offboarding task with the entra-lifecycle trigger');
      const resume = graph.resumes.find((r) => r.taskProcessingResultId === 'tpr-real');
      const final = (await agent.api.task(offboard.id))!;
      assert.deepEqual(resume?.body, { data: { operationStatus: final.status === 'completed' ? 'completed' : 'failed' }, source: 'hubwarden', type: 'lifecycleEvent' });
      assert.equal(final.status, 'completed', JSON.stringify(final.lastError));
    });

    test('a callout accepted before a restart is resumed completed when its offboarding finished and was archived meanwhile', async () => {
      const trigger = { type: 'entra-lifecycle' as const, idp: 'entra', actor: 'workflow:wf-restart', detail: 'task task-1 result tpr-restart' };
      const task = await agent.api.offboard({ email: 'erin.restart@sandbox.example' }, trigger);
      await until('offboarding completed', async () => (await agent.api.task(task.id))?.status === 'completed', 8_000);
      // The process stopped after the task finished and before the resume; by the time it is back,
      // the finished task has moved to the archive (more than a minute: agent/tasks/prune.ts).
      await archiveFinishedTasks(store, Date.now() + 1);
      assert.equal(await agent.api.task(task.id), undefined);
      const callout = { workflowId: 'wf-restart', taskId: 'task-1', taskProcessingResultId: 'tpr-restart', action: 'offboard', person: { email: 'erin.restart@sandbox.example' } };
      const events = new HookEventLog(store);
      await events.claim('entra-lifecycle', 'entra', [{ id: 'tpr-restart', callout }]);
      await events.update('entra-lifecycle', 'tpr-restart', { state: 'waiting', taskIds: [task.id] });
      await events.release('entra-lifecycle', 'tpr-restart'); // as the stopping process does (lifecycle-run.ts)
      const resumed: string[] = [];
      const restarted = createEntraLifecycleRouter({ config, agent: agent.api, store, pollIntervalMs: 20, resume: async (_idp, target, status) => { resumed.push(`${target.taskProcessingResultId}:${status}`); } });
      await restarted.settled();
      restarted.stop();
      assert.deepEqual(resumed, ['tpr-restart:completed']);
      assert.equal((await events.get('entra-lifecycle', 'tpr-restart'))?.state, 'done');
    });
  });
}
