/**
 * A JPKI card for tests and benchmarks, made once per process with the card
 * package's createCard. Certificates come from a small test CA made here with
 * @peculiar/x509 (real RSA-2048 X.509, JPKI-style DNs) until @myna-ap/pki's
 * JpkiIssuer is available to every package.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto, type KeyObject } from 'node:crypto';
import {
  Card,
  createCard,
  generateCardKeys,
  newCardIssuer,
  type CardHolder,
  type CertificateIssuer,
  type CreatedCard,
} from '@myna-ap/card';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type KeyPair = webcrypto.CryptoKeyPair;

const ALG = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};

export const HOLDER: CardHolder = {
  name: '番号 太郎',
  address: '東京都千代田区千代田1番1号',
  birthDate: '1985-04-01',
  sex: '1',
};
export const PIN = '1234';
export const SIGN_PASSWORD = 'ABC123';

async function testCa(ou: string) {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as KeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `C=JP, O=JPKI, OU=${ou}, OU=myna-ap test CA`,
    keys,
    signingAlgorithm: ALG,
    serialNumber: '01',
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  return { keys, cert };
}

async function endEntity(
  ca: { keys: KeyPair; cert: x509.X509Certificate },
  key: KeyObject,
  subject: string,
  serial: string,
): Promise<Uint8Array> {
  const publicKey = await webcrypto.subtle.importKey(
    'spki',
    key.export({ format: 'der', type: 'spki' }),
    ALG,
    true,
    ['verify'],
  );
  const cert = await x509.X509CertificateGenerator.create({
    subject,
    issuer: ca.cert.subject,
    publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: ALG,
    serialNumber: serial,
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 5 * 365 * 86_400_000),
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
  });
  return new Uint8Array(cert.rawData);
}

export async function testIssuer(): Promise<CertificateIssuer> {
  const [authCa, signCa] = await Promise.all([
    testCa('JPKI for user authentication'),
    testCa('JPKI for digital signature'),
  ]);
  return {
    async issueCardCertificates(req) {
      return {
        auth: await endEntity(authCa, req.authPublicKey, 'C=JP, CN=myna-ap test auth', '0a'),
        sign: await endEntity(
          signCa,
          req.signPublicKey,
          'C=JP, L=Tokyo, CN=myna-ap test sign',
          '0b',
        ),
        authCa: new Uint8Array(authCa.cert.rawData),
        signCa: new Uint8Array(signCa.cert.rawData),
      };
    },
  };
}

let made: Promise<CreatedCard> | undefined;

/** The card as issued (made once per process: RSA key generation is slow). */
export function issued(): Promise<CreatedCard> {
  made ??= (async () =>
    createCard({
      holder: HOLDER,
      certificates: await testIssuer(),
      keys: await generateCardKeys(),
      cardIssuer: newCardIssuer(),
      pin: PIN,
      signPassword: SIGN_PASSWORD,
    }))();
  return made;
}

/** A fresh card with the issued image: every PIN with all its tries. */
export async function freshCard(): Promise<Card> {
  return Card.fromImage((await issued()).image);
}
