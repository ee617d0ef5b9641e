import type { z } from 'zod';
import type {
  AppAsset, AppInvite, AppMember, AppPartner, AppSystemUser, AssetAssignment, AssetRef, AssetType,
  ChangeResult, CredentialHealth, Page, PartnerUser, RateLimitState,
} from './hub-model.ts';

/** What `create` receives besides the connector's validated config. */
export interface ConnectorContext {
  /** Structured logger (winston-compatible subset); never pass secrets in meta. */
  log: { debug(msg: string, meta?: object): void; info(msg: string, meta?: object): void; warn(msg: string, meta?: object): void; error(msg: string, meta?: object): void };
  /** Injectable fetch (tests, proxies); defaults to global fetch. */
  fetch?: typeof fetch;
  /** Called once per HTTP call made to the provider (metrics, benchmarks). */
  onCall?: (call: { method: string; path: string; status: number; ms: number; operations?: number }) => void;
}

/**
 * A connector instance for one hub. A capability exists when its method exists. Listing methods return one page per call; the agent drives pagination with the opaque
 * `cursor`. Change methods are idempotent: "already exists" on grant and "not found" on revoke
 * return 'already-done'. Failures throw ConnectorError.
 */
export interface HubConnector {
  readonly id: string;

  listMembers?(cursor?: string): Promise<Page<AppMember>>;
  listInvites?(cursor?: string): Promise<Page<AppInvite>>;
  listSystemUsers?(cursor?: string): Promise<Page<AppSystemUser>>;
  listAssets?(type: AssetType, cursor?: string): Promise<Page<AppAsset>>;
  /**
   * Every assignment on the given assets (at most `limits.assetsPerAssignmentRead` of them; the
   * agent chunks). The one listing that is not paged by the caller: per-asset lists are small and
   * the connector reads them in batch requests, following any per-asset next pages itself.
   */
  listAssignments?(assets: AssetRef[]): Promise<AssetAssignment[]>;
  listPartners?(cursor?: string): Promise<Page<AppPartner>>;
  /** A partner's own people on our shared assets, with the partner's token (native partner). */
  listPartnerUsers?(partnerBusinessId: string): Promise<PartnerUser[]>;
  /**
   * A targeted re-read of one person, when a change failed because the app moved under the plan
   * (stale view): their seat (by `memberId`, else found by `email`), their invites (by email), and
   * their assignments on `assets`; assets that are gone or no longer visible are in `missingAssets`.
   */
  readPerson?(input: { email?: string; memberId?: string; assets?: AssetRef[] }): Promise<PersonReading>;

  /**
   * Invites a person. `already-done` when the email has a pending invite (its id) or is already a
   * member: then `inviteId` is '' and `memberId` may name the member.
   * `firstAttempt`: the caller vouches that no earlier attempt of this invite may have reached the
   * app and its complete snapshot lists no invite or seat for the email, so the connector may skip
   * its look-up for an existing invite (one call less per invite). Absent: look first.
   * A `done` invite's id may be a provisional `pending:<email>` (the connector resolves the real
   * id by email when it is first needed: changeInviteRole, cancelInvite, reinvite).
   */
  invite?(input: { email: string; role: string; tasks?: string[]; firstAttempt?: boolean }): Promise<{ result: ChangeResult; inviteId: string; memberId?: string }>;
  changeMemberRole?(memberId: string, role: string): Promise<ChangeResult>;
  changeInviteRole?(inviteId: string, role: string): Promise<ChangeResult>;
  removeMember?(memberId: string): Promise<ChangeResult>;
  cancelInvite?(inviteId: string): Promise<ChangeResult>;
  /** Cancel + invite again (Meta has no resend endpoint, https://developers.facebook.com/docs/business-management-apis/business-manager/get-started). */
  reinvite?(input: { inviteId: string; email: string; role: string; tasks?: string[] }): Promise<{ result: ChangeResult; inviteId: string; memberId?: string }>;
  /** Assigns exactly `tasks` (upsert) to a member on an asset. */
  assignAsset?(input: { asset: AssetRef; userId: string; tasks: string[] }): Promise<ChangeResult>;
  unassignAsset?(input: { asset: AssetRef; userId: string }): Promise<ChangeResult>;
  shareAsset?(input: { asset: AssetRef; partnerBusinessId: string; tasks: string[] }): Promise<ChangeResult>;
  unshareAsset?(input: { asset: AssetRef; partnerBusinessId: string }): Promise<ChangeResult>;

  checkCredential?(): Promise<CredentialHealth>;
  rateLimits?(): RateLimitState;

  /** Connector-specific knowledge the planner needs (e.g. Meta's supported task bundles). */
  readonly limits: {
    assetsPerAssignmentRead: number;
  };
  /** Is this set of tasks on this asset type one the app accepts? (Meta: 100/1752129 otherwise.) */
  isSupportedTaskSet?(type: AssetType, tasks: string[]): boolean;
  /** The supported task bundle that covers all given bundles with the least extra (weighted union). */
  unionTasks?(type: AssetType, bundles: string[][]): string[];
  /** Compare app roles: > 0 when a outranks b (ADMIN over EMPLOYEE). */
  compareRoles?(a: string, b: string): number;
}

/** What `readPerson` found: complete for that person (no member or invite listed = none). */
export interface PersonReading {
  members: AppMember[];
  invites: AppInvite[];
  assignments: AssetAssignment[];
  missingAssets: AssetRef[];
}

export interface ConnectorDefinition<S extends z.ZodType = z.ZodType> {
  id: string;
  label: string;
  config: S;
  create(config: z.infer<S>, context: ConnectorContext): HubConnector;
}

/** Connectors are values: declared with this, listed explicitly in connectors/registry.ts. */
export function defineConnector<S extends z.ZodType>(definition: ConnectorDefinition<S>): ConnectorDefinition<S> {
  return definition;
}

/** Which optional methods a connector instance implements. */
export function capabilitiesOf(connector: HubConnector): string[] {
  const names: Array<keyof HubConnector> = [
    'listMembers', 'listInvites', 'listSystemUsers', 'listAssets', 'listAssignments', 'listPartners', 'listPartnerUsers', 'readPerson',
    'invite', 'changeMemberRole', 'changeInviteRole', 'removeMember', 'cancelInvite', 'reinvite',
    'assignAsset', 'unassignAsset', 'shareAsset', 'unshareAsset', 'checkCredential',
  ];
  return names.filter((n) => typeof connector[n] === 'function');
}
