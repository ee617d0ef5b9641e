import okta from '@okta/okta-sdk-nodejs';
import { OKTA_ERRORS } from './okta-error.ts';

/**
 * The default user schema (`/api/v1/meta/schemas/user/default`). POST is a partial update of
 * `definitions.custom.properties`: properties sent are added or replaced, a property sent as
 * `null` is removed, the rest stay (okta-sdk-nodejs SchemaApi docstring; https://developer.okta.com/docs/reference/api/schemas/).
 */
export interface SchemaProperty {
  title: string;
  type: 'string' | 'boolean' | 'number' | 'integer' | 'array';
  enum?: unknown[];
  description?: string;
  minLength?: number;
  maxLength?: number;
  permissions?: Array<{ principal: string; action: string }>;
  [key: string]: unknown;
}

/** Base profile attributes every Okta user has (a subset of the 31; enough for write-back tests). */
export const BASE_PROPERTIES = ['login', 'email', 'firstName', 'lastName', 'displayName', 'secondEmail', 'mobilePhone', 'employeeNumber', 'department', 'title'] as const;

/**
 * Base properties every user must have: Okta's default user schema lists `login`, `firstName`,
 * `lastName` and `email` as required (https://developer.okta.com/docs/reference/api/schemas/,
 * "User Profile Base subschema"). [INF] An admin may relax firstName/lastName; the emulator keeps
 * the default, the strict answer.
 */
export const REQUIRED_BASE = ['login', 'email', 'firstName', 'lastName'] as const;

/**
 * The property fields a custom-property example in Okta's UserSchema model
 * (https://developer.okta.com/docs/reference/api/schemas/) and the SDK's integration-test shape
 * (github.com/okta/okta-sdk-nodejs `test/it/mocks/user-schema-property.js`) show
 * (title, type, enum, minLength, maxLength, permissions); `readings.schemaPropertyFields:
 * 'reference-example'` refuses any other.
 */
export const REFERENCE_EXAMPLE_FIELDS = ['title', 'type', 'enum', 'minLength', 'maxLength', 'permissions'] as const;

/**
 * The fields of Okta's UserSchema attribute model, as the SDK declares them
 * (@okta/okta-sdk-nodejs `UserSchemaAttribute.getAttributeTypeMap()`: title, type, description,
 * enum, oneOf, minLength, maxLength, permissions, master, mutability, scope…). The default reading
 * (`schemaPropertyFields: 'model'`) takes these and refuses any other: a field outside the model
 * (a misspelt `maxlength`, say) was stored as sent, so a property Okta would refuse, or would
 * create without the bound meant, passed every test.
 */
export const MODEL_FIELDS: readonly string[] = okta.UserSchemaAttribute.getAttributeTypeMap().map((a) => a.baseName);

const TYPES = new Set(['string', 'boolean', 'number', 'integer', 'array']);

/**
 * [INF] What a schema POST does where Okta's documentation cited in docs/writeback.md is silent.
 * `typeChange`: a property sent with another type than the one it has is refused (default, the
 * strict answer: values already stored were checked against the old type) or taken as replaced.
 * `required`: the custom subschema's `required` list, when sent, replaces the one held (the
 * strict answer for a client: Okta's example sends `required: []` beside the properties).
 */
export interface SchemaPostReading {
  typeChange?: 'refused' | 'replaced';
}

export class OktaUserSchema {
  readonly custom = new Map<string, SchemaProperty>();
  /** The custom subschema's `required` list (names of custom properties). */
  customRequired: string[];

  constructor(initial: Record<string, SchemaProperty> = {}, required: string[] = []) {
    for (const [name, def] of Object.entries(initial)) this.custom.set(name, def);
    this.customRequired = [...required];
  }

  toJSON(baseUrl: string): Record<string, unknown> {
    const base = Object.fromEntries(BASE_PROPERTIES.map((p) => [p, { title: p, type: 'string', mutability: 'READ_WRITE', scope: 'NONE' }]));
    return {
      id: `${baseUrl}/meta/schemas/user/default`,
      $schema: 'http://json-schema.org/draft-04/schema#',
      name: 'user',
      title: 'User',
      type: 'object',
      definitions: {
        base: { id: '#base', type: 'object', properties: base, required: [...REQUIRED_BASE] },
        custom: { id: '#custom', type: 'object', properties: Object.fromEntries(this.custom), required: [...this.customRequired] },
      },
      properties: { profile: { allOf: [{ $ref: '#/definitions/custom' }, { $ref: '#/definitions/base' }] } },
    };
  }

