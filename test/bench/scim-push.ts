/**
 * How the provision benchmark pushes people into "Meta Advertisers", in Okta's shape: users
 * created 16 at a time, then the group's members added by PATCHes of 100 (https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/).
 *
 * - `scimPush` (default): real SCIM requests over HTTP on 127.0.0.1 into hubwarden's SCIM router,
 *   in the agent's process as deployed. A person is accepted when the PATCH's response arrives,
 *   which is when the IdP knows its change was taken (the response follows the durable commit).
 * - `directPush` (`--direct`): the same records and outbox entries written straight into the
 *   store, without HTTP (session 1's benchmark).
 */
import express from 'express';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { LoadedConfig } from '../../config/load.ts';
import type { Store } from '../../agent/store/store.ts';
import { recordDesiredChange } from '../../agent/outbox.ts';
import { createScimRouter } from '../../scim-server/scim/router.ts';

export interface Push {
  /** Creates users `from`…`from + emails.length - 1`, in that order of emails. */
  createUsers(from: number, emails: string[]): Promise<void>;
  /** Adds users (by their index) to the group ("Meta Advertisers" unless named); resolves when the change is accepted. */
  addToGroup(indexes: number[]): Promise<void>;
  close(): Promise<void>;
}

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export async function scimPush(config: LoadedConfig, store: Store, hubId: string, token: string, group = 'Meta Advertisers'): Promise<Push> {
  const app = express();
  app.use('/scim/v2', createScimRouter({ config, store }));
  const server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2/hubs/${hubId}`;
  const send = async (method: string, path: string, body: unknown): Promise<{ id?: string }> => {
    // At most 16 requests at once (Okta's provisioning concurrency), over kept-alive connections.
    const res = await fetch(`${base}${path}`, {
      method, body: JSON.stringify(body),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json', 'user-agent': 'Okta SCIM Client 1.0.0' },
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`SCIM ${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
    return text ? (JSON.parse(text) as { id?: string }) : {};
  };
  const ids: string[] = [];
  let groupId: string | undefined;
  return {
    async createUsers(from, emails) {
      for (let i = 0; i < emails.length; i += 16) {
        await Promise.all(emails.slice(i, i + 16).map(async (email, k) => {
          const user = await send('POST', '/Users', { schemas: [USER], userName: email, active: true, emails: [{ primary: true, value: email, type: 'work' }], name: { givenName: 'Bench', familyName: String(from + i + k) } });
          ids[from + i + k] = user.id!;
        }));
      }
    },
    async addToGroup(indexes) {
      const value = indexes.map((i) => ({ value: ids[i]! }));
      if (!groupId) groupId = (await send('POST', '/Groups', { schemas: [GROUP], displayName: group, members: [] })).id!;
      await send('PATCH', `/Groups/${groupId}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value }] });
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

export function directPush(store: Store, hubId: string): Push {
  const trigger = { type: 'scim' as const, idp: 'okta' };
  const at = new Date().toISOString();
  const groupId = 'g-advertisers';
  return {
    async createUsers(from, emails) {
      for (let i = 0; i < emails.length; i += 16) {
        await Promise.all(emails.slice(i, i + 16).map((email, k) => store.transact((tx) => {
          const id = `u-${from + i + k}`;
          tx.put('directoryUsers', hubId, id, { hubId, id, userName: email, active: true, email, emails: [email], scim: {}, created: at, lastModified: at, version: 1 });
          recordDesiredChange(tx, { hubId, trigger, changes: [{ kind: 'user-created', userId: id }] });
        })));
      }
    },
    async addToGroup(indexes) {
      const added = indexes.map((i) => `u-${i}`);
      await store.transact(async (tx) => {
        const g = (await tx.get('directoryGroups', hubId, groupId)) ?? { hubId, id: groupId, displayName: 'Meta Advertisers', members: [], scim: {}, created: at, lastModified: at, version: 0 };
        tx.put('directoryGroups', hubId, groupId, { ...g, members: [...g.members, ...added.map((value) => ({ value }))], version: g.version + 1 });
        recordDesiredChange(tx, { hubId, trigger, changes: [{ kind: 'group-members', groupId, displayName: 'Meta Advertisers', added, removed: [] }] });
      });
    },
    async close() {},
  };
}
