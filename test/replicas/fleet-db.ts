/**
 * Read-only SQL over the fleet's schema, for what no API lists: check-run records and the work
 * still in flight. The store keeps each record as `json` in `records (collection, partition, id,
 * data)` (agent/store/postgres/migrations/001-records.sql); `->>` reads a field of it
 * (https://www.postgresql.org/docs/current/functions-json.html).
 */
import pg from 'pg';
import type { CheckRunRecord } from '../../agent/check-for-updates/check-run.ts';

const UNFINISHED = ['queued', 'running', 'waiting'];

export class FleetDb {
  private readonly client: pg.Client;

  constructor(url: string, private readonly schema: string) {
    this.client = new pg.Client({ connectionString: url });
    this.client.on('error', () => {});
  }

  async open(): Promise<void> {
    await this.client.connect();
  }

  close(): Promise<void> {
    return this.client.end().catch(() => {});
  }

  /** The hub's check-run records (the newest 50 are kept: agent/check-for-updates/run-check.ts KEEP_RUNS). */
  async checkRuns(hubId: string): Promise<CheckRunRecord[]> {
    const { rows } = await this.client.query(`SELECT data FROM "${this.schema}".records WHERE collection = 'checkRuns' AND partition = $1`, [hubId]);
    return rows.map((r) => r.data as CheckRunRecord);
  }

  /** Tasks of these kinds not finished yet, and outbox entries not yet dispatched. */
  async inFlight(kinds: readonly string[]): Promise<{ tasks: number; outbox: number }> {
    const tasks = await this.client.query(
      `SELECT count(*)::int AS n FROM "${this.schema}".records WHERE collection = 'tasks' AND data->>'kind' = ANY($1) AND data->>'status' = ANY($2)`,
      [kinds, UNFINISHED],
    );
    const outbox = await this.client.query(`SELECT count(*)::int AS n FROM "${this.schema}".records WHERE collection = 'outbox'`);
    return { tasks: tasks.rows[0].n as number, outbox: outbox.rows[0].n as number };
  }

  /** Unfinished tasks by kind and status (`invite running: 12, …`), for progress lines and failure messages. */
  async openTasks(): Promise<string> {
    const { rows } = await this.client.query(
      `SELECT data->>'kind' AS kind, data->>'status' AS status, count(*)::int AS n FROM "${this.schema}".records WHERE collection = 'tasks' AND data->>'status' = ANY($1) GROUP BY 1, 2 ORDER BY 1, 2`,
      [UNFINISHED],
    );
    return rows.map((r) => `${r.kind} ${r.status}: ${r.n}`).join(', ') || 'none';
  }

  /** Tasks of these kinds that failed (given up). */
  async failed(kinds: readonly string[]): Promise<Array<{ kind: string; summary: string; error?: string }>> {
    const { rows } = await this.client.query(
      `SELECT data->>'kind' AS kind, data->>'summary' AS summary, data->'lastError'->>'message' AS error FROM "${this.schema}".records WHERE collection = 'tasks' AND data->>'kind' = ANY($1) AND data->>'status' = 'failed'`,
      [kinds],
    );
    return rows as Array<{ kind: string; summary: string; error?: string }>;
  }
}
