import type { HubConfigFile } from '../../config/schema.ts';
import type { Trigger } from '../desired-state/delta.ts';
import { foldName, INDEX, matchingEmailsOf, type DirectoryUserRecord } from '../desired-state/directory-records.ts';
import type { ReadView } from '../store/store.ts';
import { emailKey } from '../matching/email-key.ts';

export interface PersonRef {
  email?: string;
  userName?: string;
  externalId?: string;
  /**
   * One directory user, by its id (the SCIM resource id), on whichever hub has it: names one
   * person precisely where an email names several (a leaver and their rehire: ambiguous-person.ts).
   * With an email too, the user must carry it; nothing else is looked up.
   */
  directoryUserId?: string;
}

/**
 * The directory users a hook or leaver workflow names, on each hub (by userName or externalId,
 * else by email). Email and userName are looked up by index (an email also finds a user sent without
 * emails whose userName it is); an externalId (no index yet) is found by
 * reading the hub's users page by page.
 */
export async function findPerson(view: ReadView, hubs: Iterable<HubConfigFile>, person: PersonRef, trigger?: Pick<Trigger, 'type'>): Promise<Array<{ hub: HubConfigFile; user?: DirectoryUserRecord; emails: string[] }>> {
  // An Okta event names the account by its Okta user id, which Okta sends over SCIM as externalId
  // (okta-event.ts personOf): a user found by email whose externalId is another id is another
  // account. The leaver not provisioned to a hub, their deactivation offboarded (or suspended) the
  // colleague there whose email equals the leaver's login. Other triggers' externalId need not be
  // the one SCIM carries (Entra's default mapping sends mailNickname as externalId).
  const otherAccount = (u: DirectoryUserRecord) => trigger?.type === 'okta-event-hook' && person.externalId !== undefined && u.externalId !== undefined && u.externalId !== person.externalId;
  const out: Array<{ hub: HubConfigFile; user?: DirectoryUserRecord; emails: string[] }> = [];
  for (const hub of hubs) {
    const found = new Map<string, DirectoryUserRecord>();
    if (person.directoryUserId !== undefined) {
      // Named precisely: that user or nobody here, never another account found by email (whose
      // seats an email fallback would have taken).
      const u = await view.get('directoryUsers', hub.id, person.directoryUserId);
      const email = person.email ? emailKey(person.email) : undefined;
      if (u && (!email || [...(u.email ? [u.email] : []), ...matchingEmailsOf(u)].some((e) => emailKey(e) === email))) {
        out.push({ hub, user: u, emails: [...new Set([...(u.email ? [u.email] : []), ...matchingEmailsOf(u)].map(emailKey))] });
      }
      continue;
    }
    // The login too: SCIM userName is the app username, whose format an Okta admin picks (Okta
    // username, Email, …); with "Email" a colleague's userName may equal the leaver's login while
    // the externalId Okta sends is the colleague's own id (https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/).
    // Folded (foldName: NFC, lower-cased), as the SCIM server compares userNames and as the index
    // also files every one: a login sent decomposed ("e" + U+0301) names the user stored with "é".
    if (person.userName) for (const u of await view.lookup('directoryUsers', INDEX.userByUserName, `${hub.id}\u0000${foldName(person.userName.trim())}`)) if (!otherAccount(u)) found.set(u.id, u);
    if (person.externalId) for await (const u of view.list('directoryUsers', hub.id)) if (u.externalId === person.externalId) found.set(u.id, u);
    // The account whose externalId is the one named is that account itself: another found by the
    // userName (a rehire given the leaver's UPN, whose Entra object id is new) is another person.
    // An Entra Lifecycle Workflows callout names the user by object id (`subject.id`), which a
    // provisioning mapping objectId → externalId carries
    // (https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups);
    // without it both were offboarded, the rehire's current seat too.
    if (person.externalId && [...found.values()].some((u) => u.externalId === person.externalId)) {
      for (const [id, u] of found) if (u.externalId !== person.externalId) found.delete(id);
    }
    // The email is a fallback when the userName or externalId named nobody here: an Okta event
    // hook names a user by login (alternateId) and id, and its login as email too; Okta does not
    // keep primary emails unique (https://developer.okta.com/docs/reference/api/users/#profile-object),
    // so another user whose email equals that login must not be taken for the leaver.
    if (person.email && found.size === 0) {
      const email = emailKey(person.email);
      for (const u of await view.lookup('directoryUsers', INDEX.userByEmail, `${hub.id}\u0000${email}`)) if (!otherAccount(u)) found.set(u.id, u);
      // A user sent without emails (Entra sends `emails` only from `mail`:
      // https://learn.microsoft.com/en-us/entra/identity/app-provisioning/customize-application-attributes)
      // is known by an email-like userName, as the plan and matching know them (matchingEmailsOf);
      // without this a re-evaluation or offboarding by that email found nobody. A user with
      // emails is found by those only, as matching does.
      for (const u of await view.lookup('directoryUsers', INDEX.userByUserName, `${hub.id}\u0000${email}`)) {
        if (!otherAccount(u) && matchingEmailsOf(u).some((e) => emailKey(e) === email)) found.set(u.id, u);
      }
    }
    // A user the IdP sent without emails (Entra sends `emails` only from `mail`, empty without a
    // mailbox: https://learn.microsoft.com/en-us/entra/identity/app-provisioning/customize-application-attributes)
    // was invited at an email-like userName, so their seats are found there (matchingEmailsOf);
    // without it a leaver's offboarding found no seat and completed while the seat stayed.
    for (const u of found.values()) out.push({ hub, user: u, emails: [...new Set([...(u.email ? [u.email] : []), ...matchingEmailsOf(u)].map(emailKey))] });
    if (found.size === 0 && person.email) out.push({ hub, emails: [emailKey(person.email)] });
  }
  return out;
}

