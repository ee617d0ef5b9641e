import { randomUUID } from 'node:crypto';
import { GRAPH_ERRORS } from './graph-error.ts';

/**
 * The tenant's objects the emulator keeps: app registrations with their directory extension
 * definitions, and users with their extension values. Rules follow the Graph reference
 * (https://learn.microsoft.com/graph/extensibility-overview): an extension is named `extension_<appId without dashes>_<name>`,
 * String values hold at most 256 characters, `null` removes a value, and a user can only be given
 * properties that are declared or registered as extensions.
 */
export interface GraphSeedUser {
  id?: string;
  userPrincipalName: string;
  displayName?: string;
  mail?: string;
  extensions?: Record<string, unknown>;
}

export interface GraphUser {
  id: string;
  userPrincipalName: string;
  displayName?: string;
  mail?: string;
  [property: string]: unknown;
}

/**
 * An extension property as created and listed: the fields of the create body and the `name` Graph
 * gives back (Create extensionProperty). [INF] Graph's other fields of the resource (`id`,
 * `appDisplayName`, `deletedDateTime`, `isSyncedFromOnPremises`) are not in the documentation cited
 * in docs/writeback.md; the emulator used to make them up, and sends none.
 */
export interface ExtensionProperty {
  name: string;
  dataType: string;
  isMultiValued: boolean;
  targetObjects: string[];
}

export interface GraphApplication {
  id: string;
  appId: string;
  displayName: string;
  extensionProperties: ExtensionProperty[];
  /** AppIds of the service principals that own the registration (Application.ReadWrite.OwnedBy). */
  owners: string[];
}

const MAX_EXTENSION_VALUES = 100;
const DATA_TYPES = new Set(['Binary', 'Boolean', 'DateTime', 'Integer', 'LargeInteger', 'String']);
const TARGETS = new Set(['User', 'Group', 'AdministrativeUnit', 'Application', 'Device', 'Organization']);
/** What a create of an extension property carries (the request body of https://learn.microsoft.com/graph/api/application-post-extensionproperty: `name`, `dataType`, `isMultiValued`, `targetObjects`). */
const CREATE_FIELDS = new Set(['name', 'dataType', 'isMultiValued', 'targetObjects']);
/** User properties a PATCH may set besides extensions (enough for tests). */
const USER_PROPERTIES = new Set(['displayName', 'mail', 'jobTitle', 'department', 'givenName', 'surname', 'officeLocation', 'employeeId']);
const DEFAULT_SELECT = ['id', 'displayName', 'userPrincipalName', 'mail', 'givenName', 'surname', 'jobTitle'];
/** Declared user properties the emulator knows (lower case, for $select). */
const DECLARED = new Set([...USER_PROPERTIES, ...DEFAULT_SELECT, 'accountEnabled'].map((p) => p.toLowerCase()));

export class GraphDirectory {
  readonly applications: GraphApplication[] = [];
  readonly users = new Map<string, GraphUser>();
  /** Test fault: another wording of the duplicate-name 400 (the emulator's own is unconfirmed). */
  duplicateExtensionMessage: string | undefined;

  /** `exactExtensionNames`: names keep the appId's case and match exactly; `idOnly`: no UPN addressing (GraphReadings). */
  constructor(private readonly reading: { exactExtensionNames?: boolean; idOnly?: boolean } = {}) {}

  private sameName(a: string, b: string): boolean {
    return this.reading.exactExtensionNames ? a === b : a.toLowerCase() === b.toLowerCase();
  }

  addApplication(appId: string, displayName = `app ${appId}`, objectId: string = randomUUID(), owners: string[] = []): GraphApplication {
    const app: GraphApplication = { id: objectId, appId, displayName, extensionProperties: [], owners };
    this.applications.push(app);
    return app;
  }

  addUser(seed: GraphSeedUser): GraphUser {
    const user: GraphUser = { id: seed.id ?? randomUUID(), userPrincipalName: seed.userPrincipalName, displayName: seed.displayName ?? seed.userPrincipalName, mail: seed.mail ?? seed.userPrincipalName, ...seed.extensions };
    this.users.set(user.id, user);
    return user;
  }

  /** `/applications(appId='…')` or `/applications/{objectId}`. */
  application(by: { appId?: string; objectId?: string }): GraphApplication {
    const app = this.applications.find((a) => (by.appId !== undefined ? a.appId === by.appId : a.id === by.objectId));
    if (!app) throw GRAPH_ERRORS.notFound(by.appId ?? by.objectId ?? '');
    return app;
  }

  createExtension(app: GraphApplication, body: unknown): ExtensionProperty {
    const b = (body ?? {}) as Record<string, unknown>;
    // [INF] Only the properties of the documented create body: Graph does not say what it makes of
    // another, so the strict answer, a refusal, as for a user PATCH. Taken silently before, a
    // misspelt `isMultivalued` or `targetObject` created an extension other than the one meant.
    for (const key of Object.keys(b)) if (!CREATE_FIELDS.has(key)) throw GRAPH_ERRORS.badRequest(`Property '${key}' does not exist as a declared property or extension property.`);
    if (b.isMultiValued !== undefined && typeof b.isMultiValued !== 'boolean') throw GRAPH_ERRORS.badRequest("Invalid value specified for property 'isMultiValued' of resource 'ExtensionProperty'.");
    if (typeof b.name !== 'string' || !/^[A-Za-z0-9_]{1,100}$/.test(b.name)) throw GRAPH_ERRORS.badRequest("Invalid value specified for property 'name' of resource 'ExtensionProperty'.");
    if (typeof b.dataType !== 'string' || !DATA_TYPES.has(b.dataType)) throw GRAPH_ERRORS.badRequest("Invalid value specified for property 'dataType' of resource 'ExtensionProperty'.");
    const targets = b.targetObjects;
    if (!Array.isArray(targets) || targets.length === 0 || targets.some((t) => !TARGETS.has(t as string))) throw GRAPH_ERRORS.badRequest("Invalid value specified for property 'targetObjects' of resource 'ExtensionProperty'.");
    const appId = app.appId.replace(/-/g, '');
    const name = `extension_${this.reading.exactExtensionNames ? appId : appId.toLowerCase()}_${b.name}`;
    if (app.extensionProperties.some((e) => this.sameName(e.name, name))) throw GRAPH_ERRORS.duplicateExtension(name, this.duplicateExtensionMessage);
    const ext: ExtensionProperty = { name, dataType: b.dataType, isMultiValued: b.isMultiValued === true, targetObjects: targets as string[] };
    app.extensionProperties.push(ext);
    return ext;
  }

