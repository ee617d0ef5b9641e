import type { ConfigRevision } from '../../audit/config-change.ts';
import type { Operation, OperationReason } from '../../plan/operation.ts';

/** Reasons the hub's access rules decide (its teams and default team), so a config edit can cause them. */
const RULES_REASONS: ReadonlySet<OperationReason> = new Set(['assigned', 'group-change', 'unassigned']);

/**
 * What a planned change's audit entry says of the config revision whose rules it applied: a
 * config edit (a team or grant removed, an app role changed) takes effect person by person, under
 * whatever check runs next, and without this the removal it caused named no link to the
 * `config-changed` entry that recorded the edit (audit/config-change.ts). Named for the reasons
 * the rules decide, not for a deprovisioning or an expired invite, nor for a forced removal (an
 * owner's or a leaver workflow's decision, not the rules'). It names the rules in force, which a
 * group change pushed over SCIM applies too: the `config-changed` entry's `changes` say whether
 * that revision touched the person's team.
 */
export function configCause(op: Operation, forced: boolean, revision: ConfigRevision | undefined): { note: string; detail?: { config: ConfigRevision } } {
  if (!revision || forced || !RULES_REASONS.has(op.reason)) return { note: '' };
  const entry = revision.auditSeq !== undefined ? `config-changed entry seq ${revision.auditSeq}` : 'config-changed entry';
  return { note: `; hub rules of config sha256 ${revision.sha256.slice(0, 12)}, changed ${revision.at} (${entry})`, detail: { config: revision } };
}
