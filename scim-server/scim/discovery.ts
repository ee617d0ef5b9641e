import { ENTERPRISE_ATTRIBUTES, ENTERPRISE_SCHEMA, GROUP_ATTRIBUTES, GROUP_SCHEMA, HUB_ATTRIBUTES, HUB_SCHEMA, USER_ATTRIBUTES, USER_SCHEMA, type AttributeDef } from './attributes.ts';
import type { ScimObject } from './resources/normalize.ts';

/**
 * Discovery documents (RFC 7644 §4, RFC 7643 §5–7): ServiceProviderConfig, ResourceTypes (Users
 * first: the MS suite reads `Resources[0].endpoint`), Schemas (camelCase, no nulls, the RFC's
 * "User Account" description: https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups).
 */
export function serviceProviderConfig(hubBaseUrl: string): ScimObject {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    documentationUri: 'https://datatracker.ietf.org/doc/html/rfc7644',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: 1000 },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: true },
    authenticationSchemes: [
      { type: 'oauthbearertoken', name: 'OAuth Bearer Token', description: 'A per-hub bearer token (hubs[].scim.tokens) or a JWT from the hub\'s configured issuer (hubs[].scim.jwt).', primary: true },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${hubBaseUrl}/ServiceProviderConfig` },
  };
}

export function resourceTypes(hubBaseUrl: string): ScimObject[] {
  return [
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'User', name: 'User', endpoint: '/Users', description: 'User Account', schema: USER_SCHEMA,
      schemaExtensions: [{ schema: ENTERPRISE_SCHEMA, required: false }, { schema: HUB_SCHEMA, required: false }],
      meta: { resourceType: 'ResourceType', location: `${hubBaseUrl}/ResourceTypes/User` },
    },
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'Group', name: 'Group', endpoint: '/Groups', description: 'Group', schema: GROUP_SCHEMA, schemaExtensions: [],
      meta: { resourceType: 'ResourceType', location: `${hubBaseUrl}/ResourceTypes/Group` },
    },
  ];
}

function attribute(def: AttributeDef): ScimObject {
  const out: ScimObject = {
    name: def.name,
    type: def.type,
    multiValued: def.multiValued ?? false,
    description: def.description ?? `${def.name}`,
    required: def.required ?? false,
    caseExact: def.caseExact ?? false,
    mutability: def.mutability ?? 'readWrite',
    returned: def.returned ?? 'default',
    uniqueness: def.uniqueness ?? 'none',
  };
  if (def.type === 'reference') out.referenceTypes = def.referenceTypes ?? ['external'];
  if (def.subAttributes) out.subAttributes = def.subAttributes.map(attribute);
  return out;
}

const SCHEMAS: Array<{ id: string; name: string; description: string; attributes: AttributeDef[] }> = [
  { id: USER_SCHEMA, name: 'User', description: 'User Account', attributes: USER_ATTRIBUTES },
  { id: GROUP_SCHEMA, name: 'Group', description: 'Group', attributes: GROUP_ATTRIBUTES },
  { id: ENTERPRISE_SCHEMA, name: 'EnterpriseUser', description: 'Enterprise User', attributes: ENTERPRISE_ATTRIBUTES },
  { id: HUB_SCHEMA, name: 'HubMember', description: 'The member\'s state in the business hub (read-only, maintained by hubwarden)', attributes: HUB_ATTRIBUTES },
];

export function schemas(hubBaseUrl: string): ScimObject[] {
  return SCHEMAS.map((s) => ({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
    id: s.id,
    name: s.name,
    description: s.description,
    attributes: s.attributes.map(attribute),
    meta: { resourceType: 'Schema', location: `${hubBaseUrl}/Schemas/${s.id}` },
  }));
}
