import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A test emulator listening on 127.0.0.1 (port 0: any free port), as the team rules require. */
export interface LoopbackServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  /** Drops kept-alive connections too, so a test's `after` never waits on an idle client socket. */
  close(): Promise<void>;
}

export async function listenOnLoopback(app: RequestListener, port = 0): Promise<LoopbackServer> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((err) => (err ? reject(err) : resolve()));
    }),
  };
}
