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
  const view = governanceView(config.file);
  const text = JSON.stringify(view);
  return store.transact(async (tx) => {
    const recorded = await tx.get(...KEY);
    // In one order, as the new view is: one recorded by an earlier release kept file order.
    const before = recorded ? withSortedSets(recorded.view) : undefined;
    if (before && JSON.stringify(before) === text) return undefined;
    const changes = describeGovernanceChanges(before, view);
    tx.put(...KEY, { path: config.path, sha256: config.sha256, recordedAt: now.toISOString(), view });
    const shown = changes.length > MAX_LINES ? [...changes.slice(0, MAX_LINES), `(${changes.length - MAX_LINES} more change(s) not listed)`] : changes;
    return appendAudit(tx, {
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
  }, { writes: [KEY] });
}

/** One line for lists: the first changes, and how many more. */
function summary(changes: readonly string[], first: boolean): string {
  const head = first ? 'first recorded config: ' : '';
  const shown = changes.slice(0, 3).join('; ');
  const more = changes.length > 3 ? ` (+${changes.length - 3} more)` : '';
  return `${head}${shown || 'no governance setting'}${more}`;
}
