/**
 * The attribute definitions hubwarden serves (RFC 7643 §4.1 User, §4.2 Group, §4.3 enterprise
 * extension, plus the read-only hub extension). One table drives three things: canonical attribute
 * names (Entra and the MS suite send `DisplayName`, `Primary`, `Manager.Value`), type checks
 * (400 invalidValue), and the `/Schemas` documents.
 */
export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const HUB_SCHEMA = 'urn:hubwarden:params:scim:schemas:extension:hub:2.0:User';

export type AttributeType = 'string' | 'boolean' | 'complex' | 'reference' | 'dateTime' | 'integer' | 'binary';

export interface AttributeDef {
  name: string;
  type: AttributeType;
  multiValued?: boolean;
  required?: boolean;
  caseExact?: boolean;
  mutability?: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned?: 'always' | 'never' | 'default' | 'request';
  uniqueness?: 'none' | 'server' | 'global';
  description?: string;
  subAttributes?: AttributeDef[];
  referenceTypes?: string[];
  /** Longest string value accepted, in UTF-16 code units (default MAX_LENGTH.other; binary MAX_LENGTH.binary). */
  maxLength?: number;
}

/**
 * Per-attribute size limits (README, "What the SCIM server accepts"): RFC 7643 sets none, so a value
 * past them is refused with 400 invalidValue rather than stored and sent on to the app. userName
 * and email fit an RFC 5321 §4.5.3.1 address (254) with room; names and titles fit any IdP's.
 */
export const MAX_LENGTH = { userName: 256, externalId: 256, displayName: 256, emails: 256, other: 1024, binary: 16_384 } as const;
/** Values one multi-valued attribute may hold (group `members` excepted: bounded only by the 1 MB body). */
export const MAX_VALUES = 100;

const s = (name: string, extra: Partial<AttributeDef> = {}): AttributeDef => ({ name, type: 'string', ...extra });
const b = (name: string, extra: Partial<AttributeDef> = {}): AttributeDef => ({ name, type: 'boolean', ...extra });
const multi = (name: string, subs: AttributeDef[], extra: Partial<AttributeDef> = {}): AttributeDef => ({
  name, type: 'complex', multiValued: true, subAttributes: subs, ...extra,
});
const typedValues = (valueType: AttributeType = 'string', maxLength?: number) => [
  { name: 'value', type: valueType, ...(maxLength ? { maxLength } : {}) } as AttributeDef, s('display'), s('type'), b('primary'),
];

export const USER_ATTRIBUTES: AttributeDef[] = [
  s('userName', { required: true, uniqueness: 'server', maxLength: MAX_LENGTH.userName, description: 'Unique identifier for the User, typically used by the user to directly authenticate to the service provider.' }),
  { name: 'name', type: 'complex', subAttributes: [s('formatted'), s('familyName'), s('givenName'), s('middleName'), s('honorificPrefix'), s('honorificSuffix')] },
  s('displayName', { maxLength: MAX_LENGTH.displayName }), s('nickName'), { name: 'profileUrl', type: 'reference', referenceTypes: ['external'] }, s('title'), s('userType'),
  s('preferredLanguage'), s('locale'), s('timezone'), b('active'),
  s('password', { mutability: 'writeOnly', returned: 'never' }),
  multi('emails', typedValues('string', MAX_LENGTH.emails)), multi('phoneNumbers', typedValues()), multi('ims', typedValues()),
  multi('photos', typedValues('reference')),
  multi('addresses', [s('formatted'), s('streetAddress'), s('locality'), s('region'), s('postalCode'), s('country'), s('type'), b('primary')]),
  multi('groups', [s('value'), { name: '$ref', type: 'reference' }, s('display'), s('type')], { mutability: 'readOnly' }),
  multi('entitlements', typedValues()), multi('roles', typedValues()), multi('x509Certificates', typedValues('binary')),
];

export const ENTERPRISE_ATTRIBUTES: AttributeDef[] = [
  s('employeeNumber'), s('costCenter'), s('organization'), s('division'), s('department'),
  { name: 'manager', type: 'complex', subAttributes: [s('value'), { name: '$ref', type: 'reference', referenceTypes: ['User'] }, s('displayName', { mutability: 'readOnly' })] },
];

export const HUB_ATTRIBUTES: AttributeDef[] = [
  s('status', { mutability: 'readOnly', description: 'How the member relates to the hub: onboarded, guest, unmatched, exempted, pending_invite, lapsed (an invite that expired or was declined: no seat, none pending), offered (a seat offered, waiting for the person to claim it) or not_in_hub.' }),
  s('appRole', { mutability: 'readOnly', description: 'The role the member holds in the hub app, in the app\'s own words (e.g. ADMIN).' }),
  { name: 'exemption', type: 'complex', mutability: 'readOnly', subAttributes: [s('reason', { mutability: 'readOnly' }), { name: 'until', type: 'dateTime', mutability: 'readOnly' }] },
];

export const GROUP_ATTRIBUTES: AttributeDef[] = [
  s('displayName', { required: true, uniqueness: 'server', maxLength: MAX_LENGTH.displayName }),
  multi('members', [s('value', { mutability: 'immutable' }), { name: '$ref', type: 'reference', mutability: 'immutable' }, s('display'), s('type', { mutability: 'immutable' })]),
];

/** RFC 7643 §3.1 common attribute set by the client (`id` and `meta` are the server's). */
export const EXTERNAL_ID: AttributeDef = s('externalId', { caseExact: true, maxLength: MAX_LENGTH.externalId });

/** Case-insensitive lookup of a definition among siblings. */
const byLowerName = new WeakMap<readonly AttributeDef[], Map<string, AttributeDef>>();

export function findAttribute(defs: readonly AttributeDef[] | undefined, name: string): AttributeDef | undefined {
  if (!defs) return undefined;
  let index = byLowerName.get(defs);
  if (!index) byLowerName.set(defs, (index = new Map(defs.map((d) => [d.name.toLowerCase(), d]))));
  // Exact names are the common case; lower-casing only what arrives in another case.
  return index.get(name) ?? index.get(name.toLowerCase());
}

/**
 * The enterprise URN as the "Create User" sample of Microsoft's SCIM tutorial misspells it (no ":"
 * before "User": https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups).
 * Read as the enterprise extension wherever a URN is (bodies, `schemas`, PATCH paths, filters).
 */
export const MISSPELT_ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0User';

/** Known extension URNs, matched case-insensitively (Entra's older sample misspells the enterprise one). */
export function extensionSchemaOf(key: string): string | undefined {
  const lower = key.toLowerCase();
  if (lower === ENTERPRISE_SCHEMA.toLowerCase() || lower === MISSPELT_ENTERPRISE_SCHEMA.toLowerCase()) return ENTERPRISE_SCHEMA;
  if (lower === HUB_SCHEMA.toLowerCase()) return HUB_SCHEMA;
  return undefined;
}
