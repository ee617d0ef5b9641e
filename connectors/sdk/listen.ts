import { createServer, type RequestListener } from 'node:http';

/**
 * Serves an emulator's handler on `host:port` (port 0: any free port) for tests and the
 * standalone `hubwarden emulator <app>` command. `url` has no trailing slash; `close` also drops
 * held (timeout-fault) and kept-alive connections, which would keep it waiting forever.
 */
export function listenOn(handler: RequestListener, port: number, host: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(handler);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      const actualPort = typeof address === 'object' && address ? address.port : port;
      const hostPart = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${hostPart}:${actualPort}`,
        close: () => new Promise<void>((done, fail) => {
          server.close((err) => (err ? fail(err) : done()));
          server.closeAllConnections();
        }),
      });
    });
  });
}
