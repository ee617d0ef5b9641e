/**
 * Filters as Okta and Entra send them (RFC 7644 §3.4.2.2, with Entra's unquoted values and any-case
 * attribute names) and what each must match: the filter tests' cases, shared with the SCIMMY
 * comparison (`npm run bench -- scimmy`).
 */
export const alice = {
  id: 'u-1',
  userName: 'Alice@Example.com',
  externalId: 'ext-1',
  displayName: 'Alice Liddell',
  active: true,
  name: { givenName: 'Alice', familyName: 'Employee' },
  emails: [{ type: 'work', value: 'alice@example.com', primary: true }, { type: 'home', value: 'alice@home.org' }],
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { employeeNumber: '42', manager: { value: 'u-9' } },
  meta: { created: '2024-05-01T10:00:00.000Z', lastModified: '2024-06-01T10:00:00.000Z' },
  members: [{ value: 'm1' }, { value: 'm2' }],
};

// [filter, expected match against alice]
export const cases: Array<[string, boolean]> = [
  ['userName eq "alice@example.com"', true],
  ['USERNAME EQ "ALICE@EXAMPLE.COM"', true],
  ['userName eq "bob@example.com"', false],
  ['userName ne "bob@example.com"', true],
  ['userName co "example"', true],
  ['userName sw "ali"', true],
  ['userName ew ".com"', true],
  ['userName ew ".org"', false],
  ['externalId eq ext-1', true],
  ['name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.net)', true],
  ['name.familyName eq Employee and (emails.value co example.net or emails.value co example.biz)', false],
  ['emails[type eq "work"].value eq "alice@example.com"', true],
  ['emails[type eq "home"].value eq "alice@example.com"', false],
  ['emails[type eq "work" and primary eq true]', true],
  ['members[value eq "m2"]', true],
  ['members[value eq "m3"]', false],
  ['not (active eq false)', true],
  ['active eq "True"', true],
  ['title pr', false],
  ['displayName pr', true],
  ['meta.Created gt 2015-10-10T14:38:21.8617979-07:00', true],
  ['meta.created lt 2024-05-01T11:00:00+02:00', false],
  ['meta.lastModified ge "2024-06-01T10:00:00Z"', true],
  ['meta.lastModified le "2024-05-31T23:59:59Z"', false],
  ['displayName gt "Aa" and displayName lt "Ab"', false],
  ['displayName gt "Al" and displayName lt "Am"', true],
  ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "42"', true],
  ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "u-9"', true],
  ['employeeNumber eq "43"', false],
  ['userName eq "x" or (displayName sw "Alice" and not (emails.value ew ".org"))', false],
  ['userName eq "x" or (displayName sw "Alice" and not (emails.value ew ".net"))', true],
];

export const invalidFilters = ['', 'userName', 'userName eq', 'userName zz "a"', '(userName eq "a"', 'userName eq "a" and', 'emails[type eq "work"', 'userName eq "unterminated', '"x" eq userName', 'a.b.c eq 1'];
