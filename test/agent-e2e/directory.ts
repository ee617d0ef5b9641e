/**
 * Desired-state writes shaped like the SCIM server's (Okta's push: create the user, then PATCH
 * the group's members; Entra's: the same in its own order): each is one store transaction that
 * changes the directory records and records the delta in the outbox.
 */
import { holdsKept, type DirectoryGroupRecord, type DirectoryUserRecord } from '../../agent/desired-state/directory-records.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import { recordDesiredChange } from '../../agent/outbox.ts';
import { collect, type Store } from '../../agent/store/store.ts';

export const OKTA: Trigger = { type: 'scim', idp: 'okta', actor: 'okta-provisioning' };

export class Directory {
  constructor(private readonly store: Store, private readonly hubId: string, private readonly trigger: Trigger = OKTA) {}

  async createUser(id: string, email: string): Promise<void> {
    const at = new Date().toISOString();
    const user: DirectoryUserRecord = { hubId: this.hubId, id, userName: email, active: true, email, emails: [email], scim: {}, created: at, lastModified: at, version: 1 };
    await this.store.transact((tx) => {
      tx.put('directoryUsers', this.hubId, id, user);
      recordDesiredChange(tx, { hubId: this.hubId, trigger: this.trigger, changes: [{ kind: 'user-created', userId: id }] });
    });
  }

  async setActive(id: string, active: boolean): Promise<void> {
    await this.store.transact(async (tx) => {
      const previous = (await tx.get('directoryUsers', this.hubId, id))!;
      const { suspended: _suspended, offboarded: _offboarded, ...u } = previous;
      // As a SCIM write does (scim-server/scim/resources/user.ts): a reactivation ends the marks.
      tx.put('directoryUsers', this.hubId, id, { ...u, ...holdsKept(previous, active), active, version: u.version + 1, lastModified: new Date().toISOString() });
      recordDesiredChange(tx, { hubId: this.hubId, trigger: this.trigger, changes: [{ kind: active ? 'user-activated' : 'user-deactivated', userId: id }] });
    });
  }

  /** PATCH /Users/{id} replacing the work email (and the userName, as Okta's email-format usernames follow it). */
  async changeEmail(id: string, email: string): Promise<void> {
    await this.store.transact(async (tx) => {
      const u = (await tx.get('directoryUsers', this.hubId, id))!;
      tx.put('directoryUsers', this.hubId, id, { ...u, userName: email, email, emails: [email], version: u.version + 1, lastModified: new Date().toISOString() });
      recordDesiredChange(tx, { hubId: this.hubId, trigger: this.trigger, changes: [{ kind: 'user-updated', userId: id, attributes: ['emails', 'userName'] }] });
    });
  }

  async deleteUser(id: string): Promise<void> {
    await this.store.transact(async (tx) => {
      const u = (await tx.get('directoryUsers', this.hubId, id))!;
      tx.delete('directoryUsers', this.hubId, id);
      for (const g of await collect(tx.list('directoryGroups', this.hubId))) {
        if (g.members.some((m) => m.value === id)) tx.put('directoryGroups', this.hubId, g.id, { ...g, members: g.members.filter((m) => m.value !== id) });
      }
      recordDesiredChange(tx, { hubId: this.hubId, trigger: this.trigger, changes: [{ kind: 'user-deleted', userId: id, userName: u.userName, emails: u.emails, created: u.created }] });
    });
  }

  /** PATCH /Groups/{id} with add/remove member ops (creates the group on first use). */
  async patchGroup(displayName: string, add: string[], remove: string[] = []): Promise<void> {
    await this.store.transact(async (tx) => {
      const id = `g-${displayName.toLowerCase().replace(/\W+/g, '-')}`;
      const at = new Date().toISOString();
      const prev = await tx.get('directoryGroups', this.hubId, id);
      const g: DirectoryGroupRecord = prev ? { ...prev } : { hubId: this.hubId, id, displayName, members: [], scim: {}, created: at, lastModified: at, version: 0 };
      const members = g.members.filter((m) => !remove.includes(m.value));
      for (const a of add) if (!members.some((m) => m.value === a)) members.push({ value: a });
      tx.put('directoryGroups', this.hubId, id, { ...g, members, version: g.version + 1, lastModified: at });
      recordDesiredChange(tx, { hubId: this.hubId, trigger: this.trigger, changes: [{ kind: 'group-members', groupId: id, displayName, added: add, removed: remove }] });
    });
  }
}