  private extension(name: string): ExtensionProperty | undefined {
    for (const app of this.applications) {
      const ext = app.extensionProperties.find((e) => this.sameName(e.name, name) && e.targetObjects.includes('User'));
      if (ext) return ext;
    }
    return undefined;
  }

  /** `/users/{id | userPrincipalName}` (UPN compared case-insensitively, as Entra does). */
  user(idOrUpn: string): GraphUser {
    const byId = this.users.get(idOrUpn);
    if (byId) return byId;
    if (this.reading.idOnly) throw GRAPH_ERRORS.notFound(idOrUpn);
    const wanted = idOrUpn.toLowerCase();
    for (const u of this.users.values()) if (u.userPrincipalName.toLowerCase() === wanted) return u;
    throw GRAPH_ERRORS.notFound(idOrUpn);
  }

  /**
   * `$select`: a name that is neither a user property nor a registered extension is refused (400),
   * as Graph refuses an unknown property. [INF] A registered extension the user holds no value for
   * is left out of the answer (Graph stores no null for it); a declared property without a value
   * reads as null.
   */
  select(user: GraphUser, select: string | undefined): Record<string, unknown> {
    const fields = select ? select.split(',').map((s) => s.trim()).filter(Boolean) : DEFAULT_SELECT;
    const out: Record<string, unknown> = {};
    for (const f of fields) {
      const key = Object.keys(user).find((k) => k.toLowerCase() === f.toLowerCase());
      if (key !== undefined) out[f] = user[key];
      else if (this.extension(f)) continue;
      else if (DECLARED.has(f.toLowerCase())) out[f] = null;
      else throw GRAPH_ERRORS.badRequest(`Could not find a property named '${f}' on type 'microsoft.graph.user'.`);
    }
    return out;
  }

  /** Validates every property before changing any: a refused PATCH changes nothing. */
  patchUser(user: GraphUser, body: unknown): void {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw GRAPH_ERRORS.badRequest('Empty Payload. JSON content expected.');
    const changes: Array<[string, unknown]> = [];
    for (const [name, value] of Object.entries(body)) {
      if (USER_PROPERTIES.has(name)) {
        changes.push([name, value]);
        continue;
      }
      const ext = this.extension(name);
      if (!ext) throw GRAPH_ERRORS.unknownProperty(name);
      if (value !== null && !(ext.isMultiValued ? Array.isArray(value) && value.every((v) => fitsDataType(ext.dataType, v)) : fitsDataType(ext.dataType, value))) {
        throw GRAPH_ERRORS.badRequest(`Invalid value specified for property '${name}' of resource 'User'.`);
      }
      changes.push([ext.name, ext.dataType === 'DateTime' && value !== null ? inUtc(value) : value]);
    }
    // "At most 100 extension values can be written to any single object, counted across all apps"
    // (extensionProperty resource). [INF] Graph's wording for this refusal is not in that reference
    // (https://github.com/microsoftgraph/microsoft-graph-docs-contrib/blob/main/api-reference/v1.0/resources/extensionproperty.md).
    const held = new Set(Object.keys(user).filter((k) => k.startsWith('extension_')));
    for (const [name, value] of changes) if (name.startsWith('extension_')) (value === null ? held.delete(name) : held.add(name));
    if (held.size > MAX_EXTENSION_VALUES) throw GRAPH_ERRORS.badRequest(`The user would hold ${held.size} directory extension values; at most ${MAX_EXTENSION_VALUES} are allowed.`);
    for (const [name, value] of changes) {
      if (value === null) delete user[name];
      else user[name] = value;
    }
  }
}

/**
 * A single value of a directory extension's data type (extensionProperty resource: Binary 256 bytes,
 * Boolean, DateTime in ISO 8601, Integer 32-bit, LargeInteger 64-bit, String 256 characters).
 * [INF] Binary is sent base64-encoded (JSON has no bytes) and LargeInteger as a JSON number.
 */
function fitsDataType(dataType: string, value: unknown): boolean {
  switch (dataType) {
    case 'String': return typeof value === 'string' && value.length <= 256;
    case 'Boolean': return typeof value === 'boolean';
    case 'Integer': return Number.isInteger(value) && (value as number) >= -(2 ** 31) && (value as number) < 2 ** 31;
    case 'LargeInteger': return Number.isSafeInteger(value);
    case 'DateTime': return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) && !Number.isNaN(Date.parse(value));
    case 'Binary': return typeof value === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(value) && value.length % 4 === 0 && Buffer.from(value, 'base64').length <= 256;
    default: return false;
  }
}

/**
 * A DateTime value as stored: "stored in UTC" (extensionProperty resource), so an offset is
 * converted. [INF] Read back in ISO 8601 with `Z`, whole seconds without fractional digits.
 */
function inUtc(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(inUtc);
  return typeof value === 'string' ? new Date(value).toISOString().replace(/\.000Z$/, 'Z') : value;
}
