/**
 * The issuer's HTTP service: OCSP at /ocsp (RFC 6960 Appendix A: POST with
 * application/ocsp-request, or GET /ocsp/<base64 of the DER request>) and the
 * latest CRLs at /crl/{auth,sign}.crl and /crl/{auth,sign}-delta.crl.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JpkiIssuer } from './issuer.ts';
import type { OcspResponder } from './ocsp.ts';
import type { CertKind } from './kinds.ts';

const MAX_REQUEST = 64 * 1024; // an OCSP request is a few hundred bytes

export interface PkiServerOptions {
  readonly port?: number; // 0 = any free port
  readonly host?: string; // default 127.0.0.1
  /** Publish a fresh full CRL this often (ms); default 1 hour. Deltas on request only. */
  readonly crlIntervalMs?: number;
  readonly log?: (line: string) => void;
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

export async function startPkiServer(
  issuer: JpkiIssuer,
  opts: PkiServerOptions = {},
): Promise<PkiServer> {
  const responder: OcspResponder = await issuer.ocspResponder();
  const log = opts.log ?? (() => {});
  const crls = new Map<string, Uint8Array>();
  const publish = async () => {
    for (const kind of ['auth', 'sign'] as const) crls.set(`${kind}.crl`, await issuer.crl(kind));
  };
  await issuer.refresh();
  // OCSP answers need no CRL: listen at once, publish the first CRLs meanwhile (a
  // national CRL takes a few seconds to write); /crl/ requests wait for them.
  const firstCrls = publish();
  firstCrls.catch((e: unknown) => log(`CRL publication failed: ${String(e)}`));
  const timer = setInterval(() => {
    issuer
      .refresh()
      .then(publish)
      .catch((e: unknown) => log(`CRL publication failed: ${String(e)}`));
  }, opts.crlIntervalMs ?? 3_600_000);
  timer.unref();

  const server: Server = createServer((req, res) => {
    const send = (status: number, type: string, body: Uint8Array | string) => {
      // Content-Length, not chunked: some OCSP clients read only a sized body.
      res.writeHead(status, {
        'content-type': type,
        'content-length': typeof body === 'string' ? Buffer.byteLength(body) : body.length,
        'cache-control': 'no-store',
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
        await issuer.refresh();
        return send(200, 'application/ocsp-response', await responder.respond(der));
      }
      const m = /^\/crl\/(auth|sign)(-delta)?\.crl$/.exec(path);
      if (m && req.method === 'GET') {
        const kind = m[1] as CertKind;
        await issuer.refresh();
        await firstCrls.catch(() => undefined);
        const full = crls.get(`${kind}.crl`);
        if (!m[2] && !full) return send(503, 'text/plain', 'CRL not published yet\n');
        const body = m[2] ? await issuer.crl(kind, { delta: true }) : full!;
        return send(200, 'application/pkix-crl', body);
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const a = server.address() as AddressInfo;
  return {
    url: `http://${a.address}:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
