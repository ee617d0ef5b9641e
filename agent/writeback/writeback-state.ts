import { WRITEBACK_FIELDS, type WritebackField, type WritebackValues } from './attributes.ts';

/**
 * What hubwarden last wrote to the IdP for one person on one hub (collection `writebackState`,
 * partition = hub id, id = directory user id). Write-back sends only the attributes whose value
 * changed since; a person the IdP refused (mastered elsewhere, missing) keeps the problem here and
 * is retried only when the values change or after `PROBLEM_RETRY_MS`.
 */
export interface WritebackProblem {
  /** `deactivated`: Okta refuses deactivated users until "Edit Deactivated User Profile Updates" is on (deactivated-gate.ts). */
  kind: 'mastered-elsewhere' | 'not-found' | 'rejected' | 'permission-denied' | 'deactivated';
  /** The IdP's own words (Okta errorSummary, Graph error message); never a secret. */
  message: string;
  at: string;
  /** The values we tried to write when refused. */
  values: WritebackValues;
}

export interface WritebackStateRecord {
  hubId: string;
  directoryUserId: string;
  /** Config key of the identity provider written to; values written to another IdP do not count. */
  idp: string;
  /** The target's destination (Okta org, Entra tenant/extension app) written to; absent in records written before it was kept. */
  destination?: string;
  /** The IdP user id or login/UPN written to. */
  idpUserId: string;
  written?: WritebackValues;
  writtenAt?: string;
  /**
   * Only beside a written `removed`: it was written because the person is deactivated in the IdP,
   * and they held no seat (compute.ts). Once reactivated they are told what anyone without a seat
   * is (`pending`, `offered`...), not `removed`, which tells of a seat lost. Absent on a `removed`
   * for a seat lost, and on those written before this was kept (read as a seat lost, as then).
   */
  seatless?: true;
  problem?: WritebackProblem;
  /**
   * The empty values of `written` were sent as null (no value). Absent on Okta records written
   * before: those were sent as empty strings, which Okta keeps as values, so each is sent once
   * more, as null (`emptiesToClear`).
   */
  noneAsNull?: true;
}

/** The `seatless` mark to keep beside values written. */
export const seatMark = (values: WritebackValues, seatless: boolean | undefined): { seatless?: true } => (values.status === 'removed' && seatless ? { seatless: true } : {});

/** The `seatless` mark of values already written, changed in the store only: the IdP holds the same values (no call). */
export function remark(state: Readonly<WritebackStateRecord>, seatless: boolean | undefined): WritebackStateRecord | undefined {
  const mark = state.written ? seatMark(state.written, seatless) : {};
  if ((state.seatless === true) === (mark.seatless === true)) return undefined;
  const { seatless: _old, ...rest } = state;
  return { ...rest, ...mark };
}

/**
 * Fields written as an empty string to Okta by a release that sent "none" so (no `noneAsNull`), and
 * still empty: sent once more, as null, so Okta holds no value (okta-target.ts `update`).
 */
export function emptiesToClear(kind: 'okta' | 'entra', state: Readonly<WritebackStateRecord> | undefined, values: WritebackValues): WritebackField[] {
  if (kind !== 'okta' || !state?.written || state.noneAsNull) return [];
  return WRITEBACK_FIELDS.filter((f) => state.written![f] === '' && values[f] === '');
}

/** A day: a refused person is tried again after it even if nothing changed (the IdP side may have been fixed). */
export const PROBLEM_RETRY_MS = 24 * 60 * 60 * 1000;

declare module '../store/collections.ts' {
  interface Collections {
    writebackState: WritebackStateRecord;
  }
}
