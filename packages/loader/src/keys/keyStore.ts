/**
 * The loading system's keys (鍵管理), behind one interface: the two free areas'
 * master key sets (the card's security domains diversify them with its serial)
 * and the card AP root key, from which each card AP's master keys are derived
 * by its AID. Keys stay on the server: the terminal only relays APDUs; a
 * provider gets its own card APs' master keys as a key package, audited.
 *
 * `SoftwareKeyStore` keeps them in one JSON file (mode 0600) — the embedded
 * default. A PKCS#11 store (an HSM) fits the same interface.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  TEST_AREA_MASTER_KEYS,
  fromHex,
  scp03Kdf,
  toHex,
  type AreaMasterKeys,
  type AreaMasterKeySet,
  type CardApKeys,
} from '@myna-ap/apdu';
import { LoaderError } from '../errors.ts';

export interface LoaderKeyStore {
  /** Master key sets of 地域住民向け領域 and 拡張利用領域. */
  areaMasters(): AreaMasterKeys;
  /** Master keys of the card AP with this AID (its key package). */
  cardApMaster(aid: Uint8Array): CardApKeys;
  /**
   * Key check value over every key: servers sharing one database must hold the
   * same keys (the first server records it; a server with other keys refuses to start).
   */
  readonly checkValue: string;
  /** True when the area keys are the published TEST keys (demo and emulated cards only). */
  readonly testAreaKeys: boolean;
}

/** Derivation constant of card AP master keys from the root key. */
const CARD_AP_MASTER = { ENC: 0x61, MAC: 0x62 } as const;

/** Card AP master = KDF(root, 61|62, "myna card AP" ‖ AID): stateless, so servers agree. */
export function deriveCardApMaster(root: Uint8Array, aid: Uint8Array): CardApKeys {
  const ctx = new Uint8Array([...new TextEncoder().encode('myna card AP'), ...aid]);
  return {
    enc: scp03Kdf(root, CARD_AP_MASTER.ENC, ctx, 128),
    mac: scp03Kdf(root, CARD_AP_MASTER.MAC, ctx, 128),
  };
}

function checkValueOf(areas: AreaMasterKeys, root: Uint8Array): string {
  const h = createHash('sha256').update('myna-loader-keys\n');
  for (const a of [areas.local, areas.extended]) h.update(a.enc).update(a.mac).update(a.dek);
  h.update(root);
  return h.digest('hex').slice(0, 16);
}

/** In memory, from given keys (tests; or built by a store that loaded them). */
export class MemoryKeyStore implements LoaderKeyStore {
  readonly checkValue: string;
  readonly testAreaKeys: boolean;
  readonly #areas: AreaMasterKeys;
  readonly #root: Uint8Array;

  constructor(areas: AreaMasterKeys | 'test', root: Uint8Array = new Uint8Array(randomBytes(32))) {
    if (root.length !== 16 && root.length !== 32) {
      throw new LoaderError('KEYS_INVALID', {
        en: 'the card AP root key must be 16 or 32 bytes',
        ja: 'カードAPルート鍵は16または32バイトです',
      });
    }
    this.testAreaKeys = areas === 'test';
    this.#areas = areas === 'test' ? TEST_AREA_MASTER_KEYS : areas;
    this.#root = root;
    this.checkValue = checkValueOf(this.#areas, root);
  }

  areaMasters(): AreaMasterKeys {
    return this.#areas;
  }

  cardApMaster(aid: Uint8Array): CardApKeys {
    return deriveCardApMaster(this.#root, aid);
  }
}

interface KeyFile {
  format: 'myna-loader-keys';
  version: 1;
  /** "test" = the published TEST keys of @myna-ap/apdu (emulated cards made by `myna card create`). */
  areaMasters: 'test' | Record<'local' | 'extended', { enc: string; mac: string; dek: string }>;
  cardApRoot: string;
  createdAt: string;
}

const HEX_KEY = /^([0-9A-Fa-f]{32}|[0-9A-Fa-f]{64})$/;

function bad(file: string, why: string): LoaderError {
  return new LoaderError('KEYS_INVALID', {
    en: `key file ${file} is not valid: ${why}`,
    ja: `鍵ファイル ${file} が正しくありません（${why}）`,
  });
}

function parseSet(file: string, v: unknown, name: string): AreaMasterKeySet {
  const o = v as Record<string, unknown> | null;
  const get = (k: string) => {
    const x = o?.[k];
    if (typeof x !== 'string' || !HEX_KEY.test(x))
      throw bad(file, `${name}.${k} is not an AES key`);
    return fromHex(x);
  };
  return { enc: get('enc'), mac: get('mac'), dek: get('dek') };
}

/**
 * Opens the key file, creating it on first use with the TEST area keys (so the
 * emulated cards of `myna card create` work) and a fresh random card AP root.
 * A real deployment writes its own area masters into the file (or uses an HSM).
 */
export async function openSoftwareKeyStore(file: string): Promise<MemoryKeyStore> {
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (text === undefined) {
    const root = new Uint8Array(randomBytes(32));
    const k: KeyFile = {
      format: 'myna-loader-keys',
      version: 1,
      areaMasters: 'test',
      cardApRoot: toHex(root),
      createdAt: new Date().toISOString(),
    };
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(k, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    await chmod(tmp, 0o600);
    await rename(tmp, file);
    return new MemoryKeyStore('test', root);
  }
  let j: Partial<KeyFile>;
  try {
    j = JSON.parse(text) as Partial<KeyFile>;
  } catch {
    throw bad(file, 'not JSON');
  }
  if (j.format !== 'myna-loader-keys' || j.version !== 1) throw bad(file, 'unknown format');
  if (typeof j.cardApRoot !== 'string' || !HEX_KEY.test(j.cardApRoot)) {
    throw bad(file, 'cardApRoot is not an AES key');
  }
  const areas =
    j.areaMasters === 'test'
      ? 'test'
      : {
          local: parseSet(
            file,
            (j.areaMasters as Record<string, unknown> | undefined)?.local,
            'local',
          ),
          extended: parseSet(
            file,
            (j.areaMasters as Record<string, unknown> | undefined)?.extended,
            'extended',
          ),
        };
  return new MemoryKeyStore(areas, fromHex(j.cardApRoot));
}
