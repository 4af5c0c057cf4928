/**
 * `myna card pin-reset` in the loader's audit log and without secrets on the
 * command line: `confirmed` (with the card's key id) then `reset`, by the
 * logged-in operator at its terminal, naming the card and the PIN kind — the
 * PIN and the security code nowhere; the security code and the new PIN read from
 * stdin in a real process; --security-code refused; not logged in, or a reset
 * the card refuses: nothing written to the card, the failure recorded.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MynaClient } from '@myna-ap/access';
import { issuerCvCertificateEf, loadCardFile, saveCardFile, saveCardImage } from '@myna-ap/card';
import { InProcessChannel } from '@myna-ap/transport';
import { HOLDER, cardIssuer, issued } from '@myna-ap/access/testing';
import { T } from '@myna-ap/loader/testing';
import { myna } from './cliRun.ts';
import { counterServer, pinResetAudit, type Counter } from './counterServer.ts';
import { secretsFromHolder } from '../src/commands/pinReset.ts';

const MYNA = fileURLToPath(new URL('../../../bin/myna.mjs', import.meta.url));
let counter: Counter | undefined;
after(() => counter?.close());
const counterOnce = async () => (counter ??= await counterServer());

/** A locked card file, the issuer's certificate beside it, the printed security code, the serial. */
async function lockedCard() {
  const dir = await mkdtemp(join(tmpdir(), 'myna-pin-audit-'));
  const made = await issued();
  const card = join(dir, 'holder.card');
  const cert = join(dir, 'issuer.cvc');
  await saveCardImage(card, made.image);
  await writeFile(cert, issuerCvCertificateEf(cardIssuer));
  const c = await loadCardFile(card);
  const client = new MynaClient(new InProcessChannel(c));
  for (let i = 0; i < 3; i++) await client.verifyPin('auth', '9999').catch(() => undefined);
  await saveCardFile(card, c);
  const serial = (
    (made.image.common as { files: Record<string, string> }).files['0001'] ?? ''
  ).toUpperCase();
  return {
    dir,
    card,
    cert,
    code: made.secrets.securityCode,
    serial,
    done: () => rm(dir, { recursive: true, force: true }),
  };
}
/** Runs node with `argv`, `input` on its stdin. */
function run(argv: string[], env: NodeJS.ProcessEnv, input: string) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, argv, { env });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (status) => resolve({ status, stdout, stderr }));
    p.stdin.end(input);
  });
}

/** This process's environment with the counter's, and no secret or token from outside. */
function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['MYNA_TOKEN', 'MYNA_NEW_PIN', 'MYNA_SECURITY_CODE']) delete e[k];
  for (const [k, v] of Object.entries(env)) if (v !== undefined) e[k] = v;
  return e;
}
const tries = async (file: string) =>
  new MynaClient(new InProcessChannel(await loadCardFile(file))).pinTriesLeft('auth');

const args = (card: string, cert: string, ...more: string[]) => [
  'card',
  'pin-reset',
  '--card',
  card,
  '--which',
  'auth',
  '--birth',
  HOLDER.birthDate,
  '--issuer-cert',
  cert,
  ...more,
];

test('a reset is audited: confirmed with the card key, then reset; who, where, which card and PIN, never the PIN', async () => {
  const c = await counterOnce();
  const k = await lockedCard();
  try {
    const before = (await pinResetAudit(c)).length;
    const r = await myna(args(k.card, k.cert), {
      ...c.env,
      MYNA_NEW_PIN: '7315',
      MYNA_SECURITY_CODE: k.code,
    });
    assert.equal(r.code, 0, r.err);
    assert.equal(await tries(k.card), 3);
    const rows = (await pinResetAudit(c)).slice(before);
    assert.deepEqual(
      rows.map((x) => [x.actor, x.target, x.detail.terminalId, x.detail.which, x.detail.outcome]),
      [
        [c.w.op.operatorId, k.serial, T, 'auth', 'confirmed'],
        [c.w.op.operatorId, k.serial, T, 'auth', 'reset'],
      ],
    );
    assert.match(String(rows[0]?.detail.cardKeyId), /^[0-9A-F]{32}$/);
    const all = JSON.stringify(
      (await c.server.db.query('SELECT actor, action, target, detail FROM audit_log')).rows,
    );
    assert.ok(!all.includes('7315'), 'the new PIN is not in the audit log');
    assert.ok(!all.includes(`"${k.code}"`), 'nor the security code');
  } finally {
    await k.done();
  }
});

