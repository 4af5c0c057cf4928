/**
 * The whole platform as one Fastify plugin — the machine API at its root, the
 * OIDC provider under /oidc, the holder's sign-in page — and the two ways to run
 * it: a server of its own (`startIdpServer`, `myna idp serve`) or a mount on the
 * loader's server (`idpMount`, `myna serve --idp`; the CLI composes, this package
 * does not import the loader: the mount is the seam's shape, docs/server.md).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { migrate, type Db } from '@myna-ap/db';
import { idpPlugin } from '../http/plugin.ts';
import { makeOidcProvider } from '../oidc/provider.ts';
import { oidcPlugin } from '../oidc/interaction.ts';
import { idpMigrations } from '../migrations.ts';
import type { CertificateValidator } from '../validation/validator.ts';
import type { CrlStore } from '../validation/crlStore.ts';
import type { HolderKeys } from '../ppid/holders.ts';
import type { IdpKeys } from './keys.ts';

/** The OIDC provider's path below the platform's base URL. */
export const OIDC_PATH = '/oidc';

export interface PlatformParts {
  readonly validator: CertificateValidator;
  readonly crls: CrlStore;
  readonly holders: HolderKeys;
  readonly keys: Pick<IdpKeys, 'signingKeys' | 'cookieKeys'>;
  /**
   * The platform's public base URL, mount path included (http://127.0.0.1:8390,
   * https://id.example.lg.jp/idp): the audience of client assertions, the OIDC
   * issuer is it + /oidc, and the origin the holder's card signs for at our page.
   */
  readonly baseUrl: string;
  readonly now?: () => Date;
  /** The holder's bridge the sign-in page talks to (default http://127.0.0.1:8391). */
  readonly bridgeUrl?: string;
}

/** Registers the platform on `app` (routes relative to wherever `app` is). */
export async function platformPlugin(
  app: FastifyInstance,
  o: PlatformParts & { readonly db: Db },
): Promise<void> {
  const base = o.baseUrl.replace(/\/$/, '');
  const common = { db: o.db, validator: o.validator, holders: o.holders, now: o.now };
  await app.register(idpPlugin, { ...common, crls: o.crls, issuer: base });
  const provider = makeOidcProvider({
    issuer: `${base}${OIDC_PATH}`,
    db: o.db,
    holders: o.holders,
    signingKeys: o.keys.signingKeys,
    cookieKeys: o.keys.cookieKeys,
  });
  await app.register(oidcPlugin, {
    ...common,
    provider,
    prefix: OIDC_PATH,
    routeBase: '',
    resultKey: o.keys.signingKeys[0]!,
    ...(o.bridgeUrl ? { bridgeUrl: o.bridgeUrl } : {}),
  });
}

/** The shape of the loader's seam the platform needs (structurally the loader's `Mount`). */
export interface PlatformMount {
  readonly name: string;
  readonly prefix: string;
  readonly public: boolean;
  plugin(app: FastifyInstance, seam: { readonly loader: { readonly db: Db } }): Promise<void>;
}

/**
 * The platform on another server's database and under its prefix: the idp's
 * tables are migrated into that database (per-owner bookkeeping: the loader's
 * are not touched). Public to the loader's operator hook: the platform
 * authenticates its own callers (client credentials, private_key_jwt, the card).
 */
export function idpMount(parts: PlatformParts, prefix = '/idp'): PlatformMount {
  return {
    name: 'idp',
    prefix,
    public: true,
    async plugin(app, seam) {
      await migrate(seam.loader.db, [idpMigrations]);
      await platformPlugin(app, { ...parts, db: seam.loader.db });
    },
  };
}

export interface IdpServerOptions extends PlatformParts {
  readonly db: Db;
  readonly port: number;
  readonly host?: string;
  /** pino options, or false. */
  readonly logger?: boolean | Record<string, unknown>;
}

export interface RunningIdp {
  readonly url: string;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

/** The platform as a server of its own (its database is the caller's, already migrated). */
export async function startIdpServer(o: IdpServerOptions): Promise<RunningIdp> {
  const app = Fastify({ logger: o.logger ?? false, bodyLimit: 64 * 1024 });
  await app.register(platformPlugin, o);
  const url = await app.listen({ port: o.port, host: o.host ?? '127.0.0.1' });
  return { url, app, close: () => app.close() };
}