/**
 * The hubs an identity provider's event about a person counts on: for an Okta event hook, those its
 * org governs (`hubs[].identityProvider`) and those that name none. Several Okta orgs are told
 * apart by their hook secret (scim-server/hooks/okta.ts): one org's deactivation removed the seats
 * of a person of the same login on a hub another org governs, where they may still be active.
 * Every hub for any other trigger: an explicit leaver action (an admin, Okta Workflows over the
 * API, the CLI, a Lifecycle Workflows task: offboardMayReport in offboard.ts) is the
 * organisation's word that the person left, and scoped it would leave seats on the hubs another
 * identity provider provisions. A trigger of an admin token scoped to some hubs (`trigger.hubs`)
 * acts on those hubs only, whatever it asks for: the token was given for them and no other.
 */
export function hubsOfTrigger(hubs: Iterable<HubConfigFile>, trigger: Pick<Trigger, 'type' | 'idp' | 'hubs'>): HubConfigFile[] {
  const idp = trigger.type === 'okta-event-hook' ? trigger.idp : undefined;
  return [...hubs].filter((h) => (!idp || !h.identityProvider || h.identityProvider === idp) && (!trigger.hubs || trigger.hubs.includes(h.id)));
}

/**
 * Whether a record of `hubId` is within an admin token's `scope` (undefined: every hub, so every
 * record). A person-wide record (no hub: an offboarding, its audit entries) is only when it was
 * asked for with this scope or a narrower one (`trigger.hubs`): an offboarding of every hub, or
 * of another hub too, tells of hubs outside the scope, so it is not shown (deny by default).
 */
export function inAdminScope(scope: readonly string[] | undefined, hubId: string | undefined, trigger?: Pick<Trigger, 'hubs'>): boolean {
  if (!scope) return true;
  if (hubId) return scope.includes(hubId);
  return trigger?.hubs !== undefined && trigger.hubs.every((h) => scope.includes(h));
}
