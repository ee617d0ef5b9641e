/**
 * The realistic business of the check-for-updates end-to-end tests: the Meta emulator's sandbox
 * portfolio (admins, employees, a contractor invited by hand, a pending and an expired invite,
 * the Northwind agency with two people on the shared ad account act_111) and the directory an
 * Okta org pushed over SCIM for it, written as the SCIM server writes it (directory records).
 */
import { parseConfig, type LoadedConfig } from '../../config/load.ts';
import type { DirectoryGroupRecord, DirectoryUserRecord } from '../../agent/desired-state/directory-records.ts';
import { defineDirectoryIndexes } from '../../agent/desired-state/directory-records.ts';
import type { Store } from '../../agent/store/store.ts';
import { createMetaEmulator, SANDBOX, type MetaEmulator } from '../../connectors/meta-business/emulator/index.ts';
import { MEMORY_STORE, type AnyStore, type SuiteStore } from '../suite-stores.ts';

export const HUB = 'acme-meta';

export const OKTA_TOKEN = 'okta-e2e-token-never-logged';

/** How the e2e hub differs between suites: its identity provider, its partners, a settle window. */
export interface HubOptions {
  /** YAML of the `identityProviders` entries (indented two spaces), and the one the hub uses. */
  identityProviders?: string;
  identityProvider?: string;
  /** `sandbox`: the Northwind agency with its token (default); `none`: `partners: []`. */
  partners?: 'sandbox' | 'none';
  settleSeconds?: number;
  /** Secrets the YAML names with `env:` besides META_TOKEN, PARTNER_TOKEN and OKTA_TOKEN. */
  env?: Record<string, string>;
}

/** The hub on the Meta emulator at `graphBaseUrl`; with `oktaUrl`, its IdP is that Okta org. */
export function hubConfig(graphBaseUrl: string, idp?: string | HubOptions): LoadedConfig {
  const o: HubOptions = typeof idp === 'string'
    ? { identityProviders: `  okta:\n    kind: okta\n    orgUrl: ${idp}\n    token: env:OKTA_TOKEN\n`, identityProvider: 'okta' }
    : idp ?? {};
  const partners = o.partners === 'none'
    ? '    partners: []\n'
    : `    partners:\n      - businessId: "${SANDBOX.partner.businessId}"\n        token: env:PARTNER_TOKEN\n`;
  const safety = o.settleSeconds === undefined ? '' : `    safety:\n      settleSeconds: ${o.settleSeconds}\n      removalThresholdPercent: 50\n      confirmDeprovisioning: false\n`;
  const yaml = `${o.identityProviders ? `identityProviders:\n${o.identityProviders}` : ''}
hubs:
  - id: ${HUB}
    connector: meta-business
${o.identityProvider ? `    identityProvider: ${o.identityProvider}` : ''}
    meta:
      businessId: "${SANDBOX.businessId}"
      accessToken: env:META_TOKEN
      graphBaseUrl: ${graphBaseUrl}
    teams:
      - group: Meta Admins
        hubRole: owner
        appRole: ADMIN
      - group: Meta Advertisers
        appRole: EMPLOYEE
        assets:
          - { type: ad_account, id: act_111, tasks: [ADVERTISE, ANALYZE] }
${partners}${safety}`;
  return parseConfig(yaml, '/tmp/hubwarden-e2e.yaml', { META_TOKEN: SANDBOX.token, PARTNER_TOKEN: SANDBOX.partner.token, OKTA_TOKEN, ...o.env });
}

const at = '2026-11-01T00:00:00.000Z';

function user(id: string, emails: string[], active = true): DirectoryUserRecord {
  return {
    hubId: HUB, id, userName: emails[0], active, displayName: id, email: emails[0], emails,
    scim: { userName: emails[0], emails: emails.map((value, i) => ({ value, primary: i === 0 })) }, created: at, lastModified: at, version: 1,
  };
}

function group(id: string, displayName: string, members: string[]): DirectoryGroupRecord {
  return { hubId: HUB, id, displayName, members: members.map((value) => ({ value })), scim: {}, created: at, lastModified: at, version: 1 };
}

/** Directory user ids, by who they are in the sandbox business. */
export const DIR = {
  ada: 'dir-ada', grace: 'dir-grace', eve: 'dir-eve', frank: 'dir-frank', dan: 'dir-dan',
  newHire: 'dir-new-hire', lateJoiner: 'dir-late-joiner', casey: 'dir-casey',
} as const;

/** Directory user id → login (the Okta org's users are the same people). */
export const LOGINS: Record<string, string> = {};

export async function seedDirectory(store: Store): Promise<void> {
  defineDirectoryIndexes(store);
  await store.transact((tx) => {
    for (const u of [
      user(DIR.ada, ['ada.lovelace@sandbox.example']),
      user(DIR.grace, ['Grace.Hopper@Sandbox.example']),
      // Eve's Meta email is her second address in the directory.
      user(DIR.eve, ['eve@sandbox.example', 'eve.moneypenny@sandbox.example']),
      user(DIR.frank, ['frank.ledger@sandbox.example']),
      user(DIR.dan, ['dan.designer@sandbox.example']),
      user(DIR.newHire, ['new.hire@sandbox.example']),
      user(DIR.lateJoiner, ['late.joiner@sandbox.example']),
      // The contractor's Meta seat uses the agency address; the directory knows Casey by another.
      user(DIR.casey, ['casey@sandbox.example']),
    ]) {
      tx.put('directoryUsers', HUB, u.id, u);
      LOGINS[u.id] = u.userName;
    }
    tx.put('directoryGroups', HUB, 'grp-admins', group('grp-admins', 'Meta Admins', [DIR.ada, DIR.grace]));
    tx.put('directoryGroups', HUB, 'grp-advertisers', group('grp-advertisers', 'Meta Advertisers', [DIR.eve, DIR.frank, DIR.dan, DIR.newHire, DIR.lateJoiner]));
  });
}

/**
 * The sandbox business on a fresh Meta emulator, the e2e hub's config pointing at it, and a store
 * of `kind` (test/suite-stores.ts; memory by default) seeded with its directory; `close` closes both.
 */
export async function sandboxHub(kind: SuiteStore = MEMORY_STORE): Promise<{ emulator: MetaEmulator; close(): Promise<void>; config: LoadedConfig; store: AnyStore }> {
  const emulator = createMetaEmulator();
  const server = await emulator.listen(0);
  const { store, dispose } = await kind.open();
  await seedDirectory(store);
  return { emulator, close: async () => (await server.close(), await dispose()), config: hubConfig(server.url), store };
}
