import pg from 'pg';
import { childLogger } from '../../log/logger.ts';
import type { CollectionName } from '../collections.ts';
import type { Change } from '../store.ts';
import { detailOf, ident } from './sql.ts';

const log = childLogger('store');

/**
 * Change notifications between replicas. After a transaction that changed records commits, its
 * replica sends (Announcer) one or more `pg_notify(channel, payload)` with `{"origin": <the
 * sending replica's id>, "changes": [[collection, partition, id], …]}`, so only committed changes
 * are announced. One payload must stay under PostgreSQL's 8000-byte limit, so a big
 * transaction's changes are split across several notifications.
 *
 * Not inside the transaction: a transaction that has sent NOTIFY holds one lock for the whole
 * database from its pre-commit until its commit is durable
 * (https://www.postgresql.org/docs/current/sql-notify.html: "a transaction that has executed
 * NOTIFY cannot be prepared", and the queue is serialized at commit), so every writing
 * transaction would commit one after another, its WAL flush included. Measured: COMMIT took
 * 5.5 ms on average at 16 concurrent SCIM creates and capped them at about 175 per second. A
 * notification lost between COMMIT and the announcement (a crash) only delays the other
 * replicas' workers until their next poll: notifications wake workers, they carry no data.
 */
export type ChangeRef = readonly [collection: string, partition: string, id: string];

/** Room for the payload within PostgreSQL's limit (8000 bytes, "shorter than" it). */
export const PAYLOAD_LIMIT = 7_900;

export function notifyPayloads(origin: string, changes: readonly ChangeRef[], limit = PAYLOAD_LIMIT): string[] {
  const head = `{"origin":${JSON.stringify(origin)},"changes":[`;
  const tail = ']}';
  const payloads: string[] = [];
  let parts: string[] = [];
  let bytes = Buffer.byteLength(head) + tail.length;
  for (const ref of changes) {
    const item = JSON.stringify(ref);
    const size = Buffer.byteLength(item) + 1; // and its comma
    if (Buffer.byteLength(head) + tail.length + size > limit) {
      // One id longer than a payload can hold: no replica can be told about it by NOTIFY. They
      // see the change when they next read the record.
      log.warn('store: a change is too long to notify other replicas', { collection: ref[0], bytes: size });
      continue;
    }
    if (bytes + size > limit && parts.length > 0) {
      payloads.push(head + parts.join(',') + tail);
      parts = [];
      bytes = Buffer.byteLength(head) + tail.length;
    }
    parts.push(item);
    bytes += size;
  }
  if (parts.length > 0) payloads.push(head + parts.join(',') + tail);
  return payloads;
}

/**
 * Sends committed changes' notifications, batched: what is announced while a batch is being sent
 * goes in the next one (one statement, autocommit, no WAL flush), so a replica committing
 * hundreds of transactions a second sends a few notification statements, not one per commit.
 */
/** How long an announcement waits for others to share its NOTIFY statement. */
export const NOTIFY_BATCH_MS = 10;
/** Pause after a notification statement failed, doubling after each failure up to NOTIFY_RETRY_MAX_MS. */
export const NOTIFY_RETRY_MS = 200;
export const NOTIFY_RETRY_MAX_MS = 5_000;
/** Sends tried after a failure once the store is closing, before what is left is given up on. */
export const NOTIFY_RETRIES = 3;
/** Payloads kept while they cannot be sent; beyond, the oldest are dropped (8 KB each at most). */
export const NOTIFY_PENDING_MAX = 1_000;

export class Announcer {
  private pending: string[] = [];
  private sending: Promise<void> | null = null;
  private closing = false;
  /** Ends the pause before the next try (close). */
  private wake: (() => void) | undefined;

  constructor(private readonly o: { channel: string; origin: string; send: (text: string, values: unknown[]) => Promise<unknown>; retryMs?: number; retryMaxMs?: number }) {}

  announce(changes: readonly ChangeRef[]): void {
    if (changes.length === 0) return;
    this.pending.push(...notifyPayloads(this.o.origin, changes));
    this.sending ??= this.drain();
  }

  /** Resolves once everything announced so far was sent (or failed to send). */
  async flushed(): Promise<void> {
    while (this.sending) await this.sending;
  }

  /** The store is closing: what cannot be sent within a few more tries is given up on; resolves when done. */
  async close(): Promise<void> {
    this.closing = true;
    this.wake?.();
    await this.flushed();
  }

