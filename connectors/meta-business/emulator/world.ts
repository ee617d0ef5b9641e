/**
 * The emulated portfolio state with the indexes the endpoints need (assignments by asset and by
 * person), so a 10,000-member benchmark business stays fast. Every record carries a `seq`
 * (creation order) that paging cursors point at.
 */
import { resolveFixtureTime, type MetaFixture } from './fixture.ts';
import { EmailIndexedMap } from './email-index.ts';
import type { Asset, Assignment, Business, BusinessUser, EmulatorState, Invite, Share, SystemUser, Token } from './model.ts';

export type GraphNode =
  | { kind: 'business'; entity: Business }
  | { kind: 'business_user'; entity: BusinessUser }
  | { kind: 'invite'; entity: Invite }
  | { kind: 'system_user'; entity: SystemUser }
  | { kind: 'asset'; entity: Asset };

export class MetaWorld {
  businesses = new Map<string, Business>();
  tokens = new Map<string, Token>();
  users = new EmailIndexedMap<BusinessUser>();
  invites = new EmailIndexedMap<Invite>();
  systemUsers = new Map<string, SystemUser>();
  assets = new Map<string, Asset>();
  /** assetId → userId → assignment */
  assignmentsByAsset = new Map<string, Map<string, Assignment>>();
  /** userId → assetIds */
  assetsByUser = new Map<string, Set<string>>();
  /** assetId → partnerBusinessId → share */
  sharesByAsset = new Map<string, Map<string, Share>>();
  private seqCounter = 0;
  private idCounter = 0;

  constructor(private readonly now: () => number) {}

  nextSeq(): number {
    return ++this.seqCounter;
  }

  /** New numeric ids, distinct from fixture ids (16 digits, below 2^53). */
  nextId(): string {
    let id: string;
    do id = String(6100000000000000 + ++this.idCounter);
    while (this.resolve(id));
    return id;
  }

  /** The seq and id counters: a world restored from a file (world-file.ts) must never reuse one. */
  counters(): { seq: number; id: number } {
    return { seq: this.seqCounter, id: this.idCounter };
  }

  restoreCounters(counters: { seq: number; id: number }): void {
    this.seqCounter = counters.seq;
    this.idCounter = counters.id;
  }

  seed(fixture: MetaFixture): void {
    const now = this.now();
    const t = (v: string | number | undefined) => resolveFixtureTime(v, now);
    for (const map of [this.businesses, this.tokens, this.users, this.invites, this.systemUsers, this.assets, this.assignmentsByAsset, this.assetsByUser, this.sharesByAsset]) {
      map.clear();
    }
    for (const b of fixture.businesses) {
      this.businesses.set(b.id, { id: b.id, name: b.name, two_factor_type: b.two_factor_type ?? 'none', vertical: b.vertical, created_time: t(b.created_time) });
    }
    for (const k of fixture.tokens) {
      this.tokens.set(k.value, { ...k, scopes: [...k.scopes], expiresAt: k.expiresAt === null ? null : t(k.expiresAt) });
    }
    for (const u of fixture.businessUsers) {
      const tasks = [...(u.tasks ?? defaultTasks(u.role))];
      // A fixture's own finance_permission stands (the sandbox's Frank); else it follows the role.
      const finance = u.finance_permission ?? financePermission(u.role, tasks);
      this.users.set(u.id, { ...u, tasks, ...(finance ? { finance_permission: finance } : {}), created_time: t(u.created_time), seq: this.nextSeq() });
    }
    for (const i of fixture.invites) {
      const created = t(i.created_time);
      this.invites.set(i.id, {
        id: i.id, businessId: i.businessId, email: i.email, role: i.role, tasks: [...(i.tasks ?? defaultTasks(i.role))],
        status: i.status, created_time: created, updated_time: created, expiration_time: t(i.expiration_time),
        createdBy: i.createdBy, invited_user_type: ['FB'], seq: this.nextSeq(),
      });
    }
    for (const s of fixture.systemUsers) this.systemUsers.set(s.id, { ...s, created_time: t(s.created_time), seq: this.nextSeq() });
    for (const a of fixture.assets) this.assets.set(a.id, { ...a, created_time: t(a.created_time), seq: this.nextSeq() });
    fixture.assignments.forEach((a, i) => {
      if (!this.assets.has(a.assetId)) throw new Error(`meta emulator fixture: assignments[${i}]: asset ${a.assetId} is not in assets`);
      if (!this.person(a.userId)) throw new Error(`meta emulator fixture: assignments[${i}]: user ${a.userId} is neither a business user nor a system user`);
      this.assign(a.assetId, a.userId, a.tasks);
    });
    fixture.tokens.forEach((k, i) => {
      if (!this.businesses.has(k.businessId)) throw new Error(`meta emulator fixture: tokens[${i}]: business ${k.businessId} is not in businesses`);
    });
    for (const s of fixture.shares) {
      if (!this.assets.has(s.assetId) || !this.businesses.has(s.partnerBusinessId)) {
        throw new Error(`meta emulator fixture: share of ${s.assetId} with ${s.partnerBusinessId}: unknown asset or business`);
      }
      const requested = t(s.access_requested_time);
      this.putShare({ assetId: s.assetId, partnerBusinessId: s.partnerBusinessId, permittedTasks: [...s.permittedTasks], accessStatus: s.accessStatus, access_requested_time: requested, access_updated_time: requested, seq: this.nextSeq() });
    }
  }

