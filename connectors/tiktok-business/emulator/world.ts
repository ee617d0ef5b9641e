/**
 * The emulator's state and the lookups every endpoint shares. Rows keep insertion order, so
 * listings come "oldest first" in a stable order (an [INF] of the connector README).
 */
import type { Asset, Assignment, BusinessCenter, EmulatorState, MemberRow, Partnership, Share, Token } from './model.ts';

export class TikTokWorld {
  readonly bcs = new Map<string, BusinessCenter>();
  /** bc_id → rows in insertion order */
  readonly members = new Map<string, MemberRow[]>();
  readonly assets = new Map<string, Asset>();
  shares: Share[] = [];
  partnerships: Partnership[] = [];
  assignments: Assignment[] = [];
  readonly tokens = new Map<string, Token>();
  /** lower-cased email → user_id: one person keeps one user id across BCs */
  readonly people = new Map<string, string>();
  #nextUserId = 7_200_000_000_000_000_000n;

  /** The next user id to hand out (saved with the world, so no id is handed out twice). */
  nextUserId(): string {
    return String(this.#nextUserId);
  }

  restoreNextUserId(next: string): void {
    this.#nextUserId = BigInt(next);
  }

  seed(state: EmulatorState): void {
    this.bcs.clear();
    this.members.clear();
    this.assets.clear();
    this.tokens.clear();
    this.people.clear();
    for (const bc of state.businessCenters) this.bcs.set(bc.bc_id, { ...bc });
    for (const row of state.members) {
      this.rowsOf(row.bc_id).push({ ...row, user_email: row.user_email });
      if (row.user_id) this.people.set(row.user_email.toLowerCase(), row.user_id);
    }
    for (const a of state.assets) this.assets.set(a.asset_id, { ...a });
    this.shares = state.shares.map((s) => ({ ...s }));
    this.partnerships = state.partnerships.map((p) => ({ ...p }));
    this.assignments = state.assignments.map((a) => ({ ...a }));
    for (const t of state.tokens) this.tokens.set(t.value, { ...t });
  }

  snapshot(): EmulatorState {
    return structuredClone({
      businessCenters: [...this.bcs.values()],
      members: [...this.members.values()].flat(),
      assets: [...this.assets.values()],
      shares: this.shares,
      partnerships: this.partnerships,
      assignments: this.assignments,
      tokens: [...this.tokens.values()],
    });
  }

  rowsOf(bcId: string): MemberRow[] {
    let rows = this.members.get(bcId);
    if (!rows) {
      rows = [];
      this.members.set(bcId, rows);
    }
    return rows;
  }

  boundMember(bcId: string, userId: string): MemberRow | undefined {
    return this.rowsOf(bcId).find((r) => r.relation_status === 'BOUND' && r.user_id === userId);
  }

  /** The row for an address, compared case-insensitively; a former member's UNBOUND row only when there is no other. */
  rowByEmail(bcId: string, email: string): MemberRow | undefined {
    const key = email.toLowerCase();
    const rows = this.rowsOf(bcId).filter((r) => r.user_email.toLowerCase() === key);
    return rows.find((r) => r.relation_status !== 'UNBOUND') ?? rows[0];
  }

  removeRow(bcId: string, row: MemberRow): void {
    const rows = this.rowsOf(bcId);
    const i = rows.indexOf(row);
    if (i >= 0) rows.splice(i, 1);
  }

  /** The user id of a person, made on first acceptance and kept across BCs. */
  userIdFor(email: string): string {
    const key = email.toLowerCase();
    let id = this.people.get(key);
    if (!id) {
      id = String(this.#nextUserId++);
      while ([...this.people.values()].includes(id)) id = String(this.#nextUserId++);
      this.people.set(key, id);
    }
    return id;
  }

  /** Owned by the BC, or shared into it by a partner. */
  assetInBc(bcId: string, assetId: string): { asset: Asset; relation: 'OWNER_BC' | 'OWNER_PARTNER'; share?: Share } | undefined {
    const asset = this.assets.get(assetId);
    // A claim that is not BOUND (pending, rejected, unbound), or an asset a person owns, is listed, not held [INF #46].
    if (!asset || !claimHeld(asset)) return undefined;
    if (asset.owner_bc_id === bcId) return { asset, relation: 'OWNER_BC' };
    const share = this.shares.find((s) => s.asset_id === assetId && s.partner_bc_id === bcId);
    return share ? { asset, relation: 'OWNER_PARTNER', share } : undefined;
  }

  assetsInBc(bcId: string): Array<{ asset: Asset; relation: AssetRelation }> {
    const out: Array<{ asset: Asset; relation: AssetRelation }> = [];
    for (const asset of this.assets.values()) {
      if (asset.owner_bc_id === bcId) out.push({ asset, relation: asset.owned_by_individual ? 'OWNER_INDIVIDUAL' : 'OWNER_BC' });
      else if (claimHeld(asset) && this.shares.some((s) => s.asset_id === asset.asset_id && s.partner_bc_id === bcId)) out.push({ asset, relation: 'OWNER_PARTNER' });
    }
    return out;
  }

  assignment(bcId: string, assetId: string, userId: string): Assignment | undefined {
    return this.assignments.find((a) => a.bc_id === bcId && a.asset_id === assetId && a.user_id === userId);
  }

  dropAssignments(bcId: string, userId: string): void {
    this.assignments = this.assignments.filter((a) => !(a.bc_id === bcId && a.user_id === userId));
  }

  arePartners(bcId: string, partnerId: string): boolean {
    return this.partnerships.some((p) => (p.bc_id === bcId && p.partner_id === partnerId) || (p.bc_id === partnerId && p.partner_id === bcId));
  }

  partnersOf(bcId: string): string[] {
    return this.partnerships.flatMap((p) => (p.bc_id === bcId ? [p.partner_id] : p.partner_id === bcId ? [p.bc_id] : []));
  }
}

/** The owning BC holds its claim on the asset (`relation_status` BOUND, or none given). */
export function claimHeld(asset: Asset): boolean {
  return !asset.owned_by_individual && (asset.relation_status === undefined || asset.relation_status === 'BOUND');
}

/** `relation_type` of an asset listed in a BC (github.com/bububa/tiktok-business `model/bc/asset_get.go`). */
export type AssetRelation = 'OWNER_BC' | 'OWNER_PARTNER' | 'OWNER_INDIVIDUAL';
