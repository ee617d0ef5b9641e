import type { HubConfigFile } from '../../config/schema.ts';
import type { DirectoryChange } from '../desired-state/delta.ts';
import { groupKey, matchingEmailsOf } from '../desired-state/directory-records.ts';
import { emailKey } from '../matching/email-key.ts';

/**
 * The emails a deleted user's seats may be under: the ones matching knew them by
 * (`matchingEmailsOf`: their emails, or an email-like userName only when they had none). A
 * userName beside emails (Entra's UPN, which may differ from `mail`) named no seat of theirs, and
 * a seat under it is someone else's: removing it as theirs removed an unmatched member.
 */
export function emailsOfDeleted(c: Extract<DirectoryChange, { kind: 'user-deleted' }>): string[] {
  return [...new Set(matchingEmailsOf(c).map(emailKey).filter((e) => e !== ''))];
}

/**
 * Who a directory change may affect on a hub: the users it names, and the members of mapped
 * groups it touches. Changes to groups no team maps change nobody's grant.
 */
export function affectedPeople(hub: HubConfigFile, changes: readonly DirectoryChange[]): Map<string, { emails?: string[] }> {
  const mapped = new Set(hub.teams.map((t) => groupKey(t.group)));
  const isMapped = (name: string) => mapped.has(groupKey(name));
  // A group renamed in this entry was mapped under its old name: a member change staged with the
  // rename (Okta's AIW apps rename by PUT with the full member list, RFC 7644 §3.5.1; one PATCH may
  // carry both, §3.5.2) names the new one, and the people it dropped had the old name's grant.
  const renamedFromMapped = new Set(changes.filter((c) => c.kind === 'group-renamed' && isMapped(c.from)).map((c) => (c as { groupId: string }).groupId));
  const people = new Map<string, { emails?: string[] }>();
  const add = (id: string, emails?: string[]) => {
    const prev = people.get(id);
    people.set(id, emails ? { emails: [...new Set([...(prev?.emails ?? []), ...emails])] } : prev ?? {});
  };
  for (const c of changes) {
    switch (c.kind) {
      case 'user-created': case 'user-updated': case 'user-activated': case 'user-deactivated':
        add(c.userId);
        break;
      case 'user-deleted':
        add(c.userId, emailsOfDeleted(c));
        break;
      case 'group-created': case 'group-deleted':
        if (isMapped(c.displayName)) for (const m of c.members) add(m);
        break;
      case 'group-renamed':
        if (isMapped(c.from) || isMapped(c.to)) for (const m of c.members) add(m);
        break;
      case 'group-members':
        if (isMapped(c.displayName) || renamedFromMapped.has(c.groupId)) for (const m of [...c.added, ...c.removed]) add(m);
        break;
    }
  }
  return people;
}
