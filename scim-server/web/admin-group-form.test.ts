/**
 * `server.oidc.allowedGroups` matches a group the IdP sends in another Unicode form ("e" + U+0301
 * against U+00E9), and the session records it as configured, as the SCIM and Okta leaver events
 * name it to withdraw it; case still counts (adminGroupKey).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowedGroupsNamed } from '../../agent/desired-state/directory-records.ts';
import { allowedAdmin } from './oidc-client.ts';

const COMPOSED = 'Caf\u00e9 Admins';
const DECOMPOSED = 'Cafe\u0301 Admins';

for (const [configured, sent] of [[COMPOSED, DECOMPOSED], [DECOMPOSED, COMPOSED]] as const) {
  test(`an allowed group configured ${configured === COMPOSED ? 'precomposed' : 'decomposed'} and sent in the other form makes a global administrator, recorded as configured`, () => {
    const allow = { allowedEmails: [], allowedGroups: ['Other', configured] };
    assert.equal(allowedAdmin({ sub: 's', groups: [sent] }, allow), true);
    assert.deepEqual(allowedGroupsNamed(allow.allowedGroups, [sent]), [configured]);
  });
}

test('an allowed group differing only in case still admits nobody (the allow-list is not widened)', () => {
  assert.equal(allowedAdmin({ sub: 's', groups: ['caf\u00e9 admins', 'OTHER'] }, { allowedEmails: [], allowedGroups: [COMPOSED, 'Other'] }), false);
});
