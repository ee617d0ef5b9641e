import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../config/load.ts';
import { banner } from './banner.ts';

const dir = mkdtempSync(join(tmpdir(), 'hubwarden-banner-'));
writeFileSync(join(dir, 'tok'), 'scim-secret\n');
after(() => rmSync(dir, { recursive: true, force: true }));
const config = (publicUrl: string) =>
  parseConfig(`
server: { publicUrl: "${publicUrl}", adminTokens: [env:ADMIN] }
hubs:
  - { id: sandbox, connector: meta-business, meta: { businessId: "1", graphBaseUrl: sandbox }, scim: { tokens: [file:tok] } }
  - { id: meta-main, connector: meta-business, meta: { businessId: "2" } }
`, join(dir, 'hubwarden.yaml'), { ADMIN: 'admin-secret' });

test('the banner names each hub\'s SCIM base URL and where its token comes from, never a token', () => {
  const text = banner(config('https://hw.example.com/'), 'http://127.0.0.1:8080');
  assert.match(text, /listening on http:\/\/127\.0\.0\.1:8080/);
  assert.match(text, /hub sandbox: SCIM base URL https:\/\/hw\.example\.com\/scim\/v2\/hubs\/sandbox\n/);
  assert.ok(text.includes(`    SCIM token: file ${join(dir, 'tok')} (see it with: cat ${join(dir, 'tok')})`), text);
  assert.match(text, /hub meta-main: .*\n {4}no SCIM credential configured/);
  assert.match(text, /admin API https:\/\/hw\.example\.com\/api\/v1 token: environment variable ADMIN/);
  assert.ok(!text.includes('admin-secret') && !text.includes('scim-secret'));
  assert.ok(!text.includes('note:'));
});

test('the banner warns when a local publicUrl disagrees with the bound port (PORT override)', () => {
  const text = banner(config('http://localhost:8080'), 'http://127.0.0.1:9000');
  assert.match(text, /note: server\.publicUrl points at port 8080 .* listens on 9000/);
  // The next step, concretely: the value to set and the file it goes in, and the CLI's --url meanwhile.
  assert.ok(text.includes(`set server.publicUrl: http://localhost:9000 in ${join(dir, 'hubwarden.yaml')}`), text);
  assert.ok(text.includes('--url http://127.0.0.1:9000 (or HUBWARDEN_URL=http://127.0.0.1:9000)'), text);
  assert.ok(!banner(config('http://localhost:8080'), 'http://127.0.0.1:8080').includes('note:'));
});