test('the security code and the new PIN from stdin in a real process; nothing of them in argv', async () => {
  const c = await counterOnce();
  const k = await lockedCard();
  try {
    const argv = [
      MYNA,
      ...args(k.card, k.cert, '--security-code-stdin', '--new-pin-stdin', '--terminal', T),
    ];
    assert.ok(!argv.some((a) => a.includes(k.code) || a.includes('2468')));
    // Not spawnSync: the server runs in this process and must go on answering.
    const r = await run(argv, childEnv(c.env), `${k.code}\n2468\n`);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!`${r.stdout}${r.stderr}`.includes('2468'));
    const client = new MynaClient(new InProcessChannel(await loadCardFile(k.card)));
    await client.verifyPin('auth', '2468');
  } finally {
    await k.done();
  }
});

test('--security-code is refused, as is a missing or short stdin; the card untouched, nothing recorded', async () => {
  const c = await counterOnce();
  const k = await lockedCard();
  try {
    const before = (await pinResetAudit(c)).length;
    const r = await myna(args(k.card, k.cert, '--security-code', k.code), {
      ...c.env,
      MYNA_NEW_PIN: '7315',
    });
    assert.equal(r.code, 2);
    assert.match(r.err, /--security-code is not taken on the command line \(ps shows it/);
    const none = await myna(args(k.card, k.cert), {
      ...c.env,
      MYNA_NEW_PIN: '7315',
      MYNA_SECURITY_CODE: undefined,
    });
    assert.equal(none.code, 2);
    assert.match(none.err, /security code is given in MYNA_SECURITY_CODE or on stdin/);
    assert.equal(await tries(k.card), 0);
    assert.equal((await pinResetAudit(c)).length, before);
  } finally {
    await k.done();
  }
  // stdin read in order: the security code, then the new PIN.
  const both = secretsFromHolder({
    securityCodeStdin: true,
    newPinStdin: true,
    stdin: () => '1234\r\nAB12CD\n',
  });
  assert.deepEqual(both, { securityCode: '1234', newPin: 'AB12CD' });
  assert.throws(
    () => secretsFromHolder({ securityCodeStdin: true, newPinStdin: true, stdin: () => '1234\n' }),
    /no new PIN on stdin/,
  );
  const saved = process.env.MYNA_SECURITY_CODE;
  process.env.MYNA_SECURITY_CODE = '4321';
  try {
    assert.deepEqual(
      secretsFromHolder({ securityCodeStdin: false, newPinStdin: true, stdin: () => '9876\n' }),
      {
        securityCode: '4321',
        newPin: '9876',
      },
    );
  } finally {
    if (saved === undefined) delete process.env.MYNA_SECURITY_CODE;
    else process.env.MYNA_SECURITY_CODE = saved;
  }
});

test('not logged in: refused before the card; wrong issuer keys: confirmed, then failed with the code', async () => {
  const c = await counterOnce();
  const k = await lockedCard();
  try {
    const before = (await pinResetAudit(c)).length;
    const env = { ...c.env, MYNA_NEW_PIN: '7315', MYNA_SECURITY_CODE: k.code };
    const out = await myna(args(k.card, k.cert), {
      ...env,
      MYNA_HOME: join(k.dir, 'nobody'),
    });
    assert.equal(out.code, 1);
    assert.match(out.err, /not logged in/);
    assert.equal((await pinResetAudit(c)).length, before);

    const keys = join(k.dir, 'keys.json');
    await writeFile(
      keys,
      JSON.stringify({ enc: '00'.repeat(16), mac: '00'.repeat(16), dek: '00'.repeat(16) }),
    );
    const wrong = await myna(args(k.card, k.cert, '--issuer-keys', keys), env);
    assert.equal(wrong.code, 1);
    assert.match(wrong.err, /did not accept these keys/);
    assert.equal(await tries(k.card), 0, 'still locked');
    const rows = (await pinResetAudit(c)).slice(before);
    assert.deepEqual(
      rows.map((x) => [x.detail.outcome, typeof x.detail.error]),
      [
        ['confirmed', 'undefined'],
        ['failed', 'string'],
      ],
    );
    assert.match(String(rows[1]?.detail.error), /^[A-Z][A-Z0-9_]+$/);
  } finally {
    await k.done();
  }
});
