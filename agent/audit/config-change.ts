import { describeGovernanceChanges, governanceView, withSortedSets, type GovernanceView } from '../../config/governance.ts';
import type { LoadedConfig } from '../../config/load.ts';
import type { AuditEntry } from '../api.ts';
import type { Store } from '../store/store.ts';
import { appendAudit } from './audit-log.ts';

/**
 * The config's governance-relevant part (config/governance.ts) as last recorded: one record,
 * collection `configState`, partition '', id `governance`.
 */
export interface RecordedConfig {
  /** The file it was read from, and the SHA-256 of its text then. */
  path: string;
  sha256: string;
  recordedAt: string;
  view: GovernanceView;
  /** seq of the `config-changed` entry that recorded it (absent in a record of an earlier release). */
  auditSeq?: number;
  /**
   * Per hub: the revision that last changed its access rules (absent in a record of an earlier
   * release). See `ConfigRevision`.
   */
  hubRules?: Record<string, ConfigRevision>;
}

/**
 * A config revision that changed a hub's access rules (its teams and default team: who gets
 * which role and grants, so who loses them), named as its `config-changed` entry names it: the
 * file's SHA-256, when it was recorded, and the entry's seq. A change the agent makes because of
 * those rules (an invite, a role change, a removal: reasons `assigned`, `group-change`,
 * `unassigned`) names it in its audit entry, so "why was this person removed" leads to the edit
 * that took their team away (operations/config-cause.ts).
 */
export interface ConfigRevision {
  sha256: string;
  at: string;
  auditSeq?: number;
}

declare module '../store/collections.ts' {
  interface Collections {
    configState: RecordedConfig;
  }
}

const KEY = ['configState', '', 'governance'] as const;
/** Lines kept in one entry's detail; a first start on a large config lists every hub and team. */
const MAX_LINES = 500;

/**
 * At start: compares the config's governance view with the one recorded in the store and, if it
 * differs (or none is recorded), records the new one and appends one `config-changed` audit entry
 * saying what changed per hub and team. Read, compare, record and audit are one transaction, so of
 * replicas starting at once on a shared store (PostgreSQL) exactly one records it: the others'
 * transactions read the record it wrote (a conflict runs them again, store.ts) and find nothing
 * changed. No entry when nothing changed (a comment, a label or a port is no change).
 */
export async function auditConfigChange(store: Store, config: Pick<LoadedConfig, 'path' | 'sha256' | 'file'>, now = new Date()): Promise<AuditEntry | undefined> {
  return (await recordConfigChange(store, config, now)).entry;
}

/**
 * `auditConfigChange`, also returning, per hub of this config, the revision that last changed its
 * access rules (`ConfigRevision`): this one for a hub whose teams or default team it changed (or
 * that it added), else the one recorded before. Read from the record when nothing changed (a
 * replica starting after another recorded the same config).
 */
export async function recordConfigChange(store: Store, config: Pick<LoadedConfig, 'path' | 'sha256' | 'file'>, now = new Date()): Promise<{ entry?: AuditEntry; hubRules: Record<string, ConfigRevision> }> {
  const view = governanceView(config.file);
  const text = JSON.stringify(view);
  return store.transact(async (tx) => {
    const recorded = await tx.get(...KEY);
    // In one order, as the new view is: one recorded by an earlier release kept file order.
    const before = recorded ? withSortedSets(recorded.view) : undefined;
    const earlier = (id: string): ConfigRevision | undefined => {
      if (!recorded || !before?.hubs[id] || rulesText(before.hubs[id]) !== rulesText(view.hubs[id]!)) return undefined;
      // A record of an earlier release names no revision per hub: the one it recorded is the
      // latest known to hold these rules (an older one may have made them).
      return recorded.hubRules?.[id] ?? { sha256: recorded.sha256, at: recorded.recordedAt, ...(recorded.auditSeq !== undefined ? { auditSeq: recorded.auditSeq } : {}) };
    };
    if (before && JSON.stringify(before) === text) return { hubRules: rulesByHub(view, earlier) };
    const changes = describeGovernanceChanges(before, view);
    const shown = changes.length > MAX_LINES ? [...changes.slice(0, MAX_LINES), `(${changes.length - MAX_LINES} more change(s) not listed)`] : changes;
    const entry = appendAudit(tx, {
      trigger: { type: 'config', actor: `config file ${config.path}`, detail: `sha256 ${config.sha256}` },
      action: 'config-changed',
      subject: { label: summary(changes, recorded === undefined) },
      why: 'service started with a changed config',
      outcome: 'ok',
      detail: {
        configFile: config.path,
        sha256: config.sha256,
        ...(recorded ? { previousSha256: recorded.sha256, previousRecordedAt: recorded.recordedAt } : { previous: 'none recorded' }),
        changes: shown,
      },
    });
    const revision: ConfigRevision = { sha256: config.sha256, at: entry.at, auditSeq: entry.seq };
    const hubRules = rulesByHub(view, (id) => earlier(id) ?? revision);
    tx.put(...KEY, { path: config.path, sha256: config.sha256, recordedAt: now.toISOString(), view, auditSeq: entry.seq, hubRules });
    return { entry, hubRules };
  }, { writes: [KEY] });
}

/** A hub's access rules in its governance view: its teams and default team (config/governance.ts). */
const rulesText = (hub: Record<string, unknown>): string => JSON.stringify([hub.teams, hub.defaultTeam]);

function rulesByHub(view: GovernanceView, revisionOf: (hubId: string) => ConfigRevision | undefined): Record<string, ConfigRevision> {
  const out: Record<string, ConfigRevision> = {};
  for (const id of Object.keys(view.hubs)) {
    const r = revisionOf(id);
    if (r) out[id] = r;
  }
  return out;
}

/** One line for lists: the first changes, and how many more. */
function summary(changes: readonly string[], first: boolean): string {
  const head = first ? 'first recorded config: ' : '';
  const shown = changes.slice(0, 3).join('; ');
  const more = changes.length > 3 ? ` (+${changes.length - 3} more)` : '';
  return `${head}${shown || 'no governance setting'}${more}`;
}
