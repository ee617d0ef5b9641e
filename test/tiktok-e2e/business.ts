/**
 * The TikTok side of the check-for-updates end-to-end tests: the emulator's sandbox Business
 * Center (the token's own user, an admin, standard members, a contractor added by hand with an
 * agency address, a pending and a declined invitation, a partner sharing both ways) and the
 * directory an Okta org pushed for it, as the SCIM server stores it.
 */
import { parseConfig, type LoadedConfig } from '../../config/load.ts';
import type { DirectoryGroupRecord, DirectoryUserRecord } from '../../agent/desired-state/directory-records.ts';
import { defineDirectoryIndexes } from '../../agent/desired-state/directory-records.ts';
import type { Store } from '../../agent/store/store.ts';
import { TIKTOK_SANDBOX as S } from '../../connectors/tiktok-business/emulator/index.ts';

export const HUB = 'acme-tiktok';
export const OKTA_TOKEN = 'okta-e2e-token-never-logged';

export function hubConfig(apiBaseUrl: string, oktaUrl?: string): LoadedConfig {
  const okta = oktaUrl ? `
identityProviders:
  okta:
    kind: okta
    orgUrl: ${oktaUrl}
    token: env:OKTA_TOKEN
` : '';
  const yaml = `${okta}
hubs:
  - id: ${HUB}
    connector: tiktok-business
${oktaUrl ? '    identityProvider: okta' : ''}
    tiktok:
      businessCenterId: "${S.bcId}"
      accessToken: env:TIKTOK_TOKEN
      tokenUserId: "${S.tokenUserId}"
      apiBaseUrl: ${apiBaseUrl}
    teams:
      - group: TikTok Admins
        hubRole: owner
        appRole: ADMIN
      - group: TikTok Advertisers
        appRole: STANDARD
        assets:
          - { type: ad_account, id: "${S.adAccounts[0]}", role: OPERATOR }
    partners:
      - businessCenterId: "${S.partner.bcId}"
`;
  return parseConfig(yaml, '/tmp/hubwarden-tiktok-e2e.yaml', { TIKTOK_TOKEN: S.token, OKTA_TOKEN });
}

const at = '2026-11-01T00:00:00.000Z';

function user(id: string, emails: string[]): DirectoryUserRecord {
  return {
    hubId: HUB, id, userName: emails[0]!, active: true, displayName: id, email: emails[0], emails,
    scim: { userName: emails[0], emails: emails.map((value, i) => ({ value, primary: i === 0 })) }, created: at, lastModified: at, version: 1,
  };
}

function group(id: string, displayName: string, members: string[]): DirectoryGroupRecord {
  return { hubId: HUB, id, displayName, members: members.map((value) => ({ value })), scim: {}, created: at, lastModified: at, version: 1 };
}

export const DIR = { ada: 'dir-ada', eve: 'dir-eve', frank: 'dir-frank', newHire: 'dir-new-hire', casey: 'dir-casey' } as const;
export const LOGINS: Record<string, string> = {};

export async function seedDirectory(store: Store): Promise<void> {
  defineDirectoryIndexes(store);
  await store.transact((tx) => {
    for (const u of [
      user(DIR.ada, ['Ada.Lovelace@Sandbox.example']), // differs in case only
      user(DIR.eve, ['eve@sandbox.example', 'eve.moneypenny@sandbox.example']), // her TikTok address is her second
      user(DIR.frank, ['frank.ledger@sandbox.example']),
      user(DIR.newHire, ['new.hire@sandbox.example']),
      // The contractor's TikTok seat uses the agency address; the directory knows Casey by another.
      user(DIR.casey, ['casey@sandbox.example']),
    ]) {
      tx.put('directoryUsers', HUB, u.id, u);
      LOGINS[u.id] = u.userName;
    }
    tx.put('directoryGroups', HUB, 'grp-admins', group('grp-admins', 'TikTok Admins', [DIR.ada]));
    tx.put('directoryGroups', HUB, 'grp-advertisers', group('grp-advertisers', 'TikTok Advertisers', [DIR.eve, DIR.frank, DIR.newHire]));
  });
}
