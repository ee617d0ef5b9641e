/**
 * The custom properties hubwarden keeps in an Okta org's default user schema
 * (https://developer.okta.com/docs/reference/api/schemas/): what is sent for each, and how an
 * existing one is read (okta-target.ts).
 */
import { WRITEBACK_STATUSES, type WritebackField } from './attributes.ts';

export function withoutOptionalFields(p: Record<string, unknown>): Record<string, unknown> {
  const { description: _d, master: _m, ...rest } = p;
  return rest;
}

/** Without `enum`, and without the `oneOf` display names that only go with one (okta-sdk-nodejs UserSchemaAttribute `oneOf`). */
export function withoutEnum(p: Record<string, unknown>): Record<string, unknown> {
  const { enum: _e, oneOf: _o, ...rest } = p;
  return rest;
}

/** A custom property of the default user schema as read (Okta UserSchema attribute). */
export interface ExistingProperty { type?: string; enum?: unknown; oneOf?: unknown; minLength?: unknown; maxLength?: unknown; permissions?: unknown }

/**
 * What is sent for an attribute of ours that exists: never an `enum` that lacks a value someone
 * may hold. A schema POST replaced the enum of one made by an older hubwarden release or edited
 * by an admin with ours alone, leaving people who held a value only it had outside the list (Okta
 * validates profile values against the enum: "The value of the property is limited to one of the
 * values specified in the enum definition", okta-sdk-nodejs UserSchemaAttribute `enum`). So the
 * existing enum is sent with ours that it lacks after it, in its order; one with no enum at all
 * (an org that refuses `enum`, or one made by hand) gets none, since any value may be held there.
 * Display names in `oneOf` stay as read, with one for each value added ("When `enum` is used in
 * conjunction with `oneOf`, you must keep the set of enumerated values and their order":
 * okta-sdk-nodejs UserSchemaAttribute `oneOf`, https://developer.okta.com/docs/reference/api/schemas/).
 */
export function keepingHeldValues<P extends { enum?: string[] }>(wanted: P, have: ExistingProperty | undefined): P {
  if (wanted.enum === undefined || have === undefined) return wanted;
  if (!Array.isArray(have.enum)) return withoutEnum(wanted) as P;
  const held = have.enum as unknown[];
  const added = wanted.enum.filter((v) => !held.includes(v));
  const union = { ...wanted, enum: [...held, ...added] } as P;
  if (!Array.isArray(have.oneOf)) return union;
  return { ...union, oneOf: [...have.oneOf, ...added.map((v) => ({ const: v, title: v }))] };
}

/** The property's SELF permission is READ_ONLY or HIDE (Okta UserSchema attribute `permissions`). */
export function selfReadOnly(permissions: unknown): boolean {
  if (!Array.isArray(permissions)) return false;
  const self = permissions.find((p) => (p as { principal?: unknown })?.principal === 'SELF') as { action?: unknown } | undefined;
  return self?.action === 'READ_ONLY' || self?.action === 'HIDE';
}

/** A custom property of the default user schema (Okta UserSchema attribute). */
export function propertyFor(hubId: string, field: WritebackField): { title: string; description: string; type: 'string'; enum?: string[]; maxLength?: number; permissions: unknown[]; master: { type: string } } {
  const base = {
    title: `hubwarden ${hubId} ${field}`,
    description: `Written by hubwarden: ${field} of this person on hub ${hubId}`,
    type: 'string' as const,
    // People may see their standing, never change it (Okta UserSchema permissions).
    permissions: [{ principal: 'SELF', action: 'READ_ONLY' }],
    // Okta-mastered even when the profile is sourced from AD/HR (attribute-level mastering), so
    // the update is not refused with E0000023 where the org allows it (https://developer.okta.com/docs/reference/api/schemas/).
    master: { type: 'OKTA' },
  };
  return field === 'status' ? { ...base, enum: [...WRITEBACK_STATUSES] } : { ...base, maxLength: 1024 };
}

