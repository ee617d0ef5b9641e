import type { WritebackValues } from './attributes.ts';

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
  problem?: WritebackProblem;
}

/** A day: a refused person is tried again after it even if nothing changed (the IdP side may have been fixed). */
export const PROBLEM_RETRY_MS = 24 * 60 * 60 * 1000;

declare module '../store/collections.ts' {
  interface Collections {
    writebackState: WritebackStateRecord;
  }
}
