/**
 * The OCSP hot path over HTTP/1.1, on node:net: once answers are pre-signed, the
 * cost of an OCSP request is the HTTP work around it, and node:http's request and
 * response objects cost several times the answer itself. This reads the two
 * request forms of RFC 6960 Appendix A (and RFC 5019 §5) directly:
 *
 *   POST /ocsp  with Content-Type application/ocsp-request and a Content-Length
 *   GET  /ocsp/<base64 of the DER request>
 *
 * on keep-alive connections, one after another. Anything else — another path, a
 * chunked body, Expect, HTTP/1.0, an oversized head or body, a wrong content type —
 * is handed, with the bytes read so far, to the node:http server behind it, which
 * answers exactly as it would have (CRLs, 404, 413, 415, …).
 */
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import type { Server as HttpServer } from 'node:http';

/** What the OCSP side answers for one DER request (the response body and its headers). */
export type OcspReply = (der: Uint8Array) => Promise<{
  readonly body: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
}>;

const MAX_HEAD = 8 * 1024; // a request head of an OCSP client is a few hundred bytes
export const MAX_OCSP_BODY = 64 * 1024;
const IDLE_MS = 5_000; // as node:http's keepAliveTimeout
const HEAD_END = Buffer.from('\r\n\r\n');

/** A parsed request head the fast path takes; undefined: hand the connection to node:http. */
interface FastRequest {
  readonly headEnd: number; // offset after the blank line
  readonly bodyLength: number; // POST: Content-Length; GET: 0
  readonly getDer?: Uint8Array; // GET: the decoded request
  readonly close: boolean;
  /** A body over MAX_OCSP_BODY: answered 413 without reading it. */
  readonly tooLarge?: true;
}

/** Reads a request head (`buf` up to and including its blank line at `headEnd`), or undefined. */
export function fastRequest(buf: Buffer, headEnd: number): FastRequest | undefined {
  const head = buf.toString('latin1', 0, headEnd - 4);
  const lines = head.split('\r\n');
  const m = /^(GET|POST) (\/ocsp(?:\/[^ ]*)?) HTTP\/1\.1$/.exec(lines[0]!);
  if (!m) return undefined;
  let length: number | undefined;
  let type: string | undefined;
  let close = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') {
      if (length !== undefined || !/^\d{1,6}$/.test(value)) return undefined;
      length = Number(value);
    } else if (name === 'content-type') type = value.toLowerCase();
    else if (name === 'connection') close = /(^|,)\s*close\s*(,|$)/i.test(value);
    else if (name === 'transfer-encoding' || name === 'expect' || name === 'upgrade') {
      return undefined;
    }
  }
  if (m[1] === 'POST') {
    if (m[2] !== '/ocsp' && m[2] !== '/ocsp/') return undefined;
    if (length === undefined) return undefined;
    if (length > MAX_OCSP_BODY) return { headEnd, bodyLength: length, close: true, tooLarge: true };
    if (!type?.startsWith('application/ocsp-request')) return undefined;
    return { headEnd, bodyLength: length, close };
  }
  if (length !== undefined && length !== 0) return undefined;
  let b64: string;
  try {
    b64 = decodeURIComponent(m[2]!.slice('/ocsp/'.length));
  } catch {
    return undefined;
  }
  if (b64 === '' || b64.length > 8 * 1024 || !/^[A-Za-z0-9+/=_-]*$/.test(b64)) return undefined;
  return { headEnd, bodyLength: 0, getDer: new Uint8Array(Buffer.from(b64, 'base64')), close };
}

/** The Date header's value, made once a second. */
let dateSec = -1;
let dateValue = '';
function httpDate(sec: number): string {
  if (sec !== dateSec) {
    dateSec = sec;
    dateValue = new Date(sec * 1000).toUTCString();
  }
  return dateValue;
}

