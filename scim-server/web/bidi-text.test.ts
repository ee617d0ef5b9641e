/**
 * Control and bidi characters in text from outside (a member's name or role in the app, an asset's
 * name, a group's name in the IdP) are shown as visible escapes wherever the dashboard shows them,
 * as the audit page and the CLI already did: a U+202E (right-to-left override) left raw reverses
 * the rest of what it is in, so a row or a confirmation dialog reads otherwise than it is stored
 * (Trojan Source, https://trojansource.codes/). Server-rendered pages through the `html` template
 * (My access, by plain HTTP), the pages' scripts through person-label.js and shown-text.js.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { accessStore, directoryGroup, directoryUser, SEEDED_AT as at, seedDirectory } from '../../agent/access/directory-fixtures.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import type { TestServer } from '../../test/admin/test-server.ts';
import { html } from './html.ts';
import { SessionStore } from './session-store.ts';
import { dashboardConfig, serveDashboard, signedIn } from './web-fixtures.ts';

type Labelled = { email?: string; name?: string; id?: string; userId?: string };
const { personLabel } = await import(new URL('./static/person-label.js', import.meta.url).href) as { personLabel: (p: Labelled, idKey?: string) => string };
const { shownText } = await import(new URL('./static/shown-text.js', import.meta.url).href) as { shownText: (t: unknown) => string };

/** Any control (but tab and line breaks, which HTML shows as a space) or bidi character. */
const UNSHOWN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/** A page's text: its tags (and so their attribute values) taken out. */
const textOf = (page: string) => page.replace(/<[^>]*>/g, '');

// Shown, it reads "ceo@acme.example"; stored, it is "moc.elpmaxe.emca@oec" after an override.
const SPOOF = '\u202emoc.elpmaxe.emca@oec\u202c';
const GROUP = 'Acme \u2067Owners\u2069';

describe('control and bidi characters from outside are shown as escapes', () => {
  let server: TestServer;
  const sessions = new SessionStore(new MemoryStore());

  before(async () => {
    const store = await accessStore();
    const hubId = 'acme-ads';
    await seedDirectory(store, [directoryUser(hubId, 'u-olivia', ['olivia@acme.example'])], [directoryGroup(hubId, 'g-own', GROUP, ['u-olivia'])]);
    await store.transact((tx) => {
      const memberId = `m1${SPOOF}`;
      tx.put('appMembers', hubId, memberId, { hubId, id: memberId, email: 'olivia@acme.example', name: SPOOF, role: `ADMIN\u202e\u001b[2J`, firstSeenAt: at, lastSeenAt: at });
      tx.put('appAssets', hubId, 'page:p1', { hubId, type: 'page', id: 'p1', name: `Ads ${SPOOF}`, ownership: 'owned' });
      tx.put('appAssignments', hubId, `page:p1:${memberId}`, { hubId, key: `page:p1:${memberId}`, asset: { type: 'page', id: 'p1' }, userId: memberId, userType: 'member', tasks: ['MANAGE'] });
    });
    const config = dashboardConfig('bidi-text', `
  - id: acme-ads
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:META_TOKEN }
    teams:
      - { group: ${JSON.stringify(GROUP)}, hubRole: owner, appRole: ADMIN }
`);
    server = await serveDashboard({ config, agent: new FakeAgent(), store, sessions });
  });
  after(() => server.close());

  test('My access: an asset name, an app role and a group name with bidi and control characters read as escapes', async () => {
    const olivia = await signedIn(sessions, 'olivia@acme.example');
    const res = await fetch(`${server.url}/ui/my-access`, { headers: { cookie: olivia.cookie } });
    assert.equal(res.status, 200);
    const page = await res.text();
    // The values reached the page, written out...
    assert.ok(page.includes('page Ads \\u202emoc.elpmaxe.emca@oec\\u202c (p1): MANAGE'), 'the asset name');
    assert.ok(page.includes('<td data-label="App role">ADMIN\\u202e\\x1b[2J</td>'), 'the app role');
    assert.ok(page.includes('ADMIN (Acme \\u2067Owners\\u2069)'), 'the group name');
    // ...none raw in the text; the member id in its data- attribute stays the id as stored.
    assert.doesNotMatch(textOf(page), UNSHOWN);
    assert.ok(page.includes(`data-seat="m1${SPOOF}"`));
  });

  test('html: text is shown with escapes, attribute values stay as they are', () => {
    const v = 'a\u202eb';
    assert.equal(html`<p title="${v}">${v}</p>`.text, '<p title="a\u202eb">a\\u202eb</p>');
    assert.equal(html` data-x="${v}"`.text, ' data-x="a\u202eb"', 'a fragment of attributes alone');
    assert.equal(html`<li>${[v, 'c']}</li><i class='${v}'></i>`.text, "<li>a\\u202ebc</li><i class='a\u202eb'></i>");
    assert.equal(html`<p>line\n${'x\ty\nz'}</p>`.text, '<p>line\nx\ty\nz</p>', 'tab and line breaks, shown as a space, are kept');
  });

  test('the pages\' scripts: a person\'s label and shownText write control and bidi characters out', () => {
    assert.equal(personLabel({ id: 'm1', name: SPOOF }), 'name: \\u202emoc.elpmaxe.emca@oec\\u202c (no email)');
    assert.equal(personLabel({ id: 'm1', email: 'jane\u2066@acme.example' }), 'jane\\u2066@acme.example');
    assert.equal(personLabel({ userId: '42\u202e' }, 'userId'), 'id: 42\\u202e (no email)');
    assert.equal(shownText('Graph error\u0085: \u202etxt.exe'), 'Graph error\\x85: \\u202etxt.exe');
  });
});
