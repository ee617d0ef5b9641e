import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { RequestHandler } from 'express';
import { ERROR_SCHEMA } from './scim/errors.ts';
import { SCIM_CONTENT_TYPE } from './scim/context.ts';

/**
 * What happens before a request reaches the routes: the answers Node's HTTP parser gives on its
 * own (a request line or headers it cannot read, a request that arrived too slowly) get a body in
 * the format of the surface asked (RFC 7644 §3.12 under `/scim/`, a short JSON error elsewhere),
 * and request targets are read as RFC 9112 §3.2 says.
 */

/** SCIM is mounted at `/scim/v2` (compose.ts); its hubs' base URLs are `/scim/v2/hubs/<hub id>`. */
const SCIM_PATH = /^\/scim(?:\/|$)/i;

/** The answer to a request that did not reach the routes, in the format of the surface it named. */
export function edgeAnswer(status: number, path: string | undefined, detail: string): { contentType: string; body: string } {
  if (path !== undefined && SCIM_PATH.test(path)) {
    return { contentType: SCIM_CONTENT_TYPE, body: JSON.stringify({ schemas: [ERROR_SCHEMA], status: String(status), detail }) };
  }
  return { contentType: 'application/json; charset=utf-8', body: JSON.stringify({ error: status === 501 ? 'not-implemented' : 'bad-request', message: detail }) };
}

/** `METHOD SP target` at the start of what the parser failed on: the path asked, when it is there (origin or absolute form). */
const REQUEST_LINE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ (?:https?:\/\/[^/\s?#]*)?(\/[^\s?#]*)/i;

/**
 * The status and detail for a parser error (https://nodejs.org/api/http.html#event-clienterror):
 * the request line or headers past Node's limit (http.maxHeaderSize, 16 KB) are 414 when the
 * request line is what is long (8,000 octets or more, or not ended within what was read: RFC 9112
 * §3, a request-target longer than the server parses) and 431 otherwise (RFC 6585 §5); a request not received within the server's
 * time limits 408 (RFC 9110 §15.5.9); chunk extensions too large 413; anything else unreadable
 * (a bad request line, a character not allowed in a header, Content-Length with Transfer-Encoding,
 * a repeated Content-Length: RFC 9112 §6.3) 400. A Transfer-Encoding whose final coding is not
 * chunked is refused by the parser itself (HPE_INVALID_TRANSFER_ENCODING): 400 and close, as
 * RFC 9112 §6.1 requires, with a detail naming it.
 */
export function clientErrorStatus(code: string | undefined, packet: Buffer | undefined): { status: number; detail: string; path: string | undefined } {
  const head = packet ? packet.subarray(0, 2048).toString('latin1') : '';
  const path = REQUEST_LINE.exec(head)?.[1];
  if (code === 'HPE_HEADER_OVERFLOW') {
    const line = packet!.indexOf('\n');
    if (path !== undefined && (line === -1 || line >= LONG_REQUEST_LINE)) return { status: 414, path, detail: SCIM_PATH.test(path) ? 'the request URL is too long; send a long filter as POST .search (RFC 7644 §3.4.3)' : 'the request URL is too long' };
    return { status: 431, path, detail: 'the request headers are too large (at most 16 KB together)' };
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, path, detail: 'the request was not received in time' };
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return { status: 413, path, detail: 'the chunk extensions are too large' };
  if (code === 'HPE_INVALID_TRANSFER_ENCODING') return { status: 400, path, detail: 'the request Transfer-Encoding is not valid: chunked must be its final coding (RFC 9112 §6.1)' };
  return { status: 400, path, detail: 'the request could not be read as HTTP/1.1 (RFC 9112)' };
}

/** How long a socket answered here stays open for the client to read the answer before it is cut. */
const LINGER_MS = 1_000;
/** A request line this long is what overflowed (RFC 9112 §3 asks servers to take request lines of 8,000 octets). */
const LONG_REQUEST_LINE = 8_000;

/**
 * Answers what Node's parser refuses (`clientError`, https://nodejs.org/api/http.html#event-clienterror)
 * with a whole response (status line, length, body, `Connection: close`), never quoting the request,
 * and only while nothing else is being written on the socket: not when the socket is no longer
 * writable, nor when the failed request is one whose response has begun (a body that stopped
 * arriving after the route answered), nor in the middle of another response. The parser reports the
 * same error again for each later chunk of a request it gave up on: one answer per socket.
 */
export function answerClientErrors(server: Server): void {
  const last = new WeakMap<Socket, { req: IncomingMessage; res: ServerResponse }>();
  const answered = new WeakSet<Socket>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => last.set(req.socket, { req, res }));
  server.on('clientError', (err: Error & { code?: string; rawPacket?: Buffer }, socket: Socket) => {
    if (answered.has(socket)) return;
    answered.add(socket);
    const previous = last.get(socket);
    const busy = previous !== undefined && previous.res.headersSent && (!previous.req.complete || !previous.res.writableFinished);
    if (err.code === 'ECONNRESET' || !socket.writable || busy) {
      socket.destroy();
      return;
    }
    const { status, detail, path } = clientErrorStatus(err.code, err.rawPacket);
    // A request whose headers were read and whose body stopped arriving (408): its path is known.
    // express shortens `url` inside a mounted router; `originalUrl` keeps the whole path.
    const asked = previous && !previous.req.complete ? ((previous.req as IncomingMessage & { originalUrl?: string }).originalUrl ?? previous.req.url) : undefined;
    const pending = asked?.split('?')[0];
    const { contentType, body } = edgeAnswer(status, path ?? pending, detail);
    socket.end([
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
      `Content-Type: ${contentType}`,
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Cache-Control: no-store',
      'Connection: close',
      '',
      body,
    ].join('\r\n'));
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  });
}

/**
 * Request targets and Host (RFC 9112 §3.2), read before express sees the request (serve.ts): an
 * HTTP/1.1 request with no Host line, or any with more than one, is a 400 (in place of Node's,
 * which has no body: serve.ts turns that one off). A target in absolute form (`GET http://host/path`)
 * names its own host, which counts instead of the Host header (RFC 9112 §3.2.2): the own-host check
 * of the dashboard (own-host.ts) then judges that host, and the routes, `originalUrl` included, see
 * the path alone. A request body in a transfer coding hubwarden does not implement is a 501
 * (unknownTransferCoding). An HTTP/1.0 request (or older) with a Transfer-Encoding line, whatever
 * its value, is a 400 (RFC 9112 §6.1: "A server or client that receives an HTTP/1.0 message
 * containing a Transfer-Encoding header field MUST treat the message as if the framing is faulty,
 * even if a Content-Length is present, and close the connection after processing the message"):
 * Node's parser de-chunks `Transfer-Encoding: chunked` on HTTP/1.0 as on HTTP/1.1, and a proxy in
 * front that reads such a body by Content-Length or to the end of the connection frames it
 * differently (request smuggling, RFC 9112 §11.2). Transfer-Encoding with Content-Length the parser
 * refuses itself (clientErrorStatus). Every refusal here closes the connection, and is made before
 * the routes read any of the body. Returns whether the request was answered here.
 */
export function refusedTarget(req: IncomingMessage, res: ServerResponse): boolean {
  let hosts = 0;
  let transferEncoding = false;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    if (name === 'host') hosts += 1;
    else if (name === 'transfer-encoding') transferEncoding = true;
  }
  const url = req.url ?? '/';
  const path = url.startsWith('/') ? url.split('?')[0] : undefined;
  if (hosts > 1) return refuse(res, path, 'the request has more than one Host header (RFC 9112 §3.2)');
  const before11 = req.httpVersionMajor < 1 || (req.httpVersionMajor === 1 && req.httpVersionMinor < 1);
  if (hosts === 0 && !before11) return refuse(res, path, 'an HTTP/1.1 request must carry a Host header (RFC 9112 §3.2)');
  if (transferEncoding && before11) return refuse(res, path, `an HTTP/${req.httpVersion} request cannot carry Transfer-Encoding: its framing is faulty (RFC 9112 §6.1); send the body with Content-Length, or as HTTP/1.1`);
  const coding = unknownTransferCoding(req.headers['transfer-encoding']);
  if (coding !== undefined) return refuse(res, path, `the request Transfer-Encoding "${coding}" is not implemented: send the body with chunked alone, or with Content-Length (RFC 9112 §6.1)`, 501);
  if (url.startsWith('/') || url === '*') return false; // origin form, or asterisk form (OPTIONS *, RFC 9112 §3.2.4)
  let target: URL | undefined;
  try {
    target = new URL(url);
  } catch {
    target = undefined;
  }
  if (!target || (target.protocol !== 'http:' && target.protocol !== 'https:') || !target.host) {
    return refuse(res, undefined, 'the request target is neither a path nor an absolute http URL (RFC 9112 §3.2)');
  }
  req.headers.host = target.host;
  req.url = `${target.pathname}${target.search}`;
  return false;
}

