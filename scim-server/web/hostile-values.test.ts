/**
 * Values from outside on the dashboard: names, emails, ids and roles from the app (Meta members,
 * invites, assets), group names pushed by the IdP, hub labels from the config and text from the
 * URL are shown as text, never as markup; and every answer carries the security headers
 * (docs/dashboard.md, "Sessions and CSRF"), and a change needs this session's CSRF token from this
 * origin. The hostile values go through the real sources: the
 * store's snapshot records My access reads, the agent's members and audit log the CSV exports read.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { accessStore, directoryGroup, directoryUser, SEEDED_AT as at, seedDirectory } from '../../agent/access/directory-fixtures.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import type { TestServer } from '../../test/admin/test-server.ts';
import { SessionStore } from './session-store.ts';
import { dashboardConfig, serveDashboard, signedIn } from './web-fixtures.ts';

const XSS = '<img src=x onerror=alert(1)>';
const BREAK_OUT = `"'><script>alert(2)</script>`;
// Group names are matched between the IdP and the config: one with markup in it is the IdP's word.
const GROUP = `R&D <b>"Ads"</b>`;
const config = dashboardConfig('hostile', `
  - id: acme-ads
    label: ${JSON.stringify(`Acme ${BREAK_OUT}`)}
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:META_TOKEN }
    teams:
      - { group: ${JSON.stringify(GROUP)}, hubRole: owner, appRole: ADMIN }
`);

/** Markup a hostile value would have added, had it not been escaped. */
const INJECTED = [/<img src=x/i, /<script>alert/i, /<svg onload/i, /<b>"Ads"/, /"'>/];

describe('hostile values on the dashboard are shown as text', () => {
  let server: TestServer;
  let agent: FakeAgent;
  const sessions = new SessionStore(new MemoryStore());
  const who = (email: string, admin = false) => signedIn(sessions, email, { admin });
  const get = (as: { cookie: string }, path: string) => fetch(`${server.url}${path}`, { redirect: 'manual', headers: { cookie: as.cookie } });

  before(async () => {
    agent = new FakeAgent();
    const store = await accessStore();
    const hubId = 'acme-ads';
    await seedDirectory(store, [directoryUser(hubId, 'u-olivia', ['olivia@acme.example'], { displayName: XSS })], [directoryGroup(hubId, 'g-rd', GROUP, ['u-olivia'])]);
    await store.transact((tx) => {
      // What a check for updates read from Meta: a member id, role and asset name it chose.
      const memberId = `m${BREAK_OUT}<svg onload=alert(3)>`;
      tx.put('appMembers', hubId, memberId, { hubId, id: memberId, email: 'olivia@acme.example', name: XSS, role: `ADMIN${XSS}`, firstSeenAt: at, lastSeenAt: at });
      tx.put('appAssets', hubId, 'page:p1', { hubId, type: 'page', id: 'p1', name: XSS, ownership: 'owned' });
      tx.put('appAssignments', hubId, `page:p1:${memberId}`, { hubId, key: `page:p1:${memberId}`, asset: { type: 'page', id: 'p1' }, userId: memberId, userType: 'member', tasks: [`MANAGE${XSS}`] });
      const inviteId = `i${BREAK_OUT}`;
      tx.put('appInvites', hubId, inviteId, { hubId, id: inviteId, email: 'olivia@acme.example', role: `EMPLOYEE${XSS}`, status: 'pending', expiresAt: `2026-12-01${BREAK_OUT}`, sentByHubwarden: true, resendCount: 0, lastSeenAt: at });
    });
    server = await serveDashboard({ config, agent, store, sessions });
  });
  after(() => server.close());

  test('My access: member ids, roles, asset names and invites from the app, group names from the IdP and the hub label are escaped', async () => {
    const res = await get(await who('olivia@acme.example'), '/ui/my-access');
    assert.equal(res.status, 200);
    const page = await res.text();
    // The values reached the page (the test is not vacuous)...
    assert.match(page, /data-seat="m&quot;&#39;&gt;&lt;script&gt;alert\(2\)&lt;\/script&gt;&lt;svg onload=alert\(3\)&gt;"/);
    assert.match(page, /data-invite="i&quot;&#39;&gt;&lt;script&gt;alert\(2\)&lt;\/script&gt;"/);
    assert.match(page, /datetime="2026-12-01&quot;&#39;&gt;&lt;script&gt;/);
    assert.match(page, /page &lt;img src=x onerror=alert\(1\)&gt; \(p1\): MANAGE&lt;img src=x onerror=alert\(1\)&gt;/);
    assert.match(page, /<td data-label="App role">ADMIN&lt;img src=x onerror=alert\(1\)&gt;<\/td>/);
    assert.match(page, /EMPLOYEE&lt;img src=x onerror=alert\(1\)&gt; for olivia@acme\.example/);
    assert.match(page, /<dd data-field="granted">ADMIN \(R&amp;D &lt;b&gt;&quot;Ads&quot;&lt;\/b&gt;\)<\/dd>/);
    assert.match(page, /Acme &quot;&#39;&gt;&lt;script&gt;alert\(2\)&lt;\/script&gt;/);
    // ...and added no markup: My access has no script at all.
    for (const injected of INJECTED) assert.doesNotMatch(page, injected);
    assert.equal(page.match(/<script/g)?.length ?? 0, 0);
  });

  test('the hub id and query parameters from the URL are escaped where a page shows them', async () => {
    const boss = await who('boss@acme.example', true);
    const missing = await get(boss, `/ui/hubs/${encodeURIComponent(BREAK_OUT)}?tab=${encodeURIComponent(XSS)}`);
    assert.equal(missing.status, 404);
    const page = await missing.text();
    assert.match(page, /No hub "&quot;&#39;&gt;&lt;script&gt;alert\(2\)&lt;\/script&gt;" in the config/);
    for (const injected of INJECTED) assert.doesNotMatch(page, injected);
    // Sign-in: `next` lands in a hidden field and a link only when it is a dashboard path, escaped.
    const signIn = await (await fetch(`${server.url}/ui/sign-in?next=${encodeURIComponent(`/ui/audit?x=${BREAK_OUT}`)}&error=${encodeURIComponent(XSS)}`)).text();
    assert.match(signIn, /name="next" value="\/ui\/audit\?x=&quot;&#39;&gt;&lt;script&gt;/);
    assert.match(signIn, /href="\/ui\/auth\/oidc\?next=%2Fui%2Faudit%3Fx%3D%22&#39;%3E%3Cscript%3E/);
    for (const injected of INJECTED) assert.doesNotMatch(signIn, injected);
    // A javascript: URL is no dashboard path: never echoed into the link or the form.
    const js = await (await fetch(`${server.url}/ui/sign-in?next=${encodeURIComponent('javascript:alert(1)')}`)).text();
    assert.doesNotMatch(js, /javascript/i);
  });

  test('a hub label is escaped in the hub page title and heading, the hub filters and the standing chart', async () => {
    const boss = await who('boss@acme.example', true);
    const label = `Acme ${BREAK_OUT}${XSS}`;
    const hub = agent.hub.bind(agent);
    const hubs = agent.hubs.bind(agent);
    const relabel = <T extends { id: string; label: string } | undefined>(h: T): T => (h && h.id === 'acme-ads' ? { ...h, label } : h);
    agent.hub = async (id) => relabel(await hub(id));
    agent.hubs = async () => (await hubs()).map(relabel);
    try {
      for (const path of ['/ui/hubs/acme-ads', '/ui/automation', '/ui/audit', '/ui/charts/hubs/acme-ads/standing.svg']) {
        const res = await get(boss, path);
        assert.equal(res.status, 200, path);
        const text = await res.text();
        assert.ok(text.includes('Acme &quot;&#39;&gt;&lt;script&gt;alert(2)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;'), `${path}: the label is shown, escaped`);
        for (const injected of INJECTED) assert.doesNotMatch(text, injected, path);
      }
    } finally {
      agent.hub = hub;
      agent.hubs = hubs;
    }
  });

  test('CSV exports: names from the app and audit texts that a spreadsheet would run are neutralised', async () => {
    const boss = await who('boss@acme.example', true);
    const members = agent.membersByHub.get('acme-ads')!;
    members[0] = { ...members[0]!, name: '=HYPERLINK("https://evil.example","x")', email: '@SUM(1+1)' };
    const csv = await (await get(boss, '/ui/export/hubs/acme-ads/members.csv')).text();
    assert.match(csv, /\r\n'@SUM\(1\+1\),"'=HYPERLINK\(""https:\/\/evil\.example"",""x""\)",/);
    agent.auditLog.push({ seq: 1000, at, hubId: 'acme-ads', trigger: { type: 'scim', actor: '-2+3' }, action: 'member-matched', why: '+cmd|\' /C calc\'!A0', outcome: 'ok' });
    const audit = await (await get(boss, '/ui/export/audit.csv?hubId=acme-ads')).text();
    const line = audit.split('\r\n').find((l) => l.startsWith('1000,'));
    assert.equal(line, `1000,${at},acme-ads,scim,'-2+3,member-matched,,,'+cmd|' /C calc'!A0,ok,`);
  });

  test('a change with another session\'s CSRF token, or from an opaque origin (Origin: null), is refused and changes nothing', async () => {
    const boss = await who('boss@acme.example', true);
    const other = await who('boss@acme.example', true);
    const post = (csrf: string, origin: string) => fetch(`${server.url}/ui/api/v1/hubs/acme-ads/check-for-updates`, {
      method: 'POST', headers: { cookie: boss.cookie, origin, 'content-type': 'application/json', 'x-csrf-token': csrf }, body: '{}',
    });
    const before = agent.writes().length;
    assert.equal((await post(other.csrf, server.url)).status, 403, 'a token is bound to its session');
    // A sandboxed iframe or a data: URL posts with Origin: null (RFC 6454 §7.3): not this server.
    assert.equal((await post(boss.csrf, 'null')).status, 403);
    assert.equal(agent.writes().length, before);
    assert.equal((await post(boss.csrf, server.url)).status, 202);
  });

  test('every answer carries the security headers; those with hub data are never cached', async () => {
    const boss = await who('boss@acme.example', true);
    const olivia = await who('olivia@acme.example');
    const answers: Array<[label: string, res: Response, cached?: true]> = [
      ['page', await get(boss, '/ui/hubs/acme-ads')],
      ['My access', await get(olivia, '/ui/my-access')],
      ['API', await get(boss, '/ui/api/v1/hubs/acme-ads/members')],
      ['read route', await get(boss, '/ui/api/hubs/acme-ads/directory-users?search=olivia')],
      ['members CSV', await get(boss, '/ui/export/hubs/acme-ads/members.csv')],
      ['audit CSV', await get(boss, '/ui/export/audit.csv')],
      ['chart', await get(boss, '/ui/charts/hubs/acme-ads/standing.svg')],
      ['403 page', await get(olivia, '/ui/hubs/beta-shop')],
      ['403 API', await get(olivia, '/ui/api/v1/hubs/beta-shop/members')],
      ['401', await fetch(`${server.url}/ui/api/v1/hubs`)],
      ['sign-in', await fetch(`${server.url}/ui/sign-in`)],
      ['static', await fetch(`${server.url}/ui/static/dashboard.js`), true],
    ];
    for (const [label, res, cached] of answers) {
      const csp = res.headers.get('content-security-policy') ?? '';
      const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));
      assert.deepEqual(directives.get('default-src'), ["'self'"], `${label}: ${csp}`);
      assert.equal(directives.has('script-src') || directives.has('style-src'), false, `${label}: scripts and styles fall back to default-src 'self'`);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/, label);
      assert.deepEqual(directives.get('frame-ancestors'), ["'none'"], label);
      assert.deepEqual(directives.get('object-src'), ["'none'"], label);
      assert.deepEqual(directives.get('base-uri'), ["'none'"], label);
      assert.equal(res.headers.get('x-frame-options'), 'DENY', label);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', label);
      assert.equal(res.headers.get('referrer-policy'), 'same-origin', label);
      assert.equal(res.headers.get('cross-origin-opener-policy'), 'same-origin', label);
      assert.equal(res.headers.get('cross-origin-resource-policy'), 'same-origin', label);
      assert.equal(res.headers.get('strict-transport-security'), null, `${label}: no HSTS over plain http (RFC 6797 §7.2)`);
      if (!cached) assert.equal(res.headers.get('cache-control'), 'no-store', label);
      await res.arrayBuffer();
    }
    assert.equal(answers.find(([l]) => l === 'page')![1].status, 200);
    assert.equal(answers.find(([l]) => l === '403 API')![1].status, 403);
    assert.match(answers.find(([l]) => l === 'API')![1].headers.get('content-type') ?? '', /^application\/json/);
    assert.match(answers.find(([l]) => l === 'members CSV')![1].headers.get('content-disposition') ?? '', /^attachment/);
  });
});