  /**
   * Validates the whole patch first, then applies it: a bad property changes nothing. `held(name)`:
   * the values users hold for a property.
   */
  applyPartial(body: unknown, reading: SchemaPostReading = {}, held: (name: string) => unknown[] = () => []): void {
    const props = (body as any)?.definitions?.custom?.properties;
    if (props === undefined || props === null || typeof props !== 'object' || Array.isArray(props)) {
      throw OKTA_ERRORS.badRequest('definitions.custom.properties: expected an object');
    }
    const required: unknown = (body as any)?.definitions?.custom?.required;
    const causes: string[] = [];
    if (required !== undefined && !(Array.isArray(required) && required.every((r) => typeof r === 'string'))) causes.push('definitions.custom.required: expected an array of property names');
    for (const [name, def] of Object.entries(props as Record<string, unknown>)) {
      if ((BASE_PROPERTIES as readonly string[]).includes(name)) causes.push(`${name}: base properties cannot be defined in custom`);
      else if (def !== null) {
        causes.push(...validateProperty(name, def));
        // [INF] An existing property keeps its data type (values already stored were checked
        // against it); Okta's documentation cited in docs/writeback.md is silent, so the strict answer: a type change is refused.
        const have = this.custom.get(name);
        if (reading.typeChange !== 'replaced' && have && typeof def === 'object' && (def as SchemaProperty).type !== have.type) causes.push(`${name}.type: The data type of an existing property cannot be changed`);
        // [INF] Nor may its `enum` leave out a value a user holds: Okta limits a property's value to
        // one of its enum (UserSchema attribute `enum`, https://developer.okta.com/docs/reference/api/schemas/);
        // what it does with values stored before the enum changed is not documented, so the strict
        // answer: such a POST is refused (a client that narrowed an enum would strand those users).
        const newEnum = (def as SchemaProperty).enum;
        if (Array.isArray(newEnum)) {
          const stranded = [...new Set(held(name).filter((v) => v !== null && v !== undefined && !newEnum.includes(v)))];
          if (stranded.length > 0) causes.push(`${name}.enum: values held by users are not in the enum: ${JSON.stringify(stranded)}`);
        }
      }
    }
    if (causes.length > 0) throw OKTA_ERRORS.validation(causes);
    for (const [name, def] of Object.entries(props as Record<string, SchemaProperty | null>)) {
      if (def === null) this.custom.delete(name);
      else this.custom.set(name, def);
    }
    if (Array.isArray(required)) this.customRequired = [...required];
    this.customRequired = this.customRequired.filter((r) => this.custom.has(r));
  }

  /** Refuses (400 E0000001, nothing applied) a property that carries a field not in `allowed`. */
  refuseFieldsBeyond(body: unknown, allowed: readonly string[]): void {
    const props = (body as any)?.definitions?.custom?.properties;
    if (!props || typeof props !== 'object') return;
    const causes: string[] = [];
    for (const [name, def] of Object.entries(props as Record<string, unknown>)) {
      if (def && typeof def === 'object') for (const field of Object.keys(def)) if (!allowed.includes(field)) causes.push(`${name}.${field}: Unrecognized field`);
    }
    if (causes.length > 0) throw OKTA_ERRORS.validation(causes);
  }

  has(name: string): boolean {
    return (BASE_PROPERTIES as readonly string[]).includes(name) || this.custom.has(name);
  }

  /** Causes for a profile value that does not fit its property (type, enum). */
  checkValue(name: string, value: unknown): string[] {
    if (value === null) return [];
    const def = this.custom.get(name);
    if (!def) return typeof value === 'string' ? [] : [`${name}: expected a string`];
    if (!valueFits(def.type, value)) return [`${name}: Property value type does not match the schema type ${def.type}`];
    if (def.enum && !def.enum.includes(value)) return [`${name}: Does not match required enum values ${JSON.stringify(def.enum)}`];
    // [INF] The declared bounds hold (JSON Schema's minLength/maxLength, which the Okta UserSchema
    // model carries); Okta's documentation cited in docs/writeback.md gives no wording, so the cause text is ours.
    if (typeof value === 'string' && typeof def.maxLength === 'number' && value.length > def.maxLength) return [`${name}: The field is too long (maximum length ${def.maxLength})`];
    if (typeof value === 'string' && typeof def.minLength === 'number' && value.length < def.minLength) return [`${name}: The field is too short (minimum length ${def.minLength})`];
    return [];
  }
}

function validateProperty(name: string, def: unknown): string[] {
  if (typeof def !== 'object' || Array.isArray(def)) return [`${name}: expected a property definition object`];
  const d = def as Record<string, unknown>;
  const out: string[] = [];
  if (typeof d.title !== 'string' || d.title === '') out.push(`${name}.title: The field cannot be left blank`);
  if (typeof d.type !== 'string' || !TYPES.has(d.type)) out.push(`${name}.type: expected one of string, boolean, number, integer, array`);
  if (d.enum !== undefined) {
    if (!Array.isArray(d.enum) || d.enum.length === 0) out.push(`${name}.enum: expected a non-empty array`);
    // "The list of values for the enum must consist of unique elements" (Okta UserSchema attribute
    // `enum`, as @okta/okta-sdk-nodejs documents the model).
    else if (new Set(d.enum).size !== d.enum.length) out.push(`${name}.enum: values must be unique`);
    else if (typeof d.type === 'string' && d.enum.some((v) => !valueFits(d.type as string, v))) out.push(`${name}.enum: values must match type ${d.type}`);
  }
  if (d.permissions !== undefined) {
    // Okta UserSchema attribute permissions: principal SELF, action READ_ONLY | READ_WRITE | HIDE.
    const ok = Array.isArray(d.permissions) && d.permissions.every((p) => p && typeof p === 'object' && (p as any).principal === 'SELF' && PERMISSION_ACTIONS.has((p as any).action));
    if (!ok) out.push(`${name}.permissions: expected [{ principal: 'SELF', action: 'READ_ONLY' | 'READ_WRITE' | 'HIDE' }]`);
  }
  return out;
}

const PERMISSION_ACTIONS = new Set(['READ_ONLY', 'READ_WRITE', 'HIDE']);

function valueFits(type: string, value: unknown): boolean {
  switch (type) {
    case 'string': return typeof value === 'string';
    case 'boolean': return typeof value === 'boolean';
    case 'number': return typeof value === 'number';
    case 'integer': return Number.isInteger(value);
    case 'array': return Array.isArray(value);
    default: return false;
  }
}
