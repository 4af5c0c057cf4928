/**
 * A small world for the idp tests: the real test JPKI issuer (in memory) and its
 * OCSP/CRL server on 127.0.0.1, emulated cards with its certificates, an
 * in-memory PGlite, the validator and the idp's HTTP API on Fastify.
 */
import { after } from 'node:test';
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { JpkiIssuer, startPkiServer } from '@myna-ap/pki';
import { Card, createCard, generateCardKeys, newCardIssuer, type CardHolder } from '@myna-ap/card';
import { InProcessChannel } from '@myna-ap/transport';
import { MynaClient } from '@myna-ap/access';
import {
  CertificateValidator,
  CrlStore,
  HolderKeys,
  PpidSecrets,
  idpPlugin,
  makeTrust,
  proofSignedData,
  registerClient,
  type CertificateLinks,
  idpMigrations,
  type Db,
  type NewClient,
} from '../src/index.ts';
import { freshPglite } from '@myna-ap/db/testing';

export const HOLDER: CardHolder = {
  name: '番号 花子',
  address: '東京都千代田区千代田1番1号',
  birthDate: '1990-02-03',
  sex: '2',
};
export const PIN = '1234';
export const ORIGIN = 'https://library.example.lg.jp';

export type World = Awaited<ReturnType<typeof makeWorld>>;

export async function makeWorld(opts: { links?: CertificateLinks; ocspUrl?: string } = {}) {
  const issuer = await JpkiIssuer.createInMemory();
  const pki = await startPkiServer(issuer, { port: 0 });
  after(() => pki.close());
  const trust = makeTrust({
    root: issuer.rootCertificate,
    cas: [
      {
        certificate: issuer.authCaCertificate,
        use: 'auth',
        label: 'auth',
        crlUrl: `${pki.url}/crl/auth.crl`,
      },
      {
        certificate: issuer.signCaCertificate,
        use: 'sign',
        label: 'sign',
        crlUrl: `${pki.url}/crl/sign.crl`,
      },
    ],
  });
  const crls = new CrlStore(trust);
  const failures = await crls.refresh();
  if (failures.length) throw new Error(`CRL fetch: ${JSON.stringify(failures)}`);
  let clock: Date | undefined;
  const now = () => clock ?? new Date();
  const validator = new CertificateValidator({
    trust,
    crls,
    ocspUrl: opts.ocspUrl ?? `${pki.url}/ocsp`,
    ocspTimeoutMs: 2000,
    now,
  });
  const db: Db = await freshPglite([idpMigrations]);
  after(() => db.close());
  const holders = new HolderKeys(new PpidSecrets(randomBytes(32)), opts.links);
  const issuerUrl = 'http://127.0.0.1/idp';
  const app: FastifyInstance = Fastify();
  await app.register(idpPlugin, { db, validator, crls, holders, issuer: issuerUrl, now });
  after(() => app.close());

  async function client(c: Partial<NewClient> & { clientId: string }) {
    const { client: made, secret } = await registerClient(db, {
      name: c.clientId,
      scopes: ['validate', 'proof', 'ppid'],
      origins: [ORIGIN],
      secret: !c.jwks,
      ...c,
    });
    return { client: made, secret: secret! };
  }

  /** A bearer token for a client with a secret (the client credentials grant). */
  async function token(clientId: string, secret: string, scope?: string): Promise<string> {
    const res = await app.inject({
      method: 'POST',
      url: '/token',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: new URLSearchParams({
        grant_type: 'client_credentials',
        ...(scope ? { scope } : {}),
      }).toString(),
    });
    if (res.statusCode !== 200) throw new Error(`token: ${res.statusCode} ${res.body}`);
    return res.json().access_token;
  }

  return {
    issuer,
    pki,
    trust,
    crls,
    validator,
    db,
    holders,
    app,
    issuerUrl,
    client,
    token,
    /** Sets the clock the validator and the API use (undefined: the real one). */
    setClock(d: Date | undefined) {
      clock = d;
    },
  };
}

let keys: ReturnType<typeof generateCardKeys> | undefined;

/** A card issued by the world's issuer; key generation is slow, so `fresh` is opt-in. */
export async function makeCard(world: World, opts: { fresh?: boolean; holder?: CardHolder } = {}) {
  const k = opts.fresh ? generateCardKeys() : (keys ??= generateCardKeys());
  const cardIssuer = newCardIssuer();
  const created = await createCard({
    holder: opts.holder ?? HOLDER,
    certificates: world.issuer,
    keys: await k,
    cardIssuer,
    pin: PIN,
  });
  const card = Card.fromImage(created.image);
  const myna = new MynaClient(new InProcessChannel(card));
  const auth = await myna.readCertificate('auth');
  return {
    card,
    myna,
    auth,
    /** The card issuer (券面事項確認AP's card-authentication certificate) and what the face prints. */
    cardIssuer,
    securityCode: created.secrets.securityCode,
    expiry: created.image.common.files['0003']
      ? Buffer.from(created.image.common.files['0003'], 'hex').toString('latin1')
      : undefined,
    /** The 署名用 certificate (read after the signature password). */
    async signCertificate(): Promise<Uint8Array> {
      await myna.verifyPin('sign', 'ABC123');
      return myna.readCertificate('sign');
    },
    /** What the holder's card does for a proof: the 4-digit PIN, then the signature. */
    async sign(origin: string, challenge: string, pin = PIN): Promise<Uint8Array> {
      await myna.verifyPin('auth', pin);
      return myna.sign('auth', { hash: 'sha256', data: proofSignedData(origin, challenge) });
    },
  };
}

export const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
