import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { childLogger } from '../agent/log/logger.ts';
import { answerClientErrors, refusedTarget } from './front-door.ts';

const log = childLogger('server');

export interface RunningServer {
  server: Server;
  /** The address actually bound (port 0 becomes a real port), e.g. `http://127.0.0.1:43121`. */
  url: string;
  /** Runs `beforeClose`, stops accepting, lets in-flight requests finish (up to `graceMs`), then runs `onClose`. */
  close(): Promise<void>;
}

export interface ServeOptions {
  host: string;
  port: number;
  /**
   * Runs first, while the listener still accepts, with `graceMs` less `drainMs` as its budget: what calls back
   * into this process over loopback (the agent reading a built-in sandbox emulator mounted on the
   * same server) stops here, before its calls would meet a closed port (ECONNREFUSED, retried and
   * logged until the grace ran out).
   */
  beforeClose?: (budgetMs: number) => Promise<void>;
  /**
   * Runs after the last request finished (close the store here, so its last writes are flushed),
   * with the milliseconds `graceMs` has left: the requests and what onClose stops share one budget.
   */
  onClose?: (remainingMs: number) => Promise<void>;
  /** How long `beforeClose` and the in-flight requests get, together, before connections are cut (default 10 s). */
  graceMs?: number;
  /**
   * What the requests in flight when the listener closes get at least, however long `beforeClose`
   * took (default 2 s, at most `graceMs`). Before, a beforeClose that used the whole grace (a task
   * waiting on an app call that does not answer) left them none: cut at once, as a SCIM write was
   * being answered.
   */
  drainMs?: number;
  /** The time limits on receiving a request (tests shorten them); defaults HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS, CHECK_INTERVAL_MS. */
  limits?: { headersMs?: number; requestMs?: number; checkIntervalMs?: number };
}

/**
 * How long an idle kept-alive connection stays open. Longer than the idle timeout of the proxies
 * in front (nginx keeps upstream connections 60 s: https://nginx.org/en/docs/http/ngx_http_upstream_module.html#keepalive_timeout;
 * an AWS load balancer 60 s by default): with Node's 5 s, a proxy could send a request on a
 * connection the server was just closing, and a SCIM POST (not retried by a proxy: not
 * idempotent) failed with a 502. The idle time between two requests does not count against
 * headersTimeout (Node ≥ 18 times the headers from a request's first byte), so that one can stay
 * short. A stop closes idle connections at once (close below), so this never delays one.
 */
export const KEEP_ALIVE_MS = 65_000;
/**
 * How long a request's line and headers may take to arrive, from its first byte: a client that
 * sends them a byte at a time (slowloris) holds its connection this long, then gets a 408. Every
 * client and proxy sends them at once; Node's 60 s default held such a connection a minute and more.
 */
export const HEADERS_TIMEOUT_MS = 20_000;
/**
 * How long a whole request, body included, may take (Node's default, kept on purpose): a group PUT
 * carries up to 16 MB (scim/body.ts), 55 KB/s. A body sent slower is cut with a 408.
 */
export const REQUEST_TIMEOUT_MS = 300_000;
/** How often Node checks those two limits (https://nodejs.org/api/http.html#httpcreateserveroptions-requestlistener, connectionsCheckingInterval; default 30 s, which let a slow client stay up to 30 s past them). */
export const CHECK_INTERVAL_MS = 2_000;

/**
 * What the admin does about the usual listen failures (listen(2) errors: EADDRINUSE, EACCES,
 * EADDRNOTAVAIL), so the one line `npm start` prints names the way out, not only the errno.
 */
export function listenHint(code: string | undefined): string {
  if (code === 'EADDRINUSE') return ' (another program is using that port: stop it, or choose another port with PORT=<port> or server.port)';
  if (code === 'EACCES') return ' (a port below 1024 needs privileges: choose a higher port with PORT=<port> or server.port, behind a reverse proxy)';
  if (code === 'EADDRNOTAVAIL') return ' (server.host is not an address of this machine: use 127.0.0.1, or 0.0.0.0 for every interface)';
  return '';
}