/** Transfer codings are case-insensitive tokens (RFC 9112 §7); this is one, parameters aside. */
const CODING = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,40}$/;

/**
 * The first transfer coding of a request that hubwarden does not implement, or undefined. Only
 * chunked is implemented (Node's parser decodes it; nothing here decodes gzip, compress or
 * deflate), so any other coding, even before a final chunked (which the parser accepts and
 * de-chunks, handing the routes a body still gzip-encoded), is a 501 (RFC 9112 §6.1: "A server
 * that receives a request message with a transfer coding it does not understand SHOULD respond
 * with 501 (Not Implemented)"). The parser already refuses a list whose final coding is not
 * chunked (400, clientErrorStatus). Empty list elements are skipped (RFC 9110 §5.6.1). The coding
 * is echoed only when it is a short token, never arbitrary request text.
 */
export function unknownTransferCoding(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  for (const element of header.split(',')) {
    if (element.trim() === '') continue;
    const name = element.split(';')[0]!.trim().toLowerCase();
    if (name === 'chunked') continue;
    return CODING.test(name) ? name : 'unrecognised';
  }
  return undefined;
}

function refuse(res: ServerResponse, path: string | undefined, detail: string, status = 400): true {
  const { contentType, body } = edgeAnswer(status, path, detail);
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', Connection: 'close' }).end(body);
  return true;
}

/** `Cache-Control: no-store` on every answer of a surface that carries personal data (SCIM, the admin API). */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};