  private async drain(): Promise<void> {
    // Let the commits of the next few milliseconds join the batch: each NOTIFY statement is a round
    // trip, and at a few hundred commits a second one per commit cost as much as a commit's own
    // statements. Other replicas hear of a change this much later; nothing waits on it (reads
    // go to the database, notifications only wake workers early).
    await new Promise((resolve) => setTimeout(resolve, NOTIFY_BATCH_MS));
    let failures = 0;
    let warned = false;
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        await this.o.send('SELECT pg_notify($1, x) FROM unnest($2::text[]) AS x', [this.o.channel, batch]);
        if (warned) log.info('store: change notifications sent again', { count: batch.length });
        failures = 0;
        warned = false;
      } catch (err) {
        // Sent again, after a growing pause, for as long as the store is open: the commits are
        // made, and a replica not told of them keeps what it cached from notifications (a
        // members view) until the hub's next change, which may be days away; its own change feed
        // stayed connected, so nothing tells it to drop that cache (ChangeFeed `onResumed`). A
        // pooled connection that died idle (a database restart) failed the first send, and the
        // next, on a fresh connection, goes through; a cut of this replica's path to the
        // database (other replicas still listening) lasts longer. Given up on only at close.
        failures++;
        if (this.closing && failures > NOTIFY_RETRIES) {
          log.warn('store: change notifications not sent before close; other replicas learn of these changes by polling or when they next read them', { count: batch.length, error: detailOf(err) });
          failures = 0;
          continue;
        }
        if (failures === NOTIFY_RETRIES + 1 && !warned) {
          warned = true;
          log.warn('store: change notifications not sent yet; trying again until the database takes them', { count: batch.length, error: detailOf(err) });
        }
        this.pending = [...batch, ...this.pending];
        if (this.pending.length > NOTIFY_PENDING_MAX) {
          const dropped = this.pending.splice(0, this.pending.length - NOTIFY_PENDING_MAX);
          log.warn('store: change notifications dropped (too many waiting to be sent); other replicas learn of these changes by polling or when they next read them', { count: dropped.length });
        }
        const pauseMs = Math.min(this.o.retryMaxMs ?? NOTIFY_RETRY_MAX_MS, (this.o.retryMs ?? NOTIFY_RETRY_MS) * 2 ** (failures - 1));
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.closing ? 0 : pauseMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
    this.sending = null;
  }
}

/** The changes of another replica's payload as `remote` changes, or undefined for our own or a malformed one. */
export function remoteChanges(payload: string, ownOrigin: string): Change[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  const p = parsed as { origin?: unknown; changes?: unknown };
  if (typeof p?.origin !== 'string' || p.origin === ownOrigin || !Array.isArray(p.changes)) return undefined;
  const out: Change[] = [];
  for (const c of p.changes) {
    if (!Array.isArray(c) || c.length !== 3 || !c.every((v) => typeof v === 'string')) continue;
    out.push({ collection: c[0] as CollectionName, partition: c[1], id: c[2], record: undefined, remote: true });
  }
  return out;
}

export interface ChangeFeedOptions {
  /** A new client for the feed's own connection (not from the pool: LISTEN holds its session). */
  connect: () => pg.Client;
  channel: string;
  origin: string;
  onChanges: (changes: Change[]) => void;
  /** Listening again after the connection was cut: what was notified meanwhile is lost. */
  onResumed?: () => void;
  /** Longest pause between reconnection attempts (default 5 s). */
  maxBackoffMs?: number;
  /**
   * How often the listening connection is asked `SELECT 1` (default 30 s), and how long an answer
   * may take before the connection counts as lost (default 10 s).
   */
  heartbeatMs?: number;
  heartbeatTimeoutMs?: number;
}

export const FEED_HEARTBEAT_MS = 30_000;
export const FEED_HEARTBEAT_TIMEOUT_MS = 10_000;

/**
 * One dedicated connection LISTENing on the store's channel. When it drops it reconnects, with a
 * growing pause (200 ms doubling, up to `maxBackoffMs`). Notifications sent while it was
 * disconnected are lost (PostgreSQL queues them only for listening sessions): a replica's
 * listeners must treat notifications as a wake-up hint, never as the only way to learn of work,
 * and a cache kept from them is dropped once the feed listens again (`onResumed`,
 * `Store.subscribeMissed`): without that, a replica's members view stayed as it was before the
 * cut until the next change to that hub, however long it was read meanwhile.
 */
