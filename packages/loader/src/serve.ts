/** Starts a loader server: database (PGlite or PostgreSQL), migrations, first admin, HTTP. */
import { dirname, join } from 'node:path';
import { mynaHome } from './credentials.ts';
import { DbError, openDb } from '@myna-ap/db';
import { LoaderError } from './errors.ts';
import type { Db } from '@myna-ap/db';
import { buildServer, type ServerOptions } from './http/server.ts';
import type { Mount } from './http/mount.ts';
import { bootstrapPlatformAdmin } from './store/operators.ts';
import { DEFAULT_CONFIG } from './store/config.ts';
import type {
  AuditSigner,
  CertificateCheck,
  Ctx,
  FeedSigner,
  LoaderConfig,
} from './store/context.ts';
import { openFileAuditSigner } from './keys/auditSigner.ts';
import { startAuditSequencer } from './store/audit.ts';
import { SoftwareKeyStore, openFileSigner, signDetached } from '@myna-ap/pki';
import { openSoftwareKeyStore, type LoaderKeyStore } from './keys/keyStore.ts';
import { checkKeysAgainstDb } from './store/settings.ts';
import type { JobsOptions } from './cardops/jobs.ts';
import { loaderMigrations } from './migrations.ts';
import {
  watchJpkiRevocations,
  type JpkiRevocationRecord,
  type JpkiRevocationWatch,
} from './store/jpkiRevocations.ts';

export interface ServeOptions {
  readonly port?: number;
  readonly host?: string;
  /** PGlite data dir (default `$MYNA_HOME/db`, MYNA_HOME defaulting to ~/.myna). */
  readonly dataDir?: string;
  /** postgres://… (wins over dataDir). */
  readonly databaseUrl?: string | undefined;
  /** Password of the first platform operator `admin` (random when absent). */
  readonly adminPassword?: string | undefined;
  readonly config?: LoaderConfig;
  readonly logger?: boolean | Record<string, unknown>;
  /** The key file (default: `keys/loader-keys.json` beside the data dir, or under $MYNA_HOME; made on first start). */
  readonly keysFile?: string;
  /** A key store given directly (wins over keysFile). */
  readonly keys?: LoaderKeyStore;
  readonly jobs?: JobsOptions;
  /** Checks a card's JPKI certificate in diagnose (chain + revocation). */
  readonly certificateCheck?: CertificateCheck | undefined;
  /**
   * The JPKI issuer's revocations, polled: a revocation for loss marks its card
   * lost in the feed by itself (store/jpkiRevocations.ts). `myna serve --jpki DIR`
   * gives @myna-ap/pki's RevocationLog of that directory.
   */
  readonly jpkiRevocations?:
    | {
        readonly read: () => Promise<readonly JpkiRevocationRecord[]>;
        readonly intervalMs: number;
        readonly onError?: (e: unknown) => void;
        /** 新旧紐付け from the same records: the card a renewed or reissued card replaced. */
        readonly previousCardOf?: (cardId: string) => Promise<string | undefined>;
      }
    | undefined;
  /** Plugins of other packages mounted beside the API (docs/server.md). */
  readonly mounts?: readonly Mount[];
  /**
   * The daily lists' signer; default: a key `feed-signer` made on first use in the
   * key folder (beside the key file) with a self-signed certificate
   * `feed-signer.der` there. `false`: lists are not signed.
   */
  readonly feedSigner?: (() => Promise<FeedSigner>) | false;
  /**
   * The audit log's checkpoint signer; default: an Ed25519 key `audit-signer.pem`
   * made on first use in the key folder (keys/auditSigner.ts). `false`: checkpoints
   * are unsigned.
   */
  readonly auditSigner?: (() => Promise<AuditSigner>) | false;
  /** How often the audit sequencer runs (default 1000 ms; docs/audit.md). */
  readonly auditSequenceMs?: number;
  /** HTTPS: the certificate chain and key, PEM (docs/server.md). */
  readonly tls?: ServerOptions['tls'];
  /** Reverse proxies to believe (X-Forwarded-*): addresses or CIDRs, comma-separated. */
  readonly trustProxy?: string;
}

export interface RunningServer {
  readonly url: string;
  readonly db: Db;
  /** Set when this start created the first platform operator. */
  readonly bootstrap: { login: string; password: string } | undefined;
  /** True when the area keys are the published TEST keys (say so loudly). */
  readonly testAreaKeys: boolean;
  readonly ctx: Ctx;
  /** The poll of the JPKI issuer's revocations, when `jpkiRevocations` was given. */
  readonly jpkiWatch: JpkiRevocationWatch | undefined;
  close(): Promise<void>;
}

