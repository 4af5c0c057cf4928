/**
 * Test helper: a throwaway SoftHSM2 token in a temp dir (its own softhsm2.conf,
 * set as SOFTHSM2_CONF for this process and its children). No SoftHSM2: in CI
 * that is a loud failure, elsewhere the tests are skipped with one line saying why.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's SoftHSM2 module; MYNA_TEST_PKCS11_MODULE for another. */
export const SOFTHSM_MODULE =
  process.env.MYNA_TEST_PKCS11_MODULE ?? '/usr/lib/softhsm/libsofthsm2.so';

const TOOL = new URL('./softhsm-tool.mjs', import.meta.url).pathname;

/** Why SoftHSM2 tests cannot run here, or undefined when they can. */
export function softHsmUnavailable(): string | undefined {
  if (!existsSync(SOFTHSM_MODULE)) {
    return `${SOFTHSM_MODULE} not found (Debian: apt-get install softhsm2)`;
  }
  return undefined;
}

/** `skip` option for node:test: a reason outside CI, a thrown error inside CI. */
export function skipUnlessSoftHsm(): string | false {
  const why = softHsmUnavailable();
  if (!why) return false;
  if (process.env.CI)
    throw new Error(`CI requires SoftHSM2 for the PKCS#11 key store tests: ${why}`);
  return `SoftHSM2: ${why}`;
}

export interface TestToken {
  readonly module: string;
  readonly label: string;
  /** The slot the token was made in (SoftHSM2 renumbers it on initialisation). */
  readonly slot: number;
  readonly pin: string;
  /** SOFTHSM2_CONF (and the PINs for the inspection tool), for child processes. */
  readonly env: NodeJS.ProcessEnv;
}

/**
 * Creates the token. Must run before this process loads the module (SoftHSM2
 * reads SOFTHSM2_CONF at C_Initialize), so once per test file, at the top.
 */
export function makeSoftHsmToken(label = 'myna-test'): TestToken {
  const dir = mkdtempSync(join(tmpdir(), 'myna-softhsm-'));
  mkdirSync(join(dir, 'tokens'), { mode: 0o700 });
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(
    conf,
    `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`,
  );
  process.env.SOFTHSM2_CONF = conf;
  const pin = randomBytes(6).toString('hex');
  const env = {
    ...process.env,
    SOFTHSM2_CONF: conf,
    P11_MODULE: SOFTHSM_MODULE,
    P11_LABEL: label,
    P11_PIN: pin,
    P11_SO_PIN: randomBytes(6).toString('hex'),
  };
  const r = spawnSync(process.execPath, [TOOL, 'init'], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`could not make a SoftHSM2 token: ${r.stderr}`);
  const q = spawnSync(process.execPath, [TOOL, 'slot'], { env, encoding: 'utf8' });
  if (q.status !== 0) throw new Error(`could not find the SoftHSM2 token's slot: ${q.stderr}`);
  const { slot } = JSON.parse(q.stdout) as { slot: number };
  return { module: SOFTHSM_MODULE, label, slot, pin, env };
}

export interface KeyInspection {
  readonly found: number;
  readonly sensitive?: boolean;
  readonly extractable?: boolean;
  readonly alwaysSensitive?: boolean;
  readonly neverExtractable?: boolean;
  readonly token?: boolean;
  /** `exported`, or the CKR_ code the token refused with. */
  readonly readPrivateExponent?: string;
  readonly readPrime?: string;
  readonly wrap?: string;
  readonly id?: string;
}

/** Looks at the private keys with these labels from another process, and tries to get them out. */
export function inspectKeys(token: TestToken, labels: string[]): Record<string, KeyInspection> {
  const r = spawnSync(process.execPath, [TOOL, 'inspect', ...labels], {
    env: token.env,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`inspection failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, KeyInspection>;
}
