import { createServer, connect, type Server, type Socket } from 'node:net';

/** A proxy in front of the test database, with the database URL rewritten to go through it. */
export async function pgProxy(dbUrl: string): Promise<Awaited<ReturnType<typeof tcpProxy>> & { url: string }> {
  const target = new URL(dbUrl);
  const proxy = await tcpProxy(target.hostname, Number(target.port || 5432));
  const url = new URL(dbUrl);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  return Object.assign(proxy, { url: url.toString() });
}

/**
 * A TCP proxy to PostgreSQL that a test can stop (every connection cut) and start again on the
 * same port, or freeze (the connections open now stay open and carry nothing, as a path that went
 * silent; new ones are carried).
 */
export async function tcpProxy(host: string, port: number): Promise<{ port: number; stop(): Promise<void>; start(): Promise<void>; close(): Promise<void>; freeze(): void; cutWhen(text: string): void; swallowWhen(text: string | undefined): void; loseReplyWhen(text: string | undefined): void }> {
  let server: Server | null = null;
  /**
   * A connection whose client sends this text carries it to the server, and is cut when the
   * server's answer comes (the answer dropped): the statement ran, and the client cannot know.
   */
  let loseReplyOn: string | undefined;
  /** A connection whose client sends this text is cut there (both sockets destroyed). */
  let cutOn: string | undefined;
  /** A connection whose client sends this text carries nothing more to the server (it stays open). */
  let swallow: string | undefined;
  const sockets = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  let listenPort = 0;
  const start = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = connect(port, host);
        for (const sock of [client, upstream]) {
          sockets.add(sock);
          sock.on('close', () => sockets.delete(sock));
          sock.on('error', () => {});
        }
        let silenced = false; // carries nothing more to the server
        client.on('data', (chunk: Buffer) => {
          if (cutOn !== undefined && chunk.includes(cutOn)) {
            client.destroy();
            upstream.destroy();
            return;
          }
          if (swallow !== undefined && chunk.includes(swallow)) silenced = true;
          if (loseReplyOn !== undefined && chunk.includes(loseReplyOn)) {
            upstream.unpipe(client);
            upstream.once('data', () => {
              client.destroy();
              upstream.destroy();
            });
            upstream.resume(); // unpiped, it was paused
          }
          if (!silenced) upstream.write(chunk);
        });
        upstream.pipe(client);
        const pair: [Socket, Socket] = [client, upstream];
        pairs.add(pair);
        client.on('close', () => pairs.delete(pair));
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      s.once('error', reject);
      s.listen(listenPort, '127.0.0.1', () => {
        listenPort = (s.address() as { port: number }).port;
        server = s;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const sock of sockets) sock.destroy();
      if (!server) return resolve();
      server.close(() => resolve());
      server = null;
    });
  const freeze = () => {
    for (const [client, upstream] of pairs) {
      client.pause();
      upstream.unpipe(client);
      upstream.pause();
    }
    pairs.clear();
  };
  await start();
  return { port: listenPort, start, stop, close: stop, freeze, cutWhen: (text) => (cutOn = text), swallowWhen: (text) => (swallow = text), loseReplyWhen: (text) => (loseReplyOn = text) };
}
