import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { csvCell, csvLine } from '../admin/csv.ts';
import { allowedAdmin, trustedEmail } from './oidc-client.ts';
import { safeNext } from './safe-next.ts';
import { SessionStore } from './session-store.ts';
import { assetsOf, DIRECTORY_RESULTS, partnersOf, searchDirectory } from './ui-read-routes.ts';

describe('safeNext: sign-in never redirects off the dashboard', () => {
  const cases: Array<[unknown, string]> = [
    ['/ui/hubs/acme?tab=members', '/ui/hubs/acme?tab=members'],
    ['/ui', '/ui'],
    ['https://evil.example/ui/', '/ui/'],
    ['//evil.example/ui/', '/ui/'],
    ['/ui/\\evil.example', '/ui/'],
    ['/uix/other', '/ui/'],
    ['/ui/a\r\nSet-Cookie: x=1', '/ui/'],
    [undefined, '/ui/'],
    [['/ui/a'], '/ui/'],
    // Dot segments: the browser resolves them, and the redirect left the dashboard.
    ['/ui/../metrics', '/ui/'],
    ['/ui/%2e%2e/api/v1/openapi.json', '/ui/'],
    ['/ui/hubs/.%2E/../sandbox/graph', '/ui/'],
    ['/ui/./hubs', '/ui/'],
    // A tab or newline is dropped by the URL parser: these are dot segments once parsed.
    ['/ui/.\t./metrics', '/ui/'],
    ['/ui/\n../metrics', '/ui/'],
    ['/ui/hubs\u0000', '/ui/'],
    ['/ui/hubs/a..b?tab=x/../y', '/ui/hubs/a..b?tab=x/../y'],
  ];
  for (const [input, expected] of cases) test(JSON.stringify(input), () => assert.equal(safeNext('/ui', input), expected));
});

