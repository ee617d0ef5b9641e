/**
 * A small, stateful stand-in for a connector, for unit tests of check for updates only (the
 * end-to-end tests use the real Meta connector over the emulator). Pages of `pageSize` with
 * opaque cursors, like the real thing; `failOn` throws a ConnectorError from one listing.
 */
import type { HubConnector } from '../../connectors/sdk/connector.ts';
import type { AppListings } from './read-app.ts';
import { ConnectorError, type ErrorKind } from '../../connectors/sdk/connector-error.ts';
import type { AssetRef, Page } from '../../connectors/sdk/hub-model.ts';

/** What the fake app holds: the same listings a real read returns. */
export type FakeApp = AppListings;

/** The asset types the fake app's tests read (the test hub's connector's). */
export const TEST_ASSET_TYPES = ['ad_account', 'page', 'catalog', 'pixel'] as const;

export function emptyApp(): FakeApp {
  return { members: [], invites: [], systemUsers: [], assets: [], assignments: [], partners: [], partnerUsers: [] };
}

export interface FakeConnector extends HubConnector {
  app: FakeApp;
  failOn?: { listing: string; kind: ErrorKind };
  /** Calls made, by method name. */
  calls: string[];
  /** Throws from listAssets for one asset type only. */
  failOnAssetType?: { type: string; kind: ErrorKind };
  /** Makes a listing return the same cursor forever. */
  loopOn?: string;
}

function page<T>(items: T[], cursor: string | undefined, size: number, loop: boolean): Page<T> {
  const start = cursor ? Number(cursor.slice(1)) : 0;
  const end = start + size;
  return { items: items.slice(start, end), ...(end < items.length ? { next: loop ? 'c0' : `c${end}` } : {}) };
}

export function fakeConnector(app: FakeApp, pageSize = 2): FakeConnector {
  const self: FakeConnector = {
    id: 'fake',
    app,
    calls: [],
    limits: { assetsPerAssignmentRead: 2 },
    async listMembers(cursor) { return read('listMembers', () => page(self.app.members, cursor, pageSize, self.loopOn === 'listMembers')); },
    async listInvites(cursor) { return read('listInvites', () => page(self.app.invites, cursor, pageSize, false)); },
    async listSystemUsers(cursor) { return read('listSystemUsers', () => page(self.app.systemUsers, cursor, pageSize, false)); },
    async listAssets(type, cursor) {
      if (self.failOnAssetType?.type === type) throw new ConnectorError(self.failOnAssetType.kind, `fake: list ${type}: ${self.failOnAssetType.kind}`);
      return read('listAssets', () => page(self.app.assets.filter((a) => a.type === type), cursor, pageSize, false));
    },
    async listAssignments(assets: AssetRef[]) {
      if (assets.length > self.limits.assetsPerAssignmentRead) throw new ConnectorError('invalid-argument', 'fake: too many assets in one read');
      return read('listAssignments', () => self.app.assignments.filter((a) => assets.some((r) => r.type === a.asset.type && r.id === a.asset.id)));
    },
    async listPartners(cursor) { return read('listPartners', () => page(self.app.partners, cursor, pageSize, false)); },
    // Like a connector configured with every partner's credential: each listed partner's people are readable.
    partnersWithPeople() { return self.app.partners.map((p) => p.businessId); },
    async listPartnerUsers(partnerBusinessId) { return read('listPartnerUsers', () => self.app.partnerUsers.filter((u) => u.partnerBusinessId === partnerBusinessId)); },
  };
  function read<T>(method: string, fn: () => T): T {
    self.calls.push(method);
    if (self.failOn?.listing === method) throw new ConnectorError(self.failOn.kind, `fake: ${method}: ${self.failOn.kind}`);
    return structuredClone(fn());
  }
  return self;
}
