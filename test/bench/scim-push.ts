/**
 * How the provision benchmarks push people into a mapped group, in Okta's shape: users created
 * 16 at a time, then the group's members added by PATCHes of 100 (https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/).
 *
 * - `scimPush` (default): real SCIM requests over HTTP on 127.0.0.1 into hubwarden's SCIM router,
 *   which runs in the agent's process as deployed. The requests come from a child process (the
 *   identity provider's side, scim-push-process.ts): Okta's HTTP client does not run on
 *   hubwarden's CPU, and in-process it was an eighth of the provision burst's profile (fetch,
 *   its streams and the bodies' JSON), as the Meta emulator's own work had been (emulator-process.ts).
 *   A person is accepted when the PATCH's change commits in the store (the benchmarks listen to it).
 * - `directPush` (`--direct`): the same records and outbox entries written straight into the
 *   store, without HTTP (session 1's benchmark).
 *
 * `userIdOf(email)` gives the directory user id each pushed email got, so the benchmarks tell
 * whom a committed group change accepted without reading the store (a read per member was the
 * benchmark's own load on the store it measures).
 */
import express from 'express';
import { fork, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { LoadedConfig } from '../../config/load.ts';
import type { Store } from '../../agent/store/store.ts';
import { recordDesiredChange } from '../../agent/outbox.ts';
import { createScimRouter } from '../../scim-server/scim/router.ts';
import type { Answer, Ask } from './scim-push-process.ts';

export interface Push {
  /** Creates users `from`…`from + emails.length - 1`, in that order of emails. */
  createUsers(from: number, emails: string[]): Promise<void>;
  /** Adds users (by their index) to the group ("Meta Advertisers" unless named); resolves when the change is accepted. */
  addToGroup(indexes: number[]): Promise<void>;
  /** The email a pushed directory user was created with (by its id), once `createUsers` resolved. */
  emailOf(userId: string): string | undefined;
  close(): Promise<void>;
}

export async function scimPush(config: LoadedConfig, store: Store, hubId: string, token: string, group = 'Meta Advertisers'): Promise<Push> {
  const app = express();
  app.use('/scim/v2', createScimRouter({ config, store }));
  const server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2/hubs/${hubId}`;
  const child: ChildProcess = fork(fileURLToPath(new URL('./scim-push-process.ts', import.meta.url)), [JSON.stringify({ base, token, group })], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  let nextId = 1;
  child.on('message', (m) => {
    const { id, value, error } = m as Answer;
    const w = waiting.get(id);
    waiting.delete(id);
    if (error !== undefined) w?.reject(new Error(error));
    else w?.resolve(value);
  });
  child.on('exit', (code, signal) => {
    for (const { reject } of waiting.values()) reject(new Error(`SCIM push process exited (${code ?? signal})`));
    waiting.clear();
  });
  const ask = <T>(msg: Ask): Promise<T> => new Promise((resolve, reject) => {
    const id = nextId++;
    waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
    child.send({ ...msg, id });
  });
  const ids: string[] = [];
  const emails = new Map<string, string>();
  return {
    async createUsers(from, list) {
      const created = await ask<string[]>({ type: 'users', from, emails: list });
      created.forEach((id, k) => { ids[from + k] = id; emails.set(id, list[k]!); });
    },
    async addToGroup(indexes) {
      await ask({ type: 'members', userIds: indexes.map((i) => ids[i]!) });
    },
    emailOf: (userId) => emails.get(userId),
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        await new Promise((resolve) => { child.once('exit', resolve); child.kill(); });
      }
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

export function directPush(store: Store, hubId: string): Push {
  const trigger = { type: 'scim' as const, idp: 'okta' };
  const at = new Date().toISOString();
  const groupId = 'g-advertisers';
  const emailOfId = new Map<string, string>();
  return {
    emailOf: (userId) => emailOfId.get(userId),
    async createUsers(from, emails) {
      for (let i = 0; i < emails.length; i += 16) {
        await Promise.all(emails.slice(i, i + 16).map((email, k) => store.transact((tx) => {
          const id = `u-${from + i + k}`;
          emailOfId.set(id, email);
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

/**
 * When each pushed person was accepted: the instant the group change adding them is committed in
 * the store (the listeners run as it is applied, just before the fsync that precedes the SCIM
 * response). Not the response's arrival: answering a PATCH of a 5,000-member group takes long
 * enough that invites leave before it. Keyed by lower-cased email; `wall` is the same instant on
 * the agent's clock (task records).
 */
export function acceptance(store: Store, push: Push, group: string): { at: Map<string, number>; wall: Map<string, number> } {
  const at = new Map<string, number>();
  const wall = new Map<string, number>();
  const inGroup = new Set<string>();
  store.subscribe((changes) => {
    const t = performance.now();
    for (const c of changes) {
      const g = c.collection === 'directoryGroups' ? (c.record as { displayName?: string; members?: Array<{ value: string }> } | undefined) : undefined;
      if (g?.displayName !== group) continue;
      for (const { value } of g.members ?? []) {
        if (inGroup.has(value)) continue;
        inGroup.add(value);
        const email = push.emailOf(value)?.toLowerCase();
        if (email) { at.set(email, t); wall.set(email, Date.now()); }
      }
    }
  });
  return { at, wall };
}
