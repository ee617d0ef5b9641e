/**
 * SCIM 2.0 over the fleet, the way an IdP behind a load balancer sees it: each request names the
 * replica it goes to; when that replica is down (killed, restarting) or the connection drops, the
 * request goes to the next replica that is up, as a load balancer's retry would. Okta retries a
 * failed provisioning request (https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/),
 * so a create whose first attempt may have committed before the connection dropped is resolved
 * the way Okta's create-then-look-up flow does: a 409 on the retry is looked up by userName.
 */
import { FLEET_HUB, type Fleet } from './fleet.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

export interface ScimAnswer { status: number; body: any; replica: number }

export class FleetScim {
  /** Requests that went to another replica than the one named (the named one was down or dropped it). */
  failovers = 0;

  constructor(private readonly fleet: Fleet, private readonly retryForMs = 60_000) {}

  /**
   * One request, first to replica `via`, else to the next one up. Network errors and 502/503
   * (a replica stopping, or its store briefly unavailable) are retried; any other answer returns.
   */
  async send(via: number, method: string, path: string, body?: unknown): Promise<ScimAnswer & { retried: boolean }> {
    const started = Date.now();
    const n = this.fleet.replicas.length;
    let lastError = '';
    for (let attempt = 0; ; attempt++) {
      const replica = this.fleet.replicas[(via + attempt) % n]!;
      if (attempt > 0 && attempt % n === 0) await new Promise((r) => setTimeout(r, 100)); // all tried: wait for a restart
      if (Date.now() - started > this.retryForMs) throw new Error(`SCIM ${method} ${path}: no replica answered within ${this.retryForMs} ms (${lastError})`);
      if (!replica.process) continue;
      if (attempt > 0) this.failovers++;
      try {
        const res = await fetch(`${replica.url}/scim/v2/hubs/${FLEET_HUB}${path}`, {
          method,
          headers: { authorization: `Bearer ${this.fleet.scimToken}`, 'content-type': 'application/scim+json', 'user-agent': 'Okta SCIM Client 1.0.0' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await res.text();
        if (res.status === 502 || res.status === 503) {
          lastError = `HTTP ${res.status} from replica ${replica.index}`;
          continue;
        }
        return { status: res.status, body: text ? JSON.parse(text) : undefined, replica: replica.index, retried: attempt > 0 };
      } catch (err) {
        lastError = `replica ${replica.index}: ${(err as Error).message}`;
      }
    }
  }

  private async expect(status: number, via: number, method: string, path: string, body?: unknown): Promise<ScimAnswer> {
    const a = await this.send(via, method, path, body);
    if (a.status !== status) throw new Error(`SCIM ${method} ${path} via replica ${a.replica}: HTTP ${a.status}, expected ${status}: ${JSON.stringify(a.body).slice(0, 300)}`);
    return a;
  }

  /** POST /Users; the new user's id. */
  async createUser(via: number, email: string): Promise<string> {
    const a = await this.send(via, 'POST', '/Users', { schemas: [USER], userName: email, active: true, emails: [{ primary: true, value: email, type: 'work' }], name: { givenName: 'Fleet', familyName: email.split('@')[0] } });
    if (a.status === 201) return a.body.id as string;
    if (a.status === 409 && a.retried) {
      // The attempt that dropped had committed: the user is there, as Okta's look-up finds it.
      const found = await this.findUsers(via, email);
      if (found.length === 1) return found[0]!;
    }
    throw new Error(`SCIM POST /Users ${email} via replica ${a.replica}: HTTP ${a.status}: ${JSON.stringify(a.body).slice(0, 300)}`);
  }

  /** GET /Users?filter=userName eq "…" (RFC 7644 §3.4.2.2): the ids found. */
  async findUsers(via: number, userName: string): Promise<string[]> {
    const a = await this.expect(200, via, 'GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
    if (!(a.body.schemas as string[]).includes(LIST)) throw new Error(`not a ListResponse: ${JSON.stringify(a.body).slice(0, 200)}`);
    return ((a.body.Resources ?? []) as Array<{ id: string }>).map((u) => u.id);
  }

  async createGroup(via: number, displayName: string): Promise<string> {
    return (await this.expect(201, via, 'POST', '/Groups', { schemas: [GROUP], displayName, members: [] })).body.id as string;
  }

  /** PATCH add members (RFC 7644 §3.5.2.1), as Okta sends a group push: safe to repeat. */
  async addMembers(via: number, groupId: string, userIds: readonly string[]): Promise<ScimAnswer> {
    const a = await this.send(via, 'PATCH', `/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: userIds.map((value) => ({ value })) }] });
    if (a.status !== 200 && a.status !== 204) throw new Error(`SCIM PATCH /Groups/${groupId} via replica ${a.replica}: HTTP ${a.status}: ${JSON.stringify(a.body).slice(0, 300)}`);
    return a;
  }

  /** The group's member ids, read on replica `via`. */
  async groupMembers(via: number, groupId: string): Promise<string[]> {
    const a = await this.expect(200, via, 'GET', `/Groups/${groupId}`);
    return ((a.body.members ?? []) as Array<{ value: string }>).map((m) => m.value);
  }
}

/** Runs `work(i)` for i in 0…count-1 with at most `width` at once (an IdP's provisioning concurrency). */
export async function inParallel(count: number, width: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, count) }, async () => {
    while (next < count) await work(next++);
  }));
}
