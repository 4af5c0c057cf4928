/**
 * The issuer's HTTP service on every core: node:cluster, one OCSP responder per
 * worker process, the primary publishing CRLs.
 *
 * Why processes and not worker threads: with pre-signed answers the cost of an
 * OCSP request is the HTTP work (parse, write, the connection), which runs on a
 * JavaScript thread; Node 20 cannot hand a socket to a worker thread, so threads
 * would share one event loop for it. Workers share the listening socket instead.
 * Each keeps its own records and its own cache of signed answers: the shared truth
 * is the issuer directory's append-only files, which every worker tails before each
 * answer exactly as one process does, so a revocation written by `myna pki revoke`
 * reaches all of them with no protocol between them. A pre-signed answer one worker
 * makes is passed on to the others through the primary (one signature per CertID
 * for the whole cluster, not one per worker); a worker serves it only while its own
 * records give the status it was signed with, so a late message can never make it
 * answer from older records. The price: each worker holds its own copy of the
 * records (tens of MiB at a million certificates).
 *
 * CRL numbers come from crl-state.json, so only the primary makes CRLs: full ones
 * at start and hourly (workers read them from crl/ when told), deltas when a
 * worker asks over IPC.
 */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { JpkiIssuer } from './issuer.ts';
import type { CertKind } from './kinds.ts';
import type { SharedAnswer } from './ocsp.ts';
import { publishCrls, type PkiServer, type PkiServerOptions } from './server.ts';

export interface PkiClusterOptions extends PkiServerOptions {
  /** Worker processes; default: the cores available. */
  readonly workers: number;
}

/** What the primary tells a worker at start (in its environment, as JSON). */
export interface WorkerConfig {
  readonly dir: string;
  readonly port: number;
  readonly host: string;
  readonly ocspCacheEntries?: number;
}
export const WORKER_CONFIG_ENV = 'MYNA_PKI_WORKER';

/** IPC between the primary and a worker. */
export type ClusterMessage =
  | { readonly t: 'published' }
  /** A pre-signed answer a worker made: to the primary, which passes it to the others. */
  | { readonly t: 'answer'; readonly answer: SharedAnswer }
  | { readonly t: 'delta'; readonly id: number; readonly kind: CertKind }
  | {
      readonly t: 'delta-done';
      readonly id: number;
      readonly der?: Uint8Array;
      readonly error?: string;
    };

/**
 * Starts `opts.workers` worker processes serving OCSP and CRLs on one port; this
 * (primary) process publishes the CRLs with `issuer`, which must be opened from `dir`.
 * A worker that dies is started again.
 */
export async function startPkiCluster(
  issuer: JpkiIssuer,
  dir: string,
  opts: PkiClusterOptions,
): Promise<PkiServer> {
  const log = opts.log ?? (() => {});
  let published = false;
  let closing = false;
  const workers = new Set<Worker>();
  await issuer.refresh();
  const crls = publishCrls(issuer, opts.crlIntervalMs ?? 3_600_000, log, () => {
    published = true;
    for (const w of workers) w.send({ t: 'published' } satisfies ClusterMessage);
  });
  // The kernel hands connections to the workers (SCHED_NONE): with round robin the
  // primary would accept every connection itself and pass it on, a hop per request.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  // The worker file beside this one: clusterWorker.js in the compiled build (dist/),
  // clusterWorker.ts when the sources run through tsx, which the worker then needs too
  // (by its resolved location: the CLI may run from any directory).
  const fromSource = import.meta.url.endsWith('.ts');
  cluster.setupPrimary({
    exec: fileURLToPath(new URL(`./clusterWorker.${fromSource ? 'ts' : 'js'}`, import.meta.url)),
    execArgv: fromSource ? ['--import', import.meta.resolve('tsx')] : process.execArgv,
    serialization: 'advanced', // CRLs go over IPC as bytes
    silent: false,
  });
  const config: WorkerConfig = {
    dir,
    port: opts.port ?? 0,
    host: opts.host ?? '127.0.0.1',
    ...(opts.ocspCacheEntries !== undefined ? { ocspCacheEntries: opts.ocspCacheEntries } : {}),
  };
  let url: string | undefined;
  let firstListening: (u: string) => void = () => {};
  let firstFailed: (e: Error) => void = () => {};
  const listening = new Promise<string>((resolve, reject) => {
    firstListening = resolve;
    firstFailed = reject;
  });
  const fork = () => {
    const w = cluster.fork({ [WORKER_CONFIG_ENV]: JSON.stringify(config) });
    workers.add(w);
    w.on('message', (m: ClusterMessage) => {
      if (m.t === 'answer') {
        for (const other of workers) if (other !== w && other.isConnected()) other.send(m);
        return;
      }
      if (m.t !== 'delta') return;
      issuer
        .refresh()
        .then(() => issuer.crl(m.kind, { delta: true }))
        .then(
          (der) => w.send({ t: 'delta-done', id: m.id, der } satisfies ClusterMessage),
          (e: unknown) =>
            w.send({ t: 'delta-done', id: m.id, error: String(e) } satisfies ClusterMessage),
        );
    });
    w.on('listening', (a) => {
      // port 0: every worker shares the port the first one got
      if (config.port === 0 && a.port) (config as { port: number }).port = a.port;
      url ??= `http://${a.address ?? config.host}:${a.port}`;
      firstListening(url);
      if (published) w.send({ t: 'published' } satisfies ClusterMessage);
    });
    w.on('exit', (code, signal) => {
      workers.delete(w);
      if (closing) return;
      if (!url) {
        firstFailed(new Error(`OCSP worker exited (${signal ?? code}) before listening`));
        return;
      }
      log(`OCSP worker ${w.process.pid} exited (${signal ?? code}); starting another`);
      fork();
    });
  };
  for (let i = 0; i < Math.max(1, opts.workers); i++) fork();
  try {
    await listening;
  } catch (e) {
    closing = true;
    crls.stop();
    for (const w of workers) w.kill('SIGKILL');
    throw e;
  }
  return {
    url: url!,
    close: async () => {
      closing = true;
      crls.stop();
      await Promise.all(
        [...workers].map(
          (w) =>
            new Promise<void>((resolve) => {
              const timer = setTimeout(() => w.kill('SIGKILL'), 5_000);
              w.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
              w.disconnect();
            }),
        ),
      );
    },
  };
}
