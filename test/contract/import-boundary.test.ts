import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Nothing outside `connectors/<app>/` knows an app. Two rules, both over product code (every
 * `.ts` file that is not a test: `*.test.ts`, `*.test-double.ts`, `*-fixtures.ts`, `test-*.ts`
 * helpers and the `*.crash-child.ts` test programs are tests; so is everything under `test/`):
 *
 * 1. Only `connectors/registry.ts` imports an app's folder (`connectors/<app>/`, any folder
 *    beside `sdk`), and no app's folder imports another's.
 * 2. `agent/`, `scim-server/` and `config/` contain none of APP_IDENTIFIERS in their code
 *    (comments are not code: they may cite what a figure was measured against), the dashboard's
 *    browser scripts (`static/*.js`) included: their text is what a TikTok hub's owner reads, and
 *    it said a removal happens "in Meta".
 *
 * APP_IDENTIFIERS is the documented list (docs/adding-a-connector.md): app and vendor names, the
 * connector block keys, Meta's and TikTok's id prefixes, role, task and asset-type names, and
 * API paths. Deliberately absent, because the neutral model uses them in the product's sense:
 * `meta` alone (SCIM's `meta` attribute, RFC 7643 §3.1), `graph`/`graphBaseUrl` (Microsoft
 * Graph, the Entra identity provider), `businessId`/`partnerBusinessId` (a partner business in
 * connectors/sdk/hub-model.ts), `page` (paging), `ADMIN` (the word; the admin role itself comes
 * from the connector definition's `roles.admin`), `tasks` (the access names on an asset).
 */
export const APP_IDENTIFIERS: ReadonlyArray<{ name: string; pattern: RegExp }> = [
  { name: 'an app or vendor name', pattern: /\b(Meta|meta-business|metaBusiness|facebook|Facebook|Instagram|tiktok|TikTok|Tiktok|tiktok-business)\b/ },
  { name: 'a connector config block', pattern: /(?<!import)\.(meta|tiktok)\.\w+|\bbusinessCenterId\b|\bbc_id\b/ },
  { name: 'an app id format', pattern: /\bact_/ },
  { name: 'an app role', pattern: /\b(EMPLOYEE|FINANCE_EDITOR|FINANCE_ANALYST|DEVELOPER|ADS_RIGHTS_REVIEWER|STANDARD|OPERATOR|AD_PROMOTE)\b/ },
  { name: 'an app task or asset role', pattern: /\b(ADVERTISE|ANALYZE|AA_ANALYZE|MANAGE|MANAGE_AR|CREATE_CONTENT|MODERATE|DRAFT|DIRECT_MESSAGE)\b/ },
  { name: 'an app asset type', pattern: /\b(ad_account|catalog|pixel|tiktok_account|ADVERTISER|TT_ACCOUNT)\b/ },
  { name: 'an app API path or host', pattern: /graph\.facebook\.com|business-api\.tiktok|\b(business_users|pending_users|owned_ad_accounts|client_ad_accounts|debug_token|assigned_users)\b|\/bc\/(member|asset|partner)\b/ },
];

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PRODUCT_ROOTS = ['agent', 'scim-server', 'config', 'connectors', 'bin'];
const NEUTRAL_ROOTS = ['agent', 'scim-server', 'config'];

function isTestFile(path: string): boolean {
  return /\.test\.ts$|\.test-double\.ts$|-fixtures\.ts$|\.crash-child\.ts$|(^|\/)test-[^/]*\.ts$/.test(path);
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if ((/\.(ts|mjs)$/.test(name) || (/\.js$/.test(name) && dir.endsWith(`${sep}static`))) && !isTestFile(name)) out.push(path);
  }
  return out;
}

/** The code without comments (block and line comments; `//` inside a URL string stays). */
export function withoutComments(text: string): string {
  // Block comments keep their line breaks, so reported line numbers stay true.
  return text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, '')).replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** `connectors/<app>` an import specifier of `file` resolves into, if any. */
function appFolderOf(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const target = relative(root, resolve(dirname(file), specifier)).split(sep);
  if (target[0] !== 'connectors' || target.length < 3 || target[1] === 'sdk') return undefined;
  return `connectors/${target[1]}`;
}

