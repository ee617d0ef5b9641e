/**
 * What the fleet did to Meta, read from the emulator's call log (every request, and every
 * operation inside a batch request, in the order the emulator handled them), followed as it grows.
 * This is the ground truth the suite judges by: Meta's side, not hubwarden's own bookkeeping.
 *
 * - Invites: `POST /{business}/business_users` with an `email`
 *   (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users),
 *   alone or inside a batch (https://developers.facebook.com/docs/graph-api/batch-requests).
 *   Accepted ones (HTTP 200) are the invites Meta sent; refused ones (the emulator answers #100
 *   "already invited" as Meta does) are attempts that reached Meta but sent nothing.
 * - Checks for updates: each one starts by listing `GET /{business}/system_users` from its first
 *   page (connectors/meta-business/read/people.ts), so first pages of that listing count the
 *   checks that ran. The token check reads the same edge when Graph does not answer debug_token
 *   (the emulator's default: connectors/meta-business/read/credential.ts), asking for `fields=id`
 *   and one item only: that probe is no listing, and counting it made every run two reads.
 */
import type { RecordedCall } from '../../connectors/meta-business/emulator/index.ts';
import type { EmulatorProcess } from '../bench/emulator-process.ts';

export class GraphLog {
  /** Accepted invite POSTs per email (lower-case). */
  readonly invites = new Map<string, number>();
  /** Refused invite POSTs per email. */
  readonly refusedInvites = new Map<string, number>();
  /** Emulator times (epoch ms) at which a check for updates started reading. */
  readonly checkReads: number[] = [];
  private seen = 0;
  private readonly invitePath: string;
  private readonly systemUsersPath: string;

  constructor(private readonly emulator: EmulatorProcess, businessId: string) {
    this.invitePath = `/${businessId}/business_users`;
    this.systemUsersPath = `/${businessId}/system_users`;
  }

  private updating: Promise<void> = Promise.resolve();

  /**
   * Takes in the calls made since the last update. Updates run one after another: two reading
   * from the same `seen` at once would count the same calls twice and then skip as many.
   */
  update(): Promise<void> {
    this.updating = this.updating.catch(() => {}).then(async () => {
      const calls = await this.emulator.callsFrom(this.seen);
      this.seen += calls.length;
      for (const c of calls) this.take(c);
    });
    return this.updating;
  }

  private take(c: RecordedCall): void {
    if (c.method === 'POST' && c.path === this.invitePath && typeof c.body.email === 'string') {
      const email = c.body.email.toLowerCase();
      const book = c.status === 200 ? this.invites : this.refusedInvites;
      book.set(email, (book.get(email) ?? 0) + 1);
    } else if (c.method === 'GET' && c.path === this.systemUsersPath && c.status === 200 && !c.query.after && c.query.fields !== 'id') {
      this.checkReads.push(c.at);
    }
  }

  /** Accepted invite POSTs in all. */
  invitesSent(): number {
    let n = 0;
    for (const v of this.invites.values()) n += v;
    return n;
  }
}

/** Everyone the emulator's world holds as a pending invite or a business user (lower-case emails). */
export async function invitedOrMembers(emulator: EmulatorProcess): Promise<Set<string>> {
  const { state } = await emulator.report();
  return new Set([
    ...state.invites.filter((i) => i.status === 'PENDING').map((i) => i.email.toLowerCase()),
    ...state.users.map((u) => u.email.toLowerCase()),
  ]);
}
