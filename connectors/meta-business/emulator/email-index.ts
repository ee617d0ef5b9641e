/**
 * A Map of people records (business users, invites) that also finds them by business and email,
 * so inviting into a 10,000-person business is a look-up, not a scan of everyone: the provision
 * benchmark spent a quarter of its CPU in such scans. Emails compare case-insensitively: Meta does
 * not say how it compares them (the pending_users `email` filter, a duplicate invite); that is the
 * emulator's reading, listed [INF] in the connector README. A record whose email is changed in place must be `set` again
 * to be found under the new one (business-users.ts does).
 */
export interface EmailKeyed {
  id: string;
  businessId: string;
  email: string;
}

export class EmailIndexedMap<V extends EmailKeyed> extends Map<string, V> {
  private readonly byEmail = new Map<string, Set<string>>();
  private readonly keyOfId = new Map<string, string>();

  /** Records of `businessId` with this email, in insertion order. */
  findByEmail(businessId: string, email: string): V[] {
    const ids = this.byEmail?.get(key(businessId, email));
    if (!ids) return [];
    const out: V[] = [];
    for (const id of ids) {
      const v = this.get(id);
      if (v) out.push(v);
    }
    return out;
  }

  override set(id: string, value: V): this {
    // Map's constructor calls set before the fields exist; it is only ever called empty here.
    if (this.byEmail) {
      this.unindex(id);
      const k = key(value.businessId, value.email);
      let ids = this.byEmail.get(k);
      if (!ids) this.byEmail.set(k, (ids = new Set()));
      ids.add(id);
      this.keyOfId.set(id, k);
    }
    return super.set(id, value);
  }

  override delete(id: string): boolean {
    this.unindex(id);
    return super.delete(id);
  }

  override clear(): void {
    this.byEmail.clear();
    this.keyOfId.clear();
    super.clear();
  }

  private unindex(id: string): void {
    const k = this.keyOfId.get(id);
    if (k === undefined) return;
    this.keyOfId.delete(id);
    const ids = this.byEmail.get(k);
    ids?.delete(id);
    if (ids?.size === 0) this.byEmail.delete(k);
  }
}

function key(businessId: string, email: string): string {
  return `${businessId}\u0000${email.toLowerCase()}`;
}