function responseHead(
  bodyLength: number,
  headers: Readonly<Record<string, string>>,
  close: boolean,
  sec: number,
): Buffer {
  let h = `HTTP/1.1 200 OK\r\ncontent-type: application/ocsp-response\r\ncontent-length: ${bodyLength}\r\ndate: ${httpDate(sec)}\r\n`;
  for (const [k, v] of Object.entries(headers)) h += `${k}: ${v}\r\n`;
  h += close ? 'connection: close\r\n\r\n' : 'connection: keep-alive\r\n\r\n';
  return Buffer.from(h, 'latin1');
}

/**
 * The bytes sent for a body, kept for the second they were made in: a pre-signed
 * answer is the same body (the same object) for every request, with the same
 * headers all that second, so most responses are one lookup and one write.
 */
const made = new WeakMap<
  Uint8Array,
  { sec: number; headers: object; keepAlive?: Buffer; close?: Buffer }
>();

/** Head and body of a 200 response, in one buffer (one write, one system call). */
export function responseBytes(
  body: Uint8Array,
  headers: Readonly<Record<string, string>>,
  close: boolean,
  nowMs: number = Date.now(),
): Buffer {
  const sec = Math.floor(nowMs / 1000);
  let m = made.get(body);
  if (!m || m.sec !== sec || m.headers !== headers) {
    m = { sec, headers };
    made.set(body, m);
  }
  const have = close ? m.close : m.keepAlive;
  if (have) return have;
  const out = Buffer.concat([responseHead(body.length, headers, close, sec), body]);
  if (close) m.close = out;
  else m.keepAlive = out;
  return out;
}

/**
 * A net server that answers OCSP requests itself and hands every other
 * connection (or the rest of one) to `http`, which must not listen itself.
 */
export function ocspFrontServer(
  reply: OcspReply,
  http: HttpServer,
): NetServer & { destroyConnections(): void } {
  const sockets = new Set<Socket>();
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    serveConnection(socket, reply, http);
  });
  return Object.assign(server, {
    destroyConnections: () => {
      for (const s of sockets) s.destroy();
    },
  });
}

function serveConnection(socket: Socket, reply: OcspReply, http: HttpServer): void {
  let buf: Buffer = Buffer.alloc(0);
  let busy = false;
  let handedOff = false;
  socket.setTimeout(IDLE_MS, () => socket.destroy());
  socket.on('error', () => socket.destroy());

  const handOff = () => {
    handedOff = true;
    socket.removeListener('data', onData);
    socket.setTimeout(0);
    socket.pause();
    if (buf.length > 0) socket.unshift(buf);
    http.emit('connection', socket);
    process.nextTick(() => socket.resume());
  };

  const next = () => {
    if (busy || handedOff || socket.destroyed) return;
    const end = buf.indexOf(HEAD_END);
    if (end < 0) {
      if (buf.length > MAX_HEAD) handOff(); // node:http answers 431
      return;
    }
    const req = end + 4 <= MAX_HEAD ? fastRequest(buf, end + 4) : undefined;
    if (!req) return handOff();
    if (req.tooLarge) {
      socket.end(
        'HTTP/1.1 413 Payload Too Large\r\ncontent-type: text/plain\r\ncontent-length: 18\r\nconnection: close\r\n\r\nrequest too large\n',
      );
      handedOff = true; // nothing more is read
      return;
    }
    if (buf.length < req.headEnd + req.bodyLength) return; // the body is still coming
    const der =
      req.getDer ?? new Uint8Array(buf.subarray(req.headEnd, req.headEnd + req.bodyLength));
    buf = buf.subarray(req.headEnd + req.bodyLength);
    busy = true;
    reply(der).then(
      ({ body, headers }) => {
        busy = false;
        if (socket.destroyed) return;
        const out = responseBytes(body, headers, req.close);
        if (req.close) {
          socket.end(out);
          return;
        }
        socket.write(out);
        next(); // a pipelined request already read
      },
      () => {
        busy = false;
        if (socket.destroyed) return;
        socket.end(
          'HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n',
        );
      },
    );
  };

  function onData(chunk: Buffer) {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    next();
  }
  socket.on('data', onData);
}
