/**
 * A small X.509 issuer for the card tests while @myna-ap/pki's JpkiIssuer is not
 * in the tree: one RSA-2048 CA that certifies the card's two public keys
 * (sha256WithRSAEncryption, real DER certificates). It fits createCard's
 * `CertificateIssuer` exactly as JpkiIssuer does; switch the fixture to
 * `JpkiIssuer.createInMemory()` once that lands.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto, type KeyObject } from 'node:crypto';
import type { CardCertificates, CardHolder, CertificateIssuer } from '@myna-ap/card';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const alg = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};

export class TestCertificateIssuer implements CertificateIssuer {
  private constructor(
    private readonly ca: { privateKey: webcrypto.CryptoKey; publicKey: webcrypto.CryptoKey },
    private readonly caCert: x509.X509Certificate,
  ) {}

  static async create(): Promise<TestCertificateIssuer> {
    const ca = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as {
      privateKey: webcrypto.CryptoKey;
      publicKey: webcrypto.CryptoKey;
    };
    const caCert = await x509.X509CertificateGenerator.createSelfSigned({
      name: 'C=JP, O=JPKI, OU=myna-ap card tests',
      keys: ca as never,
      signingAlgorithm: alg,
      serialNumber: '01',
    });
    return new TestCertificateIssuer(ca, caCert);
  }

  async issueCardCertificates(req: {
    authPublicKey: KeyObject;
    signPublicKey: KeyObject;
    holder: CardHolder;
  }): Promise<CardCertificates> {
    const make = async (k: KeyObject, serial: string) => {
      const der = k.export({ format: 'der', type: 'spki' });
      const pub = await webcrypto.subtle.importKey('spki', der, alg, true, ['verify']);
      const c = await x509.X509CertificateGenerator.create({
        subject: `C=JP, CN=${serial}`,
        issuer: this.caCert.subject,
        publicKey: pub as never,
        signingKey: this.ca.privateKey as never,
        signingAlgorithm: alg,
        serialNumber: serial,
      });
      return new Uint8Array(c.rawData);
    };
    const ca = new Uint8Array(this.caCert.rawData);
    return {
      auth: await make(req.authPublicKey, '0a'),
      sign: await make(req.signPublicKey, '0b'),
      authCa: ca,
      signCa: ca,
    };
  }
}
