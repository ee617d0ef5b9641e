/**
 * A directory user the IdP deleted (SCIM DELETE, RFC 7644 §3.6). The user record is gone, but
 * their seat in the app still has to go: this keeps the emails that identify it until the plan
 * no longer finds a seat for them. Partition = hub id, id = the deleted user's SCIM id.
 */
export interface DepartedUserRecord {
  hubId: string;
  directoryUserId: string;
  userName: string;
  emails: string[];
  at: string;
}

declare module '../store/collections.ts' {
  interface Collections {
    departedUsers: DepartedUserRecord;
  }
}