  resolve(id: string): GraphNode | undefined {
    const business = this.businesses.get(id);
    if (business) return { kind: 'business', entity: business };
    const user = this.users.get(id);
    if (user) return { kind: 'business_user', entity: user };
    const invite = this.invites.get(id);
    if (invite) return { kind: 'invite', entity: invite };
    const systemUser = this.systemUsers.get(id);
    if (systemUser) return { kind: 'system_user', entity: systemUser };
    const asset = this.assets.get(id);
    if (asset) return { kind: 'asset', entity: asset };
    return undefined;
  }

  /** A business user or system user, the two kinds that can hold asset tasks (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/ad-account/assigned_users). */
  person(id: string): { businessId: string; name: string; userType: 'BUSINESS_USER' | 'SYSTEM_USER' } | undefined {
    const u = this.users.get(id);
    if (u) return { businessId: u.businessId, name: u.name, userType: 'BUSINESS_USER' };
    const s = this.systemUsers.get(id);
    if (s) return { businessId: s.businessId, name: s.name, userType: 'SYSTEM_USER' };
    return undefined;
  }

  /** An invite's status; a PENDING one past its expiration_time becomes EXPIRED (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/pending_users). */
  inviteStatus(invite: Invite): Invite['status'] {
    if (invite.status === 'PENDING' && invite.expiration_time <= this.now()) {
      invite.status = 'EXPIRED';
      invite.updated_time = invite.expiration_time;
    }
    return invite.status;
  }

  assign(assetId: string, userId: string, tasks: string[]): void {
    let byUser = this.assignmentsByAsset.get(assetId);
    if (!byUser) this.assignmentsByAsset.set(assetId, (byUser = new Map()));
    const existing = byUser.get(userId);
    if (existing) existing.tasks = [...tasks];
    else byUser.set(userId, { assetId, userId, tasks: [...tasks], seq: this.nextSeq() });
    let assets = this.assetsByUser.get(userId);
    if (!assets) this.assetsByUser.set(userId, (assets = new Set()));
    assets.add(assetId);
  }

  unassign(assetId: string, userId: string): boolean {
    const removed = this.assignmentsByAsset.get(assetId)?.delete(userId) ?? false;
    this.assetsByUser.get(userId)?.delete(assetId);
    return removed;
  }

  assignmentsOf(userId: string): Assignment[] {
    const out: Assignment[] = [];
    for (const assetId of this.assetsByUser.get(userId) ?? []) {
      const a = this.assignmentsByAsset.get(assetId)?.get(userId);
      if (a) out.push(a);
    }
    return out.sort((x, y) => x.seq - y.seq);
  }

