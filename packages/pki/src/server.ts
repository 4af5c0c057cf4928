/**
 * The issuer's HTTP service: OCSP at /ocsp (RFC 6960 Appendix A: POST with
 * application/ocsp-request, or GET /ocsp/<base64 of the DER request>) and the
 * latest CRLs at /crl/{auth,sign}.crl and /crl/{auth,sign}-delta.crl.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { MAX_OCSP_BODY, ocspFrontServer, type OcspReply } from './ocspHttp.ts';
import type { JpkiIssuer } from './issuer.ts';
import type { OcspAnswer, OcspResponder } from './ocsp.ts';
import type { CertKind } from './kinds.ts';

const MAX_REQUEST = MAX_OCSP_BODY; // an OCSP request is a few hundred bytes

export interface PkiServerOptions {
  readonly port?: number; // 0 = any free port
  readonly host?: string; // default 127.0.0.1
  /** Publish a fresh full CRL this often (ms); default 1 hour. Deltas on request only. */
  readonly crlIntervalMs?: number;
  /** Pre-signed OCSP answers kept (RFC 5019 requests); default 100,000, 0 = none. */
  readonly ocspCacheEntries?: number;
  readonly log?: (line: string) => void;
}

/** Where the HTTP side gets CRLs: made in this process, or by the cluster's primary. */
export interface CrlSource {
  /** The latest full CRL of a CA, once the first is published (undefined: not yet, or failed). */
  full(kind: CertKind): Promise<Uint8Array | undefined>;
  /** A delta CRL made now (it takes the CA's next CRL number). */
  delta(kind: CertKind): Promise<Uint8Array>;
}

export interface PkiServer {
  readonly url: string;
  close(): Promise<void>;
}

class TooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > MAX_REQUEST) {
        reject(new TooLarge());
        req.destroy();
        return;
      }
      parts.push(c);
    });
    req.on('end', () => resolve(new Uint8Array(Buffer.concat(parts))));
    req.on('error', reject);
  });
}

/**
 * Publishes full CRLs of both CAs now and every `intervalMs`, in this process.
 * Only one process of a cluster may do this: CRL numbers are taken from the
 * issuer's crl-state.json.
 */
export function publishCrls(
  issuer: JpkiIssuer,
  intervalMs: number,
  log: (line: string) => void,
  onPublished: () => void = () => {},
): { readonly source: CrlSource; stop(): void } {
  const crls = new Map<CertKind, Uint8Array>();
  const publish = async () => {
    for (const kind of ['auth', 'sign'] as const) crls.set(kind, await issuer.crl(kind));
    onPublished();
  };
  // OCSP answers need no CRL: the server listens at once and the first CRLs are
  // published meanwhile (a national CRL takes a few seconds); /crl/ requests wait.
  const first = publish();
  first.catch((e: unknown) => log(`CRL publication failed: ${String(e)}`));
  const timer = setInterval(() => {
    issuer
      .refresh()
      .then(publish)
      .catch((e: unknown) => log(`CRL publication failed: ${String(e)}`));
  }, intervalMs);
  timer.unref();
  return {
    source: {
      full: async (kind) => {
        await first.catch(() => undefined);
        return crls.get(kind);
      },
      delta: async (kind) => {
        await issuer.refresh();
        return issuer.crl(kind, { delta: true });
      },
    },
    stop: () => clearInterval(timer),
  };
}

const NO_STORE: Readonly<Record<string, string>> = { 'cache-control': 'no-store' };

/**
 * The headers last made for a pre-signed answer, and the second they were made in:
 * the same all that second, so a cache hit reuses them (and the HTTP side its bytes).
 */
const headersMade = new WeakMap<Uint8Array, { sec: number; headers: Record<string, string> }>();

/** RFC 5019 §6.2: a pre-signed answer may be cached by HTTP caches until its nextUpdate. */
export function ocspHeaders(a: OcspAnswer, now: number): Readonly<Record<string, string>> {
  if (!a.cacheable) return NO_STORE;
  const sec = Math.floor(now / 1000);
  const made = headersMade.get(a.der);
  if (made?.sec === sec) return made.headers;
  const maxAge = Math.max(0, Math.floor((a.cacheable.nextUpdate.getTime() - sec * 1000) / 1000));
  const headers = {
    'cache-control': `max-age=${maxAge}, public, no-transform, must-revalidate`,
    'last-modified': a.cacheable.producedAt.toUTCString(),
    expires: a.cacheable.nextUpdate.toUTCString(),
  };
  headersMade.set(a.der, { sec, headers });
  return headers;
}