describe('CSV cells', () => {
  test('RFC 4180 quoting and formula neutralising', () => {
    assert.equal(csvCell('plain'), 'plain');
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('say "hi"'), '"say ""hi"""');
    assert.equal(csvCell('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
    assert.equal(csvCell('@cmd'), "'@cmd");
    assert.equal(csvCell('-1+2'), "'-1+2");
    assert.equal(csvCell('\t=1+1'), "'\t'=1+1");
    assert.equal(csvCell('\r=1+1'), `"'\r'=1+1"`);
    // OWASP ASVS 5.0, 1.2.10: a leading NUL too.
    assert.equal(csvCell('\0=cmd|\'/c calc\'!A1'), "'\0=cmd|'/c calc'!A1");
    assert.equal(csvCell(undefined), '');
    assert.equal(csvLine(['a', 1, null]), 'a,1,\r\n');
  });

  test('a spreadsheet splitting at semicolons or line breaks (Excel where the list separator is ";") meets no formula', () => {
    // A member name from the app: harmless to a comma reader (one quoted cell), but where ";" is
    // the separator a quote in mid-field is a plain character, so each ";" or line break starts a cell.
    const hostile = ['Ana;=cmd|\' /C calc\'!A0;', 'Bo\n+1+1', 'x;@SUM(A1)', 'y\r\n-2+3', 'z;\t=1'];
    const text = csvLine(['ana@acme.example', ...hostile]);
    const cells = text.split(/[;\r\n]/);
    assert.deepEqual(cells.filter((c) => /^[=+\-@\t\0]/.test(c)), [], text);
    assert.equal(csvCell('A; B'), 'A; B', 'a plain semicolon is left alone');
  });

  test('a reader splitting at tabs (a text import told so) meets no formula either; the value stays unquoted RFC 4180', () => {
    // A name holds no comma, quote or line break, so it is written unquoted: split at tabs, each
    // tab starts a cell.
    const text = csvLine(['ana@acme.example', 'Ana\t=cmd|\' /C calc\'!A0', 'Bo\t\t+1', 'Cy\t@SUM(A1)\t-2']);
    assert.equal(text, "ana@acme.example,Ana\t'=cmd|' /C calc'!A0,Bo\t'\t'+1,Cy\t'@SUM(A1)\t'-2\r\n");
    assert.deepEqual(text.split(/[\t,]/).filter((c) => /^[=+\-@\t\0]/.test(c)), [], text);
    assert.equal(csvCell('A\tB'), 'A\tB', 'a plain tab is left alone');
  });
});

describe('OIDC admins', () => {
  const allow = { allowedEmails: ['Boss@Acme.example'], allowedGroups: ['hubwarden-admins'] };
  test('by email (any case) or by group; nobody when both lists are empty', () => {
    assert.equal(allowedAdmin({ sub: '1', email: 'boss@acme.example', groups: [] }, allow), true);
    assert.equal(allowedAdmin({ sub: '2', email: 'x@acme.example', groups: ['hubwarden-admins'] }, allow), true);
    assert.equal(allowedAdmin({ sub: '3', email: 'x@acme.example', groups: ['Hubwarden-Admins', 'marketing'] }, allow), false);
    assert.equal(allowedAdmin({ sub: '4', groups: [] }, allow), false);
    assert.equal(allowedAdmin({ sub: '5', email: 'boss@acme.example', groups: ['hubwarden-admins'] }, { allowedEmails: [], allowedGroups: [] }), false);
  });
  test('an email the IdP marks unverified is not trusted (no admin by email, no hub role); verified or unsaid is', () => {
    assert.equal(allowedAdmin({ sub: '6', email: 'boss@acme.example', emailVerified: false, groups: [] }, allow), false);
    assert.equal(allowedAdmin({ sub: '7', email: 'Boss@Acme.example', emailVerified: true, groups: [] }, allow), true);
    assert.equal(trustedEmail({ email: ' Jane@Acme.example ', emailVerified: false }), undefined);
    assert.equal(trustedEmail({ email: ' Jane@Acme.example ' }), 'jane@acme.example');
  });
  test('an email whose lower-casing turns a non-ASCII character into ASCII is not trusted: it would name another person', () => {
    // U+212A KELVIN SIGN lower-cases to "k": "\u212Aim" would be kim@acme.example, an allowed admin.
    const kelvin = '\u212Aim@acme.example';
    assert.equal(kelvin.toLowerCase(), 'kim@acme.example');
    assert.equal(trustedEmail({ email: kelvin, emailVerified: true }), undefined);
    assert.equal(allowedAdmin({ sub: '8', email: kelvin, emailVerified: true, groups: [] }, { allowedEmails: ['kim@acme.example'], allowedGroups: [] }), false);
    // Other letters outside ASCII stay trusted, lower-cased as before.
    assert.equal(trustedEmail({ email: 'JOSÉ@Acme.example' }), 'josé@acme.example');
    assert.equal(trustedEmail({ email: '\u0130nci@acme.example' }), '\u0130nci@acme.example'.toLowerCase());
    // Nor into another letter outside ASCII: U+212B ANGSTROM SIGN lower-cases to the "å" of åsa@, U+2126 OHM SIGN to "ω".
    const angstrom = '\u212Bsa@acme.example';
    assert.equal(angstrom.toLowerCase(), '\u00E5sa@acme.example');
    assert.equal(trustedEmail({ email: angstrom }), undefined);
    assert.equal(trustedEmail({ email: '\u2126mega@acme.example' }), undefined);
    assert.equal(allowedAdmin({ sub: '9', email: angstrom, emailVerified: true, groups: [] }, { allowedEmails: ['\u00E5sa@acme.example'], allowedGroups: [] }), false);
    assert.equal(trustedEmail({ email: '\u00C5sa@Acme.example' }), '\u00E5sa@acme.example');
  });
});

describe('sessions', () => {
  test('opaque random ids; idle and absolute expiry; destroy', async () => {
    let now = 0;
    const store = new SessionStore(new MemoryStore(), { idleMs: 1_000, absoluteMs: 5_000 }, () => now);
    const a = await store.create('a@x', 'oidc');
    const b = await store.create('b@x', 'admin-token');
    assert.notEqual(a.id, b.id);
    assert.notEqual(a.csrf, a.id);
    assert.ok(a.id.length >= 43, 'at least 256 bits');
    now = 900;
    assert.equal((await store.get(a.id))?.actor, 'a@x');
    now = 1_800; // a was used at 900, b not since 0
    assert.equal(await store.get(b.id), undefined, 'idle too long');
    assert.equal((await store.get(a.id))?.actor, 'a@x');
    for (now = 2_500; now <= 4_900; now += 800) assert.ok(await store.get(a.id));
    now = 5_100;
    assert.equal(await store.get(a.id), undefined, 'absolute lifetime over');
    const c = await store.create('c@x', 'oidc');
    await store.destroy(c.id);
    assert.equal(await store.get(c.id), undefined);
    assert.equal(await store.get(undefined), undefined);
  });
});

describe('read routes over the store snapshot', () => {
  const at = '2026-11-01T00:00:00.000Z';
  async function seeded() {
    const store = new MemoryStore();
    await store.open();
    await store.transact((tx) => {
      tx.put('appAssets', 'h', 'ad_account:act_1', { hubId: 'h', type: 'ad_account', id: 'act_1', name: 'Main', ownership: 'owned' });
      tx.put('appAssets', 'h', 'page:9', { hubId: 'h', type: 'page', id: '9', ownership: 'client', permittedTasks: ['ANALYZE'] });
      tx.put('appMembers', 'h', 'm1', { hubId: 'h', id: 'm1', email: 'ann@x.example', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
      tx.put('appSystemUsers', 'h', 's1', { hubId: 'h', id: 's1', name: 'Robot', role: 'ADMIN' });
      tx.put('appAssignments', 'h', 'k1', { hubId: 'h', key: 'k1', asset: { type: 'ad_account', id: 'act_1' }, userId: 'm1', userType: 'member', tasks: ['ADVERTISE'] });
      tx.put('appAssignments', 'h', 'k2', { hubId: 'h', key: 'k2', asset: { type: 'ad_account', id: 'act_1' }, userId: 's1', userType: 'system-user', tasks: ['MANAGE'] });
      tx.put('appPartners', 'h', 'p1', { hubId: 'h', businessId: '555', name: 'Agency', relation: 'agency', assets: [{ type: 'ad_account', id: 'act_1', permittedTasks: ['ANALYZE'] }] });
      tx.put('partnerUsers', 'h', 'pu1', { hubId: 'h', key: 'pu1', partnerBusinessId: '555', userId: 'u9', email: 'pat@agency.example', userType: 'member', assignments: [{ asset: { type: 'ad_account', id: 'act_1' }, tasks: ['ANALYZE'] }] });
      tx.put('partnerUsers', 'h', 'pu2', { hubId: 'h', key: 'pu2', partnerBusinessId: '777', userId: 'u8', userType: 'member', assignments: [] });
      for (let i = 0; i < 30; i++) {
        tx.put('directoryUsers', 'h', `d${i}`, { hubId: 'h', id: `d${i}`, userName: `user${i}@acme.example`, active: i !== 1, displayName: i === 2 ? 'Casey Jones' : undefined, emails: [`user${i}@acme.example`], scim: {}, created: at, lastModified: at, version: 1 });
      }
      tx.put('directoryUsers', 'other', 'd0', { hubId: 'other', id: 'd0', userName: 'casey@other.example', active: true, emails: ['casey@other.example'], scim: {}, created: at, lastModified: at, version: 1 });
    });
    return store;
  }

  test('assets list who holds which tasks, members and system users', async () => {
    const store = await seeded();
    const page = await assetsOf(store, 'h');
    assert.equal(page.total, 2);
    const assets = page.items;
    assert.deepEqual(assets.map((a) => [a.id, a.holderCount]), [['act_1', 2], ['9', 0]]);
    assert.deepEqual(assets[0].holders, [
      { userId: 'm1', email: 'ann@x.example', name: undefined, userType: 'member', tasks: ['ADVERTISE'] },
      { userId: 's1', email: undefined, name: 'Robot', userType: 'system-user', tasks: ['MANAGE'] },
    ]);
    assert.deepEqual((await assetsOf(store, 'h', { offset: 1, limit: 1 })).items.map((a) => a.id), ['9']);
    assert.deepEqual((await assetsOf(store, 'nothing')).items, []);
  });

  test('partners carry only their own people', async () => {
    const store = await seeded();
    const partners = await partnersOf(store, 'h');
    assert.equal(partners.length, 1);
    assert.deepEqual(partners[0].users.map((u) => u.email), ['pat@agency.example']);
  });

  test('a business that is both our agency and our client: its people (on assets we share with it) are listed once, under the agency', async () => {
    const store = await seeded();
    await store.transact((tx) => tx.put('appPartners', 'h', '555:client', { hubId: 'h', key: '555:client', businessId: '555', name: 'Agency', relation: 'client', assets: [{ type: 'ad_account', id: 'act_9', permittedTasks: ['ANALYZE'] }] }));
    const partners = await partnersOf(store, 'h');
    assert.deepEqual(partners.map((p) => [p.relation, p.users.map((u) => u.email)]).sort(), [['agency', ['pat@agency.example']], ['client', []]]);
  });

  test('directory search: by name, email or display name, this hub only, capped', async () => {
    const store = await seeded();
    assert.deepEqual((await searchDirectory(store, 'h', 'casey')).map((u) => u.id), ['d2']);
    assert.deepEqual((await searchDirectory(store, 'h', 'USER1@')).map((u) => [u.id, u.active]), [['d1', false]]);
    assert.equal((await searchDirectory(store, 'h', 'acme.example')).length, DIRECTORY_RESULTS);
    assert.deepEqual(await searchDirectory(store, 'h', '   '), []);
  });

  test('directory search: a user suspended in the IdP (Okta hook) shows as suspended, not active', async () => {
    const store = await seeded();
    const by = 'okta-event-hook';
    await store.transact((tx) => tx.put('directoryUsers', 'h', 'd5', { hubId: 'h', id: 'd5', userName: 'user5@acme.example', active: true, emails: ['user5@acme.example'], scim: {}, created: at, lastModified: at, version: 2, suspended: { at, by } }));
    assert.deepEqual((await searchDirectory(store, 'h', 'user5@')).map((u) => [u.id, u.active, u.suspended]), [['d5', false, { at }]]);
    assert.deepEqual((await searchDirectory(store, 'h', 'user6@')).map((u) => [u.id, u.active, u.suspended]), [['d6', true, undefined]]);
  });

  test('directory search: a user offboarded by a leaver action shows as offboarded, not active', async () => {
    const store = await seeded();
    await store.transact((tx) => tx.put('directoryUsers', 'h', 'd5', { hubId: 'h', id: 'd5', userName: 'user5@acme.example', active: true, emails: ['user5@acme.example'], scim: {}, created: at, lastModified: at, version: 2, offboarded: { at, by: 'entra-lifecycle' } }));
    assert.deepEqual((await searchDirectory(store, 'h', 'user5@')).map((u) => [u.id, u.active, u.offboarded]), [['d5', false, { at }]]);
  });
});
