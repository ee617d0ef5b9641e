/**
 * A directory user the IdP deleted (SCIM DELETE, RFC 7644 §3.6). The user record is gone, but
 * their seat in the app still has to go: this keeps the emails that identify it while a seat of
 * theirs remains. Forgotten when the removal of their last seat completes
 * (tasks/operations/snapshot-update.ts), or retired, audited, by the first complete check for
 * updates after their deletion that lists no row of theirs while no removal for them is pending
 * (retire-departed.ts): a seat added under their email after that is unmatched, an owner's to
 * decide. Partition = hub id, id = the deleted user's SCIM id.
 */
export interface DepartedUserRecord {
  hubId: string;
  directoryUserId: string;
  userName: string;
  emails: string[];
  /** When the dispatcher recorded the deletion (retire-departed.ts counts a listing from it). */
  at: string;
  /**
   * When the SCIM DELETE was accepted (its outbox entry's time, outbox.ts), which `at` follows by
   * however long the outbox waited to be dispatched. What "created after the deletion" is measured
   * from (ambiguous-person.ts): measured from `at`, a user the IdP created in that wait (the same
   * provisioning cycle, or while the agent was restarting) counted as created before it. Absent
   * on records written before it was kept.
   */
  deletedAt?: string;
  /**
   * When the deleted user was created (RFC 7643 §3.1 `meta.created`, carried by the deletion's
   * change). An IdP may create a rehire's new account before it deletes the old one (a SCIM POST,
   * RFC 7644 §3.3, ahead of the DELETE, §3.6): a user with the same address created after this is
   * possibly their re-creation (ambiguous-person.ts). Absent on records written before it was
   * kept (and on outbox entries from then): read as unknown, so every such user counts as possibly
   * the re-creation.
   */
  created?: string;
}

declare module '../store/collections.ts' {
  interface Collections {
    departedUsers: DepartedUserRecord;
  }
}
