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
   * however long the outbox waited to be dispatched. What "created since the deletion" is measured
   * from (ambiguous-person.ts): measured from `at`, a user the IdP created in that wait (the same
   * provisioning cycle, or while the agent was restarting) counted as created before it. Absent
   * on records written before it was kept.
   */
  deletedAt?: string;
}

declare module '../store/collections.ts' {
  interface Collections {
    departedUsers: DepartedUserRecord;
  }
}