/** Listens; resolves once bound (rejects with the cause, e.g. EADDRINUSE, naming host and port). */
export function serve(app: Express, options: ServeOptions): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    // Header size stays Node's 16 KB (http.maxHeaderSize), which also bounds how many header lines
    // there can be (maxHeadersCount keeps its default 2,000). An HTTP/1.1 request without Host is
    // refused before express (front-door.ts refusedTarget: a 400 with a body, where Node's has none;
    // there too an absolute-form target is made a path, before express's router reads the URL),
    // and what the parser refuses gets an answer with a body too (answerClientErrors).
    const server = createServer({
      keepAliveTimeout: KEEP_ALIVE_MS,
      headersTimeout: options.limits?.headersMs ?? HEADERS_TIMEOUT_MS,
      requestTimeout: options.limits?.requestMs ?? REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: options.limits?.checkIntervalMs ?? CHECK_INTERVAL_MS,
      requireHostHeader: false,
    }, (req, res) => {
      if (!refusedTarget(req, res)) app(req, res);
    });
    answerClientErrors(server);
    server.listen(options.port, options.host);
    server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`cannot listen on ${options.host}:${options.port}: ${err.code ?? err.message}${listenHint(err.code)}`)));
    server.once('listening', () => {
      const { address, port } = server.address() as AddressInfo;
      const host = address.includes(':') ? `[${address}]` : address;
      let closing: Promise<void> | null = null;
      // From the start of a stop every response says `Connection: close`, and Node closes its
      // connection once it is sent (https://www.rfc-editor.org/rfc/rfc9112#section-9.6). Without
      // it, a request in flight at the stop was answered `keep-alive`: its connection then stayed
      // open, idle, after server.close() (Node closes idle connections only when asked), held the
      // stop for the whole grace and was cut at its end, maybe just as the proxy sent a SCIM POST
      // on it, which a proxy does not send again (not idempotent): the identity provider got a 502.
      const responses = new Set<ServerResponse>();
      const noKeepAlive = (res: ServerResponse) => {
        if (!res.headersSent) res.setHeader('Connection', 'close');
      };
      server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
        if (closing) noKeepAlive(res);
        responses.add(res);
        res.once('close', () => responses.delete(res));
      });
      const close = () =>
        (closing ??= (async () => {
          for (const res of responses) noKeepAlive(res);
          const total = options.graceMs ?? 10_000;
          const drainMs = Math.min(options.drainMs ?? 2_000, total);
          let deadline = Date.now() + total;
          await options.beforeClose?.(total - drainMs);
          deadline = Math.max(deadline, Date.now() + drainMs);
          const graceMs = deadline - Date.now();
          const done = new Promise<void>((r) => server.close(() => r()));
          server.closeIdleConnections(); // keep-alive sockets with no request in flight
          // A response whose headers were already sent said keep-alive: its connection turns idle
          // when it ends, and is closed then rather than at the end of the grace.
          for (const res of responses) if (res.getHeader('connection') !== 'close') res.once('close', () => setImmediate(() => server.closeIdleConnections()));
          let cut = false;
          const timer = setTimeout(() => {
            cut = true;
            server.closeAllConnections();
          }, graceMs);
          await done;
          clearTimeout(timer);
          // Once the grace ran out, nothing is left: the timer's clock and Date.now() can differ
          // by a millisecond, which would hand onClose a sliver of a budget already spent.
          await options.onClose?.(cut ? 0 : Math.max(0, deadline - Date.now()));
        })());
      resolve({ server, url: `http://${host}:${port}`, close });
    });
  });
}

/** How long a stop may take from the signal before the process exits anyway (stopOnSignals). */
export const STOP_LIMIT_MS = 10_000;

/**
 * SIGTERM/SIGINT: close gracefully, then exit (0, or 1 if closing failed). The same signal can
 * arrive twice for one stop: Ctrl-C in a terminal signals the whole foreground process group, and
 * `npm start` forwards the SIGINT it received to this process as well
 * (https://github.com/npm/run-script/blob/main/lib/signal-manager.js). So a repeat within
 * `repeatMs` is that echo; a later one (someone insisting) exits at once.
 *
 * A stop that has not ended after `limitMs` exits 1 anyway, with one error line: a step that waits
 * on a peer that went silent (a PostgreSQL connection that carries nothing: pg waits up to its
 * answer timeout, 60 s, for each statement) would otherwise hold the process until the supervisor
 * kills it (Kubernetes: SIGKILL after terminationGracePeriodSeconds,
 * https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination), with nothing
 * in the log. Nothing is lost: leases not handed back lapse, a transaction not committed is rolled
 * back by the database, and a lowdb journal not folded is replayed at the next start.
 */
export function stopOnSignals(running: RunningServer, repeatMs = 2_000, limitMs = STOP_LIMIT_MS): void {
  let stoppingSince: number | null = null;
  const stop = (signal: NodeJS.Signals) => {
    if (stoppingSince !== null) {
      if (Date.now() - stoppingSince < repeatMs) return;
      log.warn('stopping at once: signal repeated', { signal });
      process.exit(1);
    }
    stoppingSince = Date.now();
    log.info('stopping', { signal });
    setTimeout(() => {
      log.error(`stopping did not end within ${limitMs / 1000} s (a store or app call that does not answer); exiting without the remaining steps: leases not handed back lapse and their tasks run again, marked interrupted`, { signal });
      process.exit(1);
    }, limitMs).unref();
    running.close().then(
      () => {
        // The line after "stopping" that says the stop completed (the store folded, tasks handed
        // back): without it, Ctrl-C left "stopping" as the last word, a clean stop or not.
        log.info('stopped', { signal, ms: Date.now() - stoppingSince! });
        process.exit(0);
      },
      (err: Error) => {
        log.error('stopping failed', { error: err.message });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
