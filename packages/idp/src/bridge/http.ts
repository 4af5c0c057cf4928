/**
 * The bridge on 127.0.0.1 (node:http, no framework: the holder's machine runs
 * it). Only pages of the allowed origins may use it:
 *
 *   - every request must carry an allowed `Origin` (a browser sets it and a page
 *     cannot forge it); CORS answers name that origin only, and a preflight from
 *     any other origin is refused, so the browser never sends the body;
 *   - `Host` must be this loopback address and port (a DNS-rebinding page
 *     reaching 127.0.0.1 under its own name is refused);
 *   - bodies are JSON (`content-type: application/json`, which always takes a
 *     preflight), at most 4 KiB.
 *
 *   POST /v1/auth/certificate   {}                      → { certificate }
 *   POST /v1/auth/sign          { challenge, pin }      → { origin, certificate, signature }
 *   POST /v1/basic-info         { pin }                 → { name, address, birthDate, sex }
 *   POST /v1/sign/sign          { challenge | digest, password } → { origin, certificate, signature }
 *                               (the 署名用 key; digest: base64 SHA-256, signed as its DigestInfo)
 *   POST /v1/card-authentication { birthDate, securityCode, expiry? } → { genuine: true, cardKeyId, expiry }
 *                               (券面事項確認AP internal authentication after 照合番号B)
 *
 * Certificates and signatures are base64 DER. Refusals are the idp's
 * `{ code, message, text, detail? }`; the PIN is in no log and no answer.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { langFromAcceptLanguage } from '@myna-ap/text';
import { IdpError } from '../errors.ts';
import { isChallenge } from '../proof/signedData.ts';
import type { CardBridge } from './agent.ts';

/** The default port of `myna bridge` (the idp's is 8390). */
export const BRIDGE_PORT = 8391;
const MAX_BODY = 4096;

export interface BridgeServerOptions {
  readonly bridge: CardBridge;
  /** Exact origins (scheme://host[:port]) whose pages may use the card. */
  readonly allowedOrigins: readonly string[];
  readonly port?: number;
  /** Loopback only: 127.0.0.1 (default) or ::1. */
  readonly host?: '127.0.0.1' | '::1';
  /** One line per request (method, path, origin, outcome code): never a body. */
  readonly log?: (line: string) => void;
}

export interface RunningBridge {
  readonly url: string;
  close(): Promise<void>;
}

const pinBody = z.object({ pin: z.string().max(16) }).strict();
const signBody = z.object({ challenge: z.string().max(64), pin: z.string().max(16) }).strict();
const emptyBody = z.object({}).strict();
const faceBody = z
  .object({
    birthDate: z.string().max(10),
    securityCode: z.string().max(4),
    expiry: z.string().max(10).optional(),
  })
  .strict();
const signKeyBody = z.union([
  z.object({ challenge: z.string().max(64), password: z.string().max(32) }).strict(),
  z
    .object({
      digest: z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'base64 of 32 bytes'),
      password: z.string().max(32),
    })
    .strict(),
]);

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  // The issue's path only: a wrong-typed PIN must not be echoed back.
  const where = r.error.issues.map((i) => i.path.join('.') || 'body').join(', ');
  throw new IdpError('BAD_REQUEST', {
    en: `the request is malformed (${where})`,
    ja: `リクエストの形式が正しくありません（${where}）`,
  });
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > MAX_BODY) {
        reject(new IdpError('BAD_REQUEST', { en: 'body too large', ja: '本文が大きすぎます' }));
        req.destroy();
        return;
      }
      parts.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      if (text === '') return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(
          new IdpError('BAD_REQUEST', {
            en: 'the body is not JSON',
            ja: '本文が JSON ではありません',
          }),
        );
      }
    });
    req.on('error', reject);
  });
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/** The origins as a browser sends them (no trailing slash, lower-case scheme and host). */
export function normaliseOrigin(o: string): string {
  const u = new URL(o);
  if (!/^https?:$/.test(u.protocol) || u.pathname !== '/' || u.search || u.hash || u.username) {
    throw new Error(`not an origin (scheme://host[:port]): ${o}`);
  }
  return u.origin;
}

