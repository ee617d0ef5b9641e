import type { IncomingMessage } from 'node:http';

/**
 * An emulator request's raw body, refused past `maxBytes` with the error `tooLarge` makes (each
 * emulator answers it in its app's words). Mounted behind a parent app's body parser the stream is
 * already consumed: then the body is empty and the caller reads the parsed `req.body`.
 */
export function readBody(req: IncomingMessage, maxBytes: number, tooLarge: () => Error): Promise<Buffer> {
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        req.pause();
        reject(tooLarge());
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