/** One OCSP answer with its HTTP headers, after the records are brought up to date. */
function ocspReply(issuer: JpkiIssuer, responder: OcspResponder): OcspReply {
  return async (der) => {
    // a revocation another process wrote is in the records before the answer
    await issuer.refresh();
    const now = new Date();
    const a = await responder.answer(der, now);
    return { body: a.der, headers: ocspHeaders(a, now.getTime()) };
  };
}

/**
 * The service of one process, not yet listening: OCSP requests answered on the
 * fast path (ocspHttp.ts), everything else by node:http.
 */
export function pkiServer(
  issuer: JpkiIssuer,
  responder: OcspResponder,
  crls: CrlSource,
  log: (line: string) => void,
): NetServer & { destroyConnections(): void } {
  const reply = ocspReply(issuer, responder);
  return ocspFrontServer(reply, pkiHttpServer(reply, crls, log));
}

/** The node:http side: OCSP requests the fast path passed on, CRLs, health, errors. */
function pkiHttpServer(reply: OcspReply, crls: CrlSource, log: (line: string) => void): Server {
  return createServer((req, res) => {
    const send = (
      status: number,
      type: string,
      body: Uint8Array | string,
      headers: Record<string, string> = { 'cache-control': 'no-store' },
    ) => {
      // Content-Length, not chunked: some OCSP clients read only a sized body.
      res.writeHead(status, {
        'content-type': type,
        'content-length': typeof body === 'string' ? Buffer.byteLength(body) : body.length,
        ...headers,
      });
      res.end(body);
    };
    const url = (req.url ?? '/').slice(0, 16 * 1024);
    const path = url.split('?')[0]!;
    (async () => {
      if (path === '/ocsp' || path === '/ocsp/' || path.startsWith('/ocsp/')) {
        let der: Uint8Array;
        if (req.method === 'POST') {
          if (!(req.headers['content-type'] ?? '').startsWith('application/ocsp-request')) {
            return send(415, 'text/plain', 'content-type must be application/ocsp-request\n');
          }
          try {
            der = await readBody(req);
          } catch (e) {
            if (e instanceof TooLarge) return send(413, 'text/plain', 'request too large\n');
            throw e;
          }
        } else if (req.method === 'GET') {
          const b64 = decodeURIComponent(path.slice('/ocsp/'.length));
          if (b64.length > 8 * 1024 || !/^[A-Za-z0-9+/=_-]*$/.test(b64)) {
            return send(400, 'text/plain', 'GET /ocsp/<base64 of the DER OCSP request>\n');
          }
          der = new Uint8Array(Buffer.from(b64, 'base64'));
        } else {
          return send(405, 'text/plain', 'use GET or POST\n');
        }
        const a = await reply(der);
        return send(200, 'application/ocsp-response', a.body, a.headers);
      }
      const m = /^\/crl\/(auth|sign)(-delta)?\.crl$/.exec(path);
      if (m && req.method === 'GET') {
        const kind = m[1] as CertKind;
        if (m[2]) return send(200, 'application/pkix-crl', await crls.delta(kind));
        const full = await crls.full(kind);
        if (!full) return send(503, 'text/plain', 'CRL not published yet\n');
        return send(200, 'application/pkix-crl', full);
      }
      if (path === '/healthz') return send(200, 'text/plain', 'ok\n');
      return send(
        404,
        'text/plain',
        'not found: /ocsp, /crl/{auth,sign}.crl, /crl/{auth,sign}-delta.crl\n',
      );
    })().catch((e: unknown) => {
      log(`request ${req.method} ${path} failed: ${String(e)}`);
      if (!res.headersSent) send(500, 'text/plain', 'internal error\n');
    });
  });
}

export function listen(server: NetServer, port: number, host: string): Promise<AddressInfo> {
  return new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server.address() as AddressInfo));
  });
}

/** The issuer's HTTP service in this one process (OCSP signing on libuv's thread pool). */
export async function startPkiServer(
  issuer: JpkiIssuer,
  opts: PkiServerOptions = {},
): Promise<PkiServer> {
  const responder = await issuer.ocspResponder({
    ...(opts.ocspCacheEntries !== undefined ? { cacheEntries: opts.ocspCacheEntries } : {}),
  });
  const log = opts.log ?? (() => {});
  await issuer.refresh();
  const crls = publishCrls(issuer, opts.crlIntervalMs ?? 3_600_000, log);
  const server = pkiServer(issuer, responder, crls.source, log);
  const a = await listen(server, opts.port ?? 0, opts.host ?? '127.0.0.1');
  return {
    url: `http://${a.address}:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        crls.stop();
        server.close(() => resolve());
        server.destroyConnections();
      }),
  };
}
