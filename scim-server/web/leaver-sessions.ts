import type { AgentApi } from '../../agent/api.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import { ambiguousPerson } from '../../agent/dispatch/ambiguous-person.ts';
import { findPerson, hubsOfTrigger } from '../../agent/dispatch/find-person.ts';
import type { Store } from '../../agent/store/store.ts';
import type { HubConfigFile } from '../../config/schema.ts';
import { endSessionsOf, sessionPersonOf, type SessionPerson } from './session-revocation.ts';

/**
 * The agent as the admin API (and the dashboard's adapter to it) use it: an offboarding ends the
 * person's dashboard sessions before their seats go, as a Lifecycle Workflows offboard does
 * (scim-server/hooks/lifecycle-run.ts). `POST /people/{email}/offboard` is the leaver action of
 * Okta Workflows, `hubwarden offboard` and portals: the organisation's word that the person left,
 * before the IdP deactivates them. Without this, a hub owner or an administrator offboarded that
 * way kept the dashboard (and whatever their session let them do to others' seats) for up to 12
 * hours. OWASP asks for sessions to be invalidated when the account's rights change:
 * https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html
 *
 * Sessions are matched by the email the request names and by the IdP ids of the directory users
 * with it (Okta's SCIM `externalId` is the Okta user id, the ID token's `sub`), so a session
 * whose email the IdP did not mark verified is found too. The revocation mark written with them
 * refuses a sign-in racing the offboarding (session-revocation.ts). Audited as the caller.
 *
 * An admin token scoped to some hubs (`trigger.hubs`) offboards from those hubs only, and ends the
 * sessions only of a person it finds a directory user of there (found as its offboarding finds
 * them: find-person.ts hubsOfTrigger): a dashboard session is not a hub's, and a token of one hub
 * signed out, and barred the pending sign-ins of, anyone it named, an administrator or another
 * hub's owner included, and read in its audit log how many sessions they had.
 *
 * An offboarding the agent will refuse ends no session: a `directoryUserId` naming nobody with
 * the email (404), or an email naming a leaver and their rehire on a hub (409,
 * agent/dispatch/ambiguous-person.ts). Checked here as the agent checks it: the sessions were
 * ended, the revocation mark written and the ending audited before the agent refused, so a typo
 * in a workflow's id, or the refusal meant to protect a rehire, signed the person out of the
 * dashboard although the answer said nothing was done.
 */
export function endingLeaverSessions(agent: AgentApi, store: Store, hubs: () => Iterable<HubConfigFile>): AgentApi {
  const offboard: AgentApi['offboard'] = async (person, trigger, options) => {
    const who = await personOf(store, hubs(), person, trigger);
    if (!who) return agent.offboard(person, trigger, options);
    const label = person.userName ?? person.externalId;
    await endSessionsOf(store, who, {
      trigger, why: 'offboarded: their dashboard sessions end',
      ...(person.email ? { subject: { email: person.email } } : label ? { subject: { label } } : {}),
    });
    return agent.offboard(person, trigger, options);
  };
  return new Proxy(agent, {
    get(target, prop, receiver) {
      if (prop === 'offboard') return offboard;
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Whose sessions end; undefined: none (a scoped token's offboarding of someone not on its hubs). */
async function personOf(store: Store, hubs: Iterable<HubConfigFile>, person: Parameters<AgentApi['offboard']>[0], trigger: Trigger): Promise<SessionPerson | undefined> {
  const who = sessionPersonOf(person);
  const ids = new Set(who.ids);
  // The trigger as the agent's offboarding passes it (agent-api.ts): an Okta event's hubs are its
  // org's, and a user found by login whose externalId is another Okta user id is another account.
  const found = await findPerson(store, hubsOfTrigger(hubs, trigger), person, trigger);
  if ((trigger.hubs || person.directoryUserId !== undefined) && !found.some((f) => f.user)) return undefined;
  if ((await ambiguousPerson(store, found, person)).length > 0) return undefined;
  for (const f of found) if (f.user?.externalId) ids.add(f.user.externalId);
  return { ids: [...ids], emails: who.emails ?? [] };
}
