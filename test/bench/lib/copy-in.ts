/**
 * `COPY … FROM STDIN` over a node-postgres client, without pg-copy-streams (not a dependency):
 * a "submittable" (https://node-postgres.com/apis/client#clientquery, the interface pg's own
 * Query and pg-cursor implement) that sends the rows as CopyData messages when the server answers
 * CopyInResponse, then CopyDone (https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-COPY).
 * Used by the scale benchmark to load a million records in minutes instead of hours of INSERTs.
 */
import type pg from 'pg';

/** A value in COPY's text format: backslash, tab, newline and carriage return escaped (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.2). */
export function copyText(value: string): string {
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : value;
}

/** One COPY line of text columns. */
export function copyLine(columns: readonly string[]): string {
  return `${columns.map(copyText).join('\t')}\n`;
}

interface Connection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/** Runs `COPY table (columns) FROM STDIN` with `lines` (from `copyLine`); resolves with the rows copied. */
export function copyIn(client: pg.ClientBase, sql: string, lines: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    let failure: Error | undefined;
    let rows = 0;
    const submittable = {
      submit(connection: Connection) {
        connection.query(sql);
      },
      handleCopyInResponse(connection: Connection) {
        // Chunks of about 1 MB: one CopyData message each.
        let chunk: string[] = [];
        let size = 0;
        for (const line of lines) {
          chunk.push(line);
          size += line.length;
          if (size >= 1 << 20) {
            connection.sendCopyFromChunk(Buffer.from(chunk.join(''), 'utf8'));
            chunk = [];
            size = 0;
          }
        }
        if (chunk.length > 0) connection.sendCopyFromChunk(Buffer.from(chunk.join(''), 'utf8'));
        connection.endCopyFrom();
      },
      handleCommandComplete(msg: { text?: string }) {
        rows = Number(/(\d+)$/.exec(msg.text ?? '')?.[1] ?? 0);
      },
      handleError(err: Error) {
        failure = err;
      },
      handleReadyForQuery() {
        if (failure) reject(failure);
        else resolve(rows);
      },
      handleRowDescription() {},
      handleDataRow() {},
      handleEmptyQuery() {},
      handlePortalSuspended() {},
      handleCopyData() {},
    };
    void client.query(submittable as never);
  });
}
