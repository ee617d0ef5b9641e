/** The schema URNs (RFC 7643 §8.7.1, RFC 7644 §3.5.2, §3.4.2, §3.12) and IdP client headers the SCIM replays send and expect. */
export const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
/** Okta's provisioning client (https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/). */
export const OKTA = { 'user-agent': 'Okta SCIM Client 1.0.0' };
/** Entra's provisioning client (https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups). */
export const ENTRA = { 'user-agent': 'Azure Active Directory SCIM Client', 'content-type': 'application/scim+json' };