export async function startBridgeServer(o: BridgeServerOptions): Promise<RunningBridge> {
  const allowed = new Set(o.allowedOrigins.map(normaliseOrigin));
  const host = o.host ?? '127.0.0.1';
  let hosts = new Set<string>();
  const log = o.log ?? (() => undefined);

  const routes: Record<string, (origin: string, body: unknown) => Promise<unknown>> = {
    '/v1/auth/certificate': async (_origin, body) => {
      parse(emptyBody, body);
      return { certificate: b64((await o.bridge.authCertificate()).certificate) };
    },
    '/v1/auth/sign': async (origin, body) => {
      const { challenge, pin } = parse(signBody, body);
      if (!isChallenge(challenge)) throw new IdpError('CHALLENGE_UNKNOWN');
      const r = await o.bridge.signChallenge(origin, challenge, pin);
      return { origin, certificate: b64(r.certificate), signature: b64(r.signature) };
    },
    '/v1/basic-info': async (_origin, body) => {
      const { pin } = parse(pinBody, body);
      return o.bridge.readBasicInfo(pin);
    },
    '/v1/sign/sign': async (origin, body) => {
      const b = parse(signKeyBody, body);
      if ('challenge' in b && !isChallenge(b.challenge)) throw new IdpError('CHALLENGE_UNKNOWN');
      const what =
        'challenge' in b
          ? { challenge: b.challenge }
          : { digest: new Uint8Array(Buffer.from(b.digest, 'base64')) };
      const r = await o.bridge.signWithSignKey(origin, what, b.password);
      return { origin, certificate: b64(r.certificate), signature: b64(r.signature) };
    },
    '/v1/card-authentication': async (_origin, body) => {
      const f = parse(faceBody, body);
      const r = await o.bridge.cardAuthentication({
        birthDate: f.birthDate,
        securityCode: f.securityCode,
        ...(f.expiry !== undefined ? { expiry: f.expiry } : {}),
      });
      return { genuine: true, ...r };
    },
  };

  function send(res: ServerResponse, status: number, body: unknown, origin?: string) {
    res.statusCode = status;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    res.setHeader('vary', 'Origin');
    if (origin) res.setHeader('access-control-allow-origin', origin);
    res.end(JSON.stringify(body));
  }

  function refuse(req: IncomingMessage, res: ServerResponse, e: IdpError, origin?: string) {
    const lang = langFromAcceptLanguage(req.headers['accept-language']);
    send(
      res,
      e.status,
      {
        code: e.code,
        message: e.text[lang],
        text: e.text,
        ...(e.detail ? { detail: e.detail } : {}),
      },
      origin,
    );
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const origin = req.headers.origin;
    const ok = origin !== undefined && allowed.has(origin) && hosts.has(req.headers.host ?? '');
    const note = (code: string) => log(`${req.method} ${path} ${origin ?? '-'} ${code}`);
    if (!ok) {
      note('BRIDGE_ORIGIN_REFUSED');
      return refuse(req, res, new IdpError('BRIDGE_ORIGIN_REFUSED'));
    }
    const route = routes[path];
    if (req.method === 'OPTIONS') {
      res.statusCode = route ? 204 : 404;
      res.setHeader('vary', 'Origin');
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-methods', 'POST');
      res.setHeader('access-control-allow-headers', 'content-type');
      res.setHeader('access-control-max-age', '600');
      // Chrome's Private Network Access: an https page may reach this loopback agent.
      if (req.headers['access-control-request-private-network'] === 'true') {
        res.setHeader('access-control-allow-private-network', 'true');
      }
      return res.end();
    }
    if (!route || req.method !== 'POST') {
      note('NOT_FOUND');
      return refuse(
        req,
        res,
        new IdpError('BAD_REQUEST', {
          en: `no route ${req.method} ${path}`,
          ja: 'そのURLはありません',
        }),
        origin,
      );
    }
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      note('BAD_REQUEST');
      return refuse(
        req,
        res,
        new IdpError('BAD_REQUEST', {
          en: 'content-type must be application/json',
          ja: 'content-type は application/json にしてください',
        }),
        origin,
      );
    }
    void (async () => {
      try {
        const answer = await route(origin, await readJson(req));
        note('200');
        send(res, 200, answer, origin);
      } catch (e) {
        const err = e instanceof IdpError ? e : new IdpError('INTERNAL');
        if (!(e instanceof IdpError)) log(`bridge fault: ${(e as Error).message}`);
        note(err.code);
        refuse(req, res, err, origin);
      }
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? BRIDGE_PORT, host, resolve);
  });
  const port = (server.address() as { port: number }).port;
  const name = host === '::1' ? '[::1]' : host;
  hosts = new Set([`${name}:${port}`, `localhost:${port}`]);
  return {
    url: `http://${name}:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
