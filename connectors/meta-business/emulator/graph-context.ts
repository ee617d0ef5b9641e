/**
 * What an endpoint sees: the parsed call, the caller's token, the world, and helpers for field
 * selection and paging that know the emulator base URL as the client saw it.
 */
import type { MetaWorld } from './world.ts';
import type { FaultPlan } from './faults.ts';
import type { GuardOptions } from './guards.ts';
import type { GraphParams } from './request-params.ts';
import type { Token } from './model.ts';
import type { FieldRequest } from './field-selection.ts';
import type { RenderContext } from './node-fields.ts';
import { EDGE_LIMIT_CAPS, FALLBACK_LIMIT_CAP, paginate, type Page } from './paging.ts';
import { stringParam } from './request-params.ts';

export type GraphMethod = 'GET' | 'POST' | 'DELETE';

export interface GraphCall {
  method: GraphMethod;
  /** `/<id>/<edge>` without the version prefix */
  path: string;
  /** `v25.0`, or '' for an unversioned call */
  version: string;
  /** query and body params merged (the body wins) */
  params: GraphParams;
  /** the query string as the client sent it, for paging links */
  query: Record<string, string>;
  /** the body params alone, for the call record */
  body: GraphParams;
  token?: string;
  /** the `appsecret_proof` that goes with `token` (app-secret.ts), if any */
  proof?: string;
  /** emulator base as the client saw it, no trailing slash: `http://127.0.0.1:4000/sandbox/graph` */
  base: string;
  batch: boolean;
}

export interface GraphReply {
  status: number;
  body: unknown;
  headers: Record<string, string>;
  code?: number;
}

/** Invite limit (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users, https://developers.facebook.com/docs/graph-api/overview/rate-limiting): code 17 after `count` invites per business per window. */
export interface InviteLimit {
  count: number;
  windowMs: number;
}

export interface EmulatorRuntime {
  world: MetaWorld;
  faults: FaultPlan;
  now(): number;
  inviteLimit?: InviteLimit;
  /** see MetaEmulatorOptions.inviteVisibility */
  inviteVisibility: 'keep-expired' | 'pending-only';
  /** see MetaEmulatorOptions.inviteExisting */
  inviteExisting: 'refuse' | 'existing-id';
  /** how long a new invite stays PENDING */
  inviteTtlMs: number;
  /** see MetaEmulatorOptions.legacyOverrides */
  legacyOverrides: boolean;
  /** see MetaEmulatorOptions.debugToken */
  debugToken: boolean;
  /** see MetaEmulatorOptions.appSecret */
  appSecret?: string;
  guards: GuardOptions;
  /** business id → times of counted invites */
  inviteLog: Map<string, number[]>;
  /** calls per hour window, for X-App-Usage */
  usage: { windowStart: number; calls: number };
  calls: RecordedCall[];
  /** where emulator bugs (non-Graph exceptions) are reported; winston-compatible */
  log?: { error(msg: string, meta?: object): void };
}

/** One Graph call as recorded for assertions; tokens are redacted. */
export interface RecordedCall {
  method: string;
  /** `/<id>/<edge>` without the version prefix */
  path: string;
  query: Record<string, string>;
  body: Record<string, unknown>;
  /** HTTP status; 0 when the emulator held or dropped the request (fault) */
  status: number;
  code?: number;
  /** epoch ms by the emulator clock */
  at: number;
  /** an operation inside a batch request */
  batch?: boolean;
  /** the node type the path names and the edge (`Business/agencies`), when it names one (the fields test) */
  readOn?: { node: string; edge?: string };
}

export class GraphContext {
  readonly fields: FieldRequest[] | undefined;
  readonly render: RenderContext;

  constructor(
    readonly call: GraphCall,
    readonly runtime: EmulatorRuntime,
    readonly caller: Token,
    fields: FieldRequest[] | undefined,
  ) {
    this.fields = fields;
    const versionPart = call.version ? `/${call.version}` : '';
    this.render = {
      world: runtime.world,
      now: runtime.now,
      // Nested-edge `next` links carry the token as the client sent it, like top-level ones.
      edgeUrl: (id, edge) => `${call.base}${versionPart}/${id}/${edge}`,
      linkQuery: call.query.access_token ? `access_token=${encodeURIComponent(call.query.access_token)}&` : '',
    };
  }

  get world(): MetaWorld {
    return this.runtime.world;
  }

  param(name: string): string | undefined {
    return stringParam(this.call.params, name);
  }

  /** One page of an edge listing, honouring limit/after/before, short-page faults and summary; `visible` filters after paging (paginate). */
  page<T extends { seq: number }, R>(items: T[], edge: string, nodeId: string, render: (item: T) => R, visible?: (item: T) => boolean): Page<R> & { summary?: { total_count: number } } {
    const versionPart = this.call.version ? `/${this.call.version}` : '';
    const page = paginate(items, {
      edgeUrl: `${this.call.base}${versionPart}/${nodeId}/${edge}`,
      query: this.call.query,
      limit: this.param('limit'),
      after: this.param('after'),
      before: this.param('before'),
      cap: EDGE_LIMIT_CAPS[edge] ?? FALLBACK_LIMIT_CAP,
      shortTo: (limit) => this.runtime.faults.shortPage(limit, this.call.path),
    }, visible);
    const out: Page<R> & { summary?: { total_count: number } } = { data: page.data.map(render) };
    if (page.paging) out.paging = page.paging;
    // `summary=total_count` is the form Meta documents (https://developers.facebook.com/docs/graph-api/results,
    // each edge's reference page); other spellings get no summary, as an emulator must not invent one.
    if (this.param('summary') === 'total_count') out.summary = { total_count: visible ? items.filter(visible).length : items.length };
    return out;
  }
}