  /** Removing a person removes the access granted through the business (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business-user, https://developers.facebook.com/docs/business-management-apis/business-manager/get-started). */
  removeUser(userId: string): void {
    for (const assetId of [...(this.assetsByUser.get(userId) ?? [])]) this.unassign(assetId, userId);
    this.assetsByUser.delete(userId);
    this.users.delete(userId);
  }

  putShare(share: Share): void {
    let byPartner = this.sharesByAsset.get(share.assetId);
    if (!byPartner) this.sharesByAsset.set(share.assetId, (byPartner = new Map()));
    byPartner.set(share.partnerBusinessId, share);
  }

  /** Unsharing also drops the partner's people from the asset. */
  removeShare(assetId: string, partnerBusinessId: string): boolean {
    const removed = this.sharesByAsset.get(assetId)?.delete(partnerBusinessId) ?? false;
    for (const a of [...(this.assignmentsByAsset.get(assetId)?.values() ?? [])]) {
      if (this.person(a.userId)?.businessId === partnerBusinessId) this.unassign(assetId, a.userId);
    }
    return removed;
  }

  /** The businesses with access to an asset: its owner and partners with a confirmed share. */
  hasAccess(asset: Asset, businessId: string): boolean {
    if (asset.ownerBusinessId === businessId) return true;
    return this.sharesByAsset.get(asset.id)?.get(businessId)?.accessStatus === 'CONFIRMED';
  }

  snapshot(): EmulatorState {
    for (const i of this.invites.values()) this.inviteStatus(i);
    const copy = <T>(v: T): T => structuredClone(v);
    return {
      businesses: copy([...this.businesses.values()]),
      tokens: copy([...this.tokens.values()]),
      users: copy([...this.users.values()]),
      invites: copy([...this.invites.values()]),
      systemUsers: copy([...this.systemUsers.values()]),
      assets: copy([...this.assets.values()]),
      assignments: copy([...this.assignmentsByAsset.values()].flatMap((m) => [...m.values()]).sort((a, b) => a.seq - b.seq)),
      shares: copy([...this.sharesByAsset.values()].flatMap((m) => [...m.values()]).sort((a, b) => a.seq - b.seq)),
    };
  }
}

/**
 * Tasks implied by a role when none are given. [INF] https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business-user: ADMIN ⇔ MANAGE, anything else
 * is basic access (DEFAULT) plus the role itself when it is an add-on (FINANCE_EDITOR, DEVELOPER…).
 */
export function defaultTasks(role: string): string[] {
  if (role === 'ADMIN') return ['MANAGE'];
  if (role === 'EMPLOYEE' || role === 'DEFAULT') return ['DEFAULT'];
  return ['DEFAULT', role];
}

/** The base role the `business_users` edge reports: Admin or Employee only (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users, https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business-user). */
export function baseRole(role: string, tasks: string[]): 'ADMIN' | 'EMPLOYEE' {
  return role === 'ADMIN' || role === 'MANAGE' || tasks.includes('MANAGE') || tasks.includes('ADMIN') ? 'ADMIN' : 'EMPLOYEE';
}

/**
 * `finance_permission` after a role or tasks write. [INF] Meta's business-user reference lists the field with values
 * such as EDITOR and ANALYST (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business-user)
 * but no rule tying it to `role`/`tasks`; the emulator keeps the finance add-on in both places
 * (FINANCE_EDITOR → EDITOR, FINANCE_ANALYST → ANALYST, none otherwise) so its state never
 * contradicts itself: setting EMPLOYEE or ADMIN drops a finance permission (connector README).
 */
export function financePermission(role: string, tasks: string[]): 'EDITOR' | 'ANALYST' | undefined {
  if (role === 'FINANCE_EDITOR' || tasks.includes('FINANCE_EDITOR')) return 'EDITOR';
  if (role === 'FINANCE_ANALYST' || tasks.includes('FINANCE_ANALYST')) return 'ANALYST';
  return undefined;
}