const IMPORT = /(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|import\s*['"]([^'"]+)['"]/g;

test('only connectors/registry.ts imports an app folder, and apps never import each other', () => {
  const offenders: string[] = [];
  for (const top of PRODUCT_ROOTS) {
    for (const file of sourceFiles(join(root, top))) {
      const rel = relative(root, file).split(sep).join('/');
      const own = rel.startsWith('connectors/') && rel.split('/').length > 2 ? `connectors/${rel.split('/')[1]}` : undefined;
      for (const m of withoutComments(readFileSync(file, 'utf8')).matchAll(IMPORT)) {
        const app = appFolderOf(file, m[1] ?? m[2] ?? m[3]!);
        if (app && app !== own && rel !== 'connectors/registry.ts') offenders.push(`${rel} imports ${app}`);
      }
    }
  }
  assert.deepEqual(offenders, []);
});

test('agent/, scim-server/ and config/ name no app (APP_IDENTIFIERS, code only)', () => {
  const offenders: string[] = [];
  for (const top of NEUTRAL_ROOTS) {
    for (const file of sourceFiles(join(root, top))) {
      const lines = withoutComments(readFileSync(file, 'utf8')).split('\n');
      lines.forEach((line, i) => {
        for (const { name, pattern } of APP_IDENTIFIERS) {
          const hit = pattern.exec(line);
          if (hit) offenders.push(`${relative(root, file)}:${i + 1}: ${name} "${hit[0]}"`);
        }
      });
    }
  }
  assert.deepEqual(offenders, []);
});

/** The top folder (agent, scim-server, config, connectors, test…) an import specifier of `file` resolves into. */
function topFolderOf(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  return relative(root, resolve(dirname(file), specifier)).split(sep)[0];
}

/**
 * Which folders product code may import (docs/architecture.md, "Who imports whom"): the server
 * builds on the agent, never the reverse; config and connectors build on neither.
 */
const MAY_NOT_IMPORT: Record<string, string[]> = {
  agent: ['scim-server', 'test'],
  config: ['agent', 'scim-server', 'test'],
  connectors: ['agent', 'scim-server', 'config', 'test'],
  'scim-server': ['test'],
};

export function folderOffenders(files: Array<{ rel: string; text: string }>): string[] {
  const offenders: string[] = [];
  for (const { rel, text } of files) {
    const top = rel.split('/')[0]!;
    for (const m of withoutComments(text).matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3]!;
      const target = topFolderOf(join(root, rel), spec);
      if (target && MAY_NOT_IMPORT[top]?.includes(target)) offenders.push(`${rel} imports ${spec}`);
    }
  }
  return offenders;
}

test('the agent never imports the server; config and connectors import neither (nor test/)', () => {
  const files = Object.keys(MAY_NOT_IMPORT).flatMap((top) => sourceFiles(join(root, top)).map((file) => ({ rel: relative(root, file).split(sep).join('/'), text: readFileSync(file, 'utf8') })));
  assert.deepEqual(folderOffenders(files), []);
});

test('the folder rule can fail: an agent file importing the server is named', () => {
  assert.deepEqual(folderOffenders([{ rel: 'agent/cli/x.ts', text: "import { A } from '../../scim-server/admin/csv.ts';\n// import { B } from '../../scim-server/y.ts';" }]), ['agent/cli/x.ts imports ../../scim-server/admin/csv.ts']);
  assert.deepEqual(folderOffenders([{ rel: 'scim-server/x.ts', text: "import { A } from '../agent/api.ts';" }]), []);
});

test('the scan can fail: it sees an app name in code, and not in a comment', () => {
  const code = withoutComments("const x = 'act_1'; // Meta ids\n/* EMPLOYEE */ const y = 'https://graph.facebook.com';");
  assert.ok(APP_IDENTIFIERS.some((r) => r.pattern.test(code)));
  assert.ok(/act_/.test(code) && !/Meta ids|EMPLOYEE/.test(code));
  assert.ok(code.includes('https://graph.facebook.com'));
});
