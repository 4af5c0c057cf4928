/**
 * The platform's audit key (監査ログ署名鍵): Ed25519, signs the audit log's
 * checkpoints. By default a PKCS #8 file `audit-signer.pem` in the loader's key
 * folder, made on first use (mode 0600) and kept; two servers starting at once
 * on one folder end with the same key (the second reads what the first wrote).
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  type KeyObject,
} from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { checkpointKeyId } from '../domain/auditCheckpoint.ts';
import type { AuditSigner } from '../store/context.ts';

function signerOf(privateKey: KeyObject): AuditSigner {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('the audit key must be Ed25519');
  const publicKey = new Uint8Array(
    createPublicKey(privateKey).export({ format: 'der', type: 'spki' }),
  );
  return {
    keyId: checkpointKeyId(publicKey),
    publicKey,
    sign: (message) => Promise.resolve(new Uint8Array(sign(null, message, privateKey))),
  };
}

/** A key that lives as long as the process (tests, a demo without a key folder). */
export function memoryAuditSigner(): AuditSigner {
  return signerOf(generateKeyPairSync('ed25519').privateKey);
}

/** The key in `file`, made there first when it is missing. */
export async function openFileAuditSigner(file: string): Promise<AuditSigner> {
  try {
    return signerOf(createPrivateKey(await readFile(file, 'utf8')));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' });
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  try {
    await writeFile(file, pem, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  return signerOf(createPrivateKey(await readFile(file, 'utf8')));
}
