import type { AppInvite } from '../../connectors/sdk/hub-model.ts';

/**
 * An invite's status as hubwarden counts it at `now`: one still listed (or recorded) as pending
 * past the expiry hubwarden knows is expired. An app that gives invitations no expiry keeps a
 * stale one listed as pending (TikTok: the connector's assumed lifetime, snapshot-update.ts), and
 * Meta's expiration_time may pass between two checks. Used where invites are recorded (a check
 * for updates, a person's re-read) and where they are planned.
 */
export function inviteStatusAt(invite: Pick<AppInvite, 'status' | 'expiresAt'>, now: string): AppInvite['status'] {
  const lapsed = invite.expiresAt !== undefined && Date.parse(invite.expiresAt) <= Date.parse(now);
  return invite.status === 'pending' && lapsed ? 'expired' : invite.status;
}