export class ChangeFeed {
  private client: pg.Client | null = null;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | undefined;
  private failures = 0;
  /** Connections made (tests watch it grow after a drop). */
  connections = 0;

  constructor(private readonly o: ChangeFeedOptions) {}

  /** Connects and LISTENs; rejects if the first connection fails (the store then fails to open). */
  async start(): Promise<void> {
    await this.connectOnce();
  }

  private async connectOnce(): Promise<void> {
    const client = this.o.connect();
    let listening = false; // until then a failure is the caller's (start, or the reconnect timer)
    let lost = false;
    let heartbeat: NodeJS.Timeout | undefined; // this connection's (this.heartbeat: the listening one's)
    const onLost = (err?: Error) => {
      if (!listening || lost) return;
      lost = true;
      clearInterval(heartbeat);
      if (this.client === client) this.client = null;
      client.removeAllListeners('notification');
      client.end().catch(() => {});
      if (!this.stopped) {
        log.warn('store: the PostgreSQL change feed lost its connection; reconnecting', { error: err ? detailOf(err) : 'connection ended' });
        this.scheduleReconnect();
      }
    };
    client.on('error', (err) => onLost(err));
    client.on('end', () => onLost());
    client.on('notification', (msg) => {
      if (msg.channel !== this.o.channel || msg.payload === undefined) return;
      const changes = remoteChanges(msg.payload, this.o.origin);
      if (changes && changes.length > 0) this.o.onChanges(changes);
    });
    let unanswered: NodeJS.Timeout | undefined;
    try {
      await client.connect();
      // Bounded as the heartbeat is: a LISTEN left unanswered (a server that accepted the
      // connection and went silent) held the reconnection for good, and no other was tried.
      const waitMs = this.o.heartbeatTimeoutMs ?? FEED_HEARTBEAT_TIMEOUT_MS;
      await Promise.race([
        client.query(`LISTEN ${ident(this.o.channel)}`),
        new Promise((_resolve, reject) => (unanswered = setTimeout(() => reject(new Error(`no answer to LISTEN within ${waitMs / 1000} s`)), waitMs))),
      ]);
    } catch (err) {
      client.removeAllListeners('notification');
      client.end().catch(() => {}); // with the LISTEN in flight, end() destroys the socket
      throw err;
    } finally {
      clearTimeout(unanswered);
    }
    if (this.stopped) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    listening = true;
    this.connections++;
    this.failures = 0;
    // A listening session only receives: a connection that went silent (a failover that moved the
    // address, a NAT or firewall dropping the idle flow) raises no error until TCP keepalive gives
    // up, hours later by the OS defaults, and the replica heard nothing meanwhile. Asked a
    // question now and then, it is found dead within a heartbeat (end() destroys the socket of a
    // query in flight) and replaced.
    let asking = false;
    heartbeat = setInterval(() => {
      if (asking || lost) return;
      asking = true;
      const waitMs = this.o.heartbeatTimeoutMs ?? FEED_HEARTBEAT_TIMEOUT_MS;
      const silent = setTimeout(() => onLost(new Error(`no answer to the change feed's heartbeat within ${waitMs / 1000} s`)), waitMs);
      silent.unref();
      client.query('SELECT 1').then(
        () => {
          clearTimeout(silent);
          asking = false;
        },
        (err: Error) => {
          clearTimeout(silent);
          onLost(err);
        },
      );
    }, this.o.heartbeatMs ?? FEED_HEARTBEAT_MS);
    heartbeat.unref();
    this.heartbeat = heartbeat;
    // Said once LISTEN is back, so a change committed after it is notified and one before it is
    // found by whoever re-reads now.
    if (this.connections > 1) this.o.onResumed?.();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.timer) return;
    const delay = Math.min(this.o.maxBackoffMs ?? 5_000, 200 * 2 ** this.failures);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connectOnce().catch((err) => {
        this.failures++;
        log.debug('store: the PostgreSQL change feed could not reconnect yet', { error: detailOf(err) });
        this.scheduleReconnect();
      });
    }, delay);
    this.timer.unref();
  }

  /** Whether the feed is listening now. */
  listening(): boolean {
    return this.client !== null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.heartbeat);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const client = this.client;
    this.client = null;
    if (client) {
      client.removeAllListeners('notification');
      await client.end().catch(() => {});
    }
  }
}
