/**
 * One worker of startPkiCluster (cluster.ts): opens the issuer directory, answers
 * OCSP with its own responder and cache, serves the CRLs the primary publishes.
 * Exits when the primary disconnects (or dies).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JpkiIssuer } from './issuer.ts';
import type { CertKind } from './kinds.ts';
import { listen, pkiServer, type CrlSource } from './server.ts';
import { WORKER_CONFIG_ENV, type ClusterMessage, type WorkerConfig } from './cluster.ts';

const config = JSON.parse(process.env[WORKER_CONFIG_ENV] ?? '{}') as WorkerConfig;
const log = (line: string) => process.stderr.write(`${line}\n`);

// Ctrl-C reaches the whole process group: the primary decides when workers stop.
process.on('SIGINT', () => {});

let publication = 0;
let firstPublished: () => void = () => {};
const published = new Promise<void>((resolve) => (firstPublished = resolve));
const fulls = new Map<CertKind, { publication: number; der: Uint8Array }>();
const pending = new Map<number, (m: ClusterMessage & { t: 'delta-done' }) => void>();
let nextId = 0;

let adopt: (m: ClusterMessage & { t: 'answer' }) => void = () => {};
process.on('message', (m: ClusterMessage) => {
  if (m.t === 'answer') adopt(m);
  else if (m.t === 'published') {
    publication++;
    firstPublished();
  } else if (m.t === 'delta-done') {
    pending.get(m.id)?.(m);
    pending.delete(m.id);
  }
});

const crls: CrlSource = {
  async full(kind) {
    await published;
    const have = fulls.get(kind);
    if (have && have.publication === publication) return have.der;
    const at = publication;
    const der = new Uint8Array(await readFile(join(config.dir, 'crl', `${kind}.crl`)));
    fulls.set(kind, { publication: at, der });
    return der;
  },
  delta(kind) {
    return new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, (m) => (m.der ? resolve(m.der) : reject(new Error(m.error))));
      process.send!({ t: 'delta', id, kind } satisfies ClusterMessage);
    });
  },
};

const issuer = await JpkiIssuer.open(config.dir);
const responder = await issuer.ocspResponder({
  ...(config.ocspCacheEntries !== undefined ? { cacheEntries: config.ocspCacheEntries } : {}),
  // what this worker signs for its cache, the others serve too (cluster.ts)
  onSigned: (answer) => {
    if (process.connected) process.send!({ t: 'answer', answer } satisfies ClusterMessage);
  },
});
adopt = (m) => responder.adopt(m.answer);
const server = pkiServer(issuer, responder, crls, log);
await listen(server, config.port, config.host);
process.on('disconnect', () => {
  server.close();
  server.destroyConnections();
  void issuer.close().finally(() => process.exit(0));
});
