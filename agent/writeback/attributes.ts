/**
 * The attributes hubwarden writes back to a hub's identity provider, so Okta
 * group rules and Entra dynamic groups and access reviews can act on each person's standing.
 * `<hub>` is the hub id with `-` replaced by `_` (hub ids are `[a-z0-9-]+`; Okta and Entra
 * attribute names allow letters, digits and `_` only).
 */
/**
 * The values of `hubwarden_<hub>_status` (the Okta property's `enum`, okta-schema-property.ts). A
 * value added later (`lapsed`) is added to an org's existing enum after its own values (okta-target.ts).
 */
export const WRITEBACK_STATUSES = ['pending', 'offered', 'invited', 'invite_failed', 'onboarded', 'exempted', 'removed', 'lapsed'] as const;
export type WritebackStatus = (typeof WRITEBACK_STATUSES)[number];

/** One person's values on one hub. Empty strings mean "none" (no role held, not exempted, no expiry). */
export interface WritebackValues {
  status: WritebackStatus;
  role: string;
  /** The owner's reason. */
  exemption: string;
  /**
   * When the exemption lapses (ISO 8601, as the owner set it; empty: none, or one without an
   * end). Okta and Entra rules and access reviews act on the expiry: the exemption state written
   * back is its status and its expiry (Okta custom profile attributes,
   * https://developer.okta.com/docs/reference/api/schemas/). Values written before this field
   * existed read it as empty (`changedFields`).
   */
  exemptUntil: string;
}

export type WritebackField = keyof WritebackValues;
export const WRITEBACK_FIELDS: readonly WritebackField[] = ['status', 'role', 'exemption', 'exemptUntil'];

/** `hubwarden_<hub>_<field>`: the Okta custom attribute name, and the Entra extension's short name. */
export function attributeName(hubId: string, field: WritebackField): string {
  return `hubwarden_${hubId.replace(/-/g, '_')}_${field}`;
}

/**
 * The name Graph gives a directory extension registered on app `extensionAppId`:
 * `extension_<appId without dashes>_<name>` (https://learn.microsoft.com/graph/extensibility-overview, extensionProperty resource).
 */
export function entraExtensionName(extensionAppId: string, shortName: string): string {
  return `extension_${extensionAppId.replace(/-/g, '').toLowerCase()}_${shortName}`;
}

/** Fields whose value differs between what the IdP holds (as last written) and what it should hold. */
export function changedFields(previous: WritebackValues | undefined, next: WritebackValues): WritebackField[] {
  // A field missing from what was written (exemptUntil, added later) was written as nothing:
  // the IdP holds no value for it, which is what an empty value means. Read so, upgrading does
  // not write every person once more.
  if (previous === undefined) return [...WRITEBACK_FIELDS];
  return WRITEBACK_FIELDS.filter((f) => (previous[f] ?? '') !== next[f]);
}
