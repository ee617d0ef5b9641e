/**
 * The README's quick start is copied by people as-is: the deactivation PatchOp it shows must be
 * a body the SCIM server accepts, and it must deactivate the user.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startScimApp, type ScimTestApp } from '../../scim-server/scim/test-app.ts';
import { DEFAULT_TOKEN_FILES } from '../../scim-server/first-start.ts';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The `-d '…'` body of the quick start's `curl -X PATCH … $SCIM/Users/$J` command. */
function readmePatchBody(): string {
  const m = /curl -s -X PATCH [^\n]*\$SCIM\/Users\/\$J \\\n\s*-d '([^']+)'/.exec(README);
  assert.ok(m, 'the README quick start shows the deactivation PATCH as a curl command');
  return m[1];
}

let app: ScimTestApp;
before(async () => { app = await startScimApp({ hubs: [{ id: 'sandbox' }] }); });
after(() => app.close());

test('the README quick start deactivation PatchOp is accepted and deactivates the user', async () => {
  const headers = { authorization: `Bearer ${app.token('sandbox')}`, 'content-type': 'application/scim+json' };
  const created = await fetch(`${app.hubUrl('sandbox')}/Users`, {
    method: 'POST', headers,
    body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'jane.doe@example.com', emails: [{ value: 'jane.doe@example.com', type: 'work', primary: true }], active: true }),
  });
  assert.equal(created.status, 201);
  const { id } = await created.json() as { id: string };

  const bare = await fetch(`${app.hubUrl('sandbox')}/Users/${id}`, { method: 'PATCH', headers, body: '{"active":false}' });
  assert.equal(bare.status, 400, 'a bare {"active":false} is not a PatchOp (the README says so)');

  const patched = await fetch(`${app.hubUrl('sandbox')}/Users/${id}`, { method: 'PATCH', headers, body: readmePatchBody() });
  assert.equal(patched.status, 204, await patched.text());
  const user = await (await fetch(`${app.hubUrl('sandbox')}/Users/${id}`, { headers })).json() as { active: boolean };
  assert.equal(user.active, false);
});

test('the README quick start shows the lines a first start prints: one per token file created, then the banner', () => {
  const block = /and prints[^:]*:\n\n```\n([\s\S]*?)```/.exec(README)?.[1];
  assert.ok(block, 'the README quick start shows what npm start prints');
  // scim-server/main.ts writes one stdout line per token file createDefaultTokenFiles made.
  const main = readFileSync(new URL('../../scim-server/main.ts', import.meta.url), 'utf8');
  const template = /process\.stdout\.write\(`(hubwarden: first start: created )\$\{path\}( \(mode 0600\))\\n`\)/.exec(main);
  assert.ok(template, 'scim-server/main.ts prints each created token file');
  const shown = block.split('\n').filter((l) => l.startsWith(template[1]));
  assert.deepEqual(shown, DEFAULT_TOKEN_FILES.map((f) => `${template[1]}…/${f.slice(3)}${template[2]}`));
  assert.match(block.split('\n')[shown.length]!, /^hubwarden listening on /);
});