/** Next to the PGlite data dir (`…/db` → `…/keys/loader-keys.json`), else under $MYNA_HOME. */
export function defaultKeysFile(o: Pick<ServeOptions, 'dataDir' | 'databaseUrl'>): string {
  const base = o.dataDir && !o.databaseUrl ? dirname(o.dataDir) : mynaHome();
  return join(base, 'keys', 'loader-keys.json');
}

/** The default signer: a software key beside the key file, made on first use, kept. */
export function defaultFeedSigner(keysDir: string): () => Promise<FeedSigner> {
  let made: Promise<FeedSigner> | undefined;
  return () => {
    made ??= openFileSigner({
      store: new SoftwareKeyStore(join(keysDir, 'feed-signer')),
      id: 'feed-signer',
      subject: 'CN=myna-ap status feed signer, O=myna-ap',
      certificateFile: join(keysDir, 'feed-signer.der'),
    }).then((s) => ({
      certificate: s.certificate,
      sign: (content: Uint8Array, at: Date) => signDetached(content, s, at),
    }));
    made.catch(() => (made = undefined)); // a failed start may be retried
    return made;
  };
}

/** The default audit signer: `audit-signer.pem` beside the key file, made on first use. */
export function defaultAuditSigner(keysDir: string): () => Promise<AuditSigner> {
  let made: Promise<AuditSigner> | undefined;
  return () => {
    made ??= openFileAuditSigner(join(keysDir, 'audit-signer.pem'));
    made.catch(() => (made = undefined)); // a failed read may be retried
    return made;
  };
}

export async function startServer(o: ServeOptions = {}): Promise<RunningServer> {
  const db = await openDb({
    databaseUrl: o.databaseUrl,
    dataDir: o.databaseUrl ? undefined : (o.dataDir ?? join(mynaHome(), 'db')),
    migrations: [loaderMigrations],
  }).catch((e: unknown) => {
    // The CLI and the API speak LoaderError: a database refusal keeps its code and text.
    if (e instanceof DbError) throw new LoaderError(e.code, e.text, e.status, e.detail);
    throw e;
  });
  try {
    const keysFile = o.keysFile ?? defaultKeysFile(o);
    const keys = o.keys ?? (await openSoftwareKeyStore(keysFile));
    const ctx: Ctx = {
      db,
      config: o.config ?? DEFAULT_CONFIG,
      now: () => new Date(),
      keys,
      certificateCheck: o.certificateCheck,
      previousCardOf: o.jpkiRevocations?.previousCardOf,
      feedSigner:
        o.feedSigner === false ? undefined : (o.feedSigner ?? defaultFeedSigner(dirname(keysFile))),
      auditSigner:
        o.auditSigner === false
          ? undefined
          : (o.auditSigner ?? defaultAuditSigner(dirname(keysFile))),
    };
    await checkKeysAgainstDb(db, keys.checkValue);
    const bootstrap = await bootstrapPlatformAdmin(ctx, o.adminPassword);
    const app = buildServer(ctx, {
      logger: o.logger ?? false,
      ...(o.jobs ? { jobs: o.jobs } : {}),
      ...(o.mounts ? { mounts: o.mounts } : {}),
      ...(o.tls ? { tls: o.tls } : {}),
      ...(o.trustProxy ? { trustProxy: o.trustProxy } : {}),
    });
    const address = await app.listen({ port: o.port ?? 8380, host: o.host ?? '127.0.0.1' });
    const sequencer = startAuditSequencer(db, {
      signer: ctx.auditSigner,
      intervalMs: o.auditSequenceMs ?? 1000,
      onError: (e) => app.log.error({ err: e }, 'audit sequencer'),
    });
    const jpkiWatch = o.jpkiRevocations
      ? watchJpkiRevocations(ctx, o.jpkiRevocations.read, o.jpkiRevocations)
      : undefined;
    return {
      url: address,
      db,
      bootstrap,
      testAreaKeys: keys.testAreaKeys,
      ctx,
      jpkiWatch,
      async close() {
        await jpkiWatch?.stop();
        await sequencer.stop();
        await app.close();
        await db.close();
      },
    };
  } catch (e) {
    await db.close();
    throw e;
  }
}
