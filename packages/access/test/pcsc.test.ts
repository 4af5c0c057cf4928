/**
 * Interoperability through the real stack: the emulated card in vpcd's virtual
 * reader, read and used by Debian's unmodified OpenSC (opensc-tool, pkcs15-tool,
 * pkcs11-tool), by openssl, and by our MynaClient over PcscChannel.
 * startPcscStack serialises pcscd users across test files with a machine lock.
 * OpenSC runs as child processes with async execFile: the card answers from
 * this process's event loop, so a synchronous spawn would deadlock.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate, createVerify } from 'node:crypto';
import { PcscChannel, pcscSkipReason, startPcscStack, type PcscStack } from '@myna-ap/transport';
import type { Card } from '@myna-ap/card';
import { AccessError, MynaClient } from '../src/index.ts';
import { HOLDER, PIN, SIGN_PASSWORD, freshCard, issued } from './fixture.ts';

const PKCS11 = '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so';
const skip = await pcscSkipReason({ opensc: true });

function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

const derOfPem = (pem: string) =>
  Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s/g, ''), 'base64').toString('hex');

describe('OpenSC and MynaClient through pcscd + vpcd', { skip }, () => {
  let stack: PcscStack;
  let card: Card;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'myna-interop-'));
    card = await freshCard();
    stack = await startPcscStack();
    await stack.insert(card, 0);
  });
  after(async () => {
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('opensc-tool lists the virtual reader with a card', async () => {
    const r = await run('opensc-tool', ['--list-readers']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /0\s+Yes\s+Virtual PCD 00 00/);
    const atr = await run('opensc-tool', ['--reader', '0', '--atr']);
    assert.match(atr.out.toLowerCase(), /3b:e0:00:ff:81:31:fe:45:14/);
  });

  test('pkcs15-tool binds the JPKI driver and lists the four certificates', async () => {
    const r = await run('pkcs15-tool', ['--list-certificates']);
    assert.equal(r.code, 0, r.out);
    for (const label of [
      'User Authentication Certificate',
      'Digital Signature Certificate',
      'User Authentication Certificate CA',
      'Digital Signature Certificate CA',
    ]) {
      assert.ok(r.out.includes(`[${label}]`), `${label} in\n${r.out}`);
    }
    assert.match(r.out, /Digital Signature Certificate\]\s+Object Flags\s+: \[0x01\], private/);
  });

  test('pkcs15-tool reads the auth certificate; the sign one only with the sign password', async () => {
    const { image } = await issued();
    const authPem = join(dir, 'auth.pem');
    let r = await run('pkcs15-tool', ['--read-certificate', '01', '--output', authPem]);
    assert.equal(r.code, 0, r.out);
    assert.equal(derOfPem(await readFile(authPem, 'utf8')), image.jpki.files['000A']);

    r = await run('pkcs15-tool', ['--read-certificate', '02']);
    assert.notEqual(r.code, 0, 'the sign certificate is private');

    const signPem = join(dir, 'sign.pem');
    r = await run('pkcs15-tool', [
      '--verify-pin',
      '--auth-id',
      '02',
      '--pin',
      SIGN_PASSWORD,
      '--read-certificate',
      '02',
      '--output',
      signPem,
    ]);
    assert.equal(r.code, 0, r.out);
    assert.equal(derOfPem(await readFile(signPem, 'utf8')), image.jpki.files['0001']);
  });

  test('pkcs11-tool signs with the auth key after login; openssl verifies', async () => {
    const msg = join(dir, 'msg.txt');
    const sig = join(dir, 'msg.sig');
    await writeFile(msg, 'ログインの挑戦 challenge 0123');
    const r = await run('pkcs11-tool', [
      '--module',
      PKCS11,
      '--login',
      '--pin',
      PIN,
      '--sign',
      '--id',
      '01',
      '-m',
      'SHA256-RSA-PKCS',
      '--input-file',
      msg,
      '--output-file',
      sig,
    ]);
    assert.equal(r.code, 0, r.out);
    // The certificate as read back from the card by pkcs15-tool.
    const authPem = join(dir, 'auth-readback.pem');
    const pub = join(dir, 'auth.pub');
    assert.equal(
      (await run('pkcs15-tool', ['--read-certificate', '01', '--output', authPem])).code,
      0,
    );
    const x = await run('openssl', ['x509', '-in', authPem, '-pubkey', '-noout', '-out', pub]);
    assert.equal(x.code, 0, x.out);
    const v = await run('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', sig, msg]);
    assert.equal(v.code, 0, v.out);
    assert.match(v.out, /Verified OK/);
    // And a tampered message does not verify.
    await writeFile(msg, 'ログインの挑戦 challenge 0124');
    const bad = await run('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', sig, msg]);
    assert.notEqual(bad.code, 0);
  });

  test('pkcs11-tool signs with the sign key (second token, sign password); openssl verifies', async () => {
    const msg = join(dir, 'contract.txt');
    const sig = join(dir, 'contract.sig');
    await writeFile(msg, '契約書 第1条');
    const r = await run('pkcs11-tool', [
      '--module',
      PKCS11,
      '--slot-index',
      '1', // OpenSC exposes the sign PIN as a second token on the same reader
      '--login',
      '--pin',
      SIGN_PASSWORD,
      '--sign',
      '--id',
      '02',
      '-m',
      'SHA256-RSA-PKCS',
      '--input-file',
      msg,
      '--output-file',
      sig,
    ]);
    assert.equal(r.code, 0, r.out);
    const signPem = join(dir, 'sign-readback.pem');
    const pub = join(dir, 'sign.pub');
    const read = await run('pkcs15-tool', [
      '--verify-pin',
      '--auth-id',
      '02',
      '--pin',
      SIGN_PASSWORD,
      '--read-certificate',
      '02',
      '--output',
      signPem,
    ]);
    assert.equal(read.code, 0, read.out);
    assert.equal(
      (await run('openssl', ['x509', '-in', signPem, '-pubkey', '-noout', '-out', pub])).code,
      0,
    );
    const v = await run('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', sig, msg]);
    assert.equal(v.code, 0, v.out);
  });

  test('MynaClient over PcscChannel: certificates, token, basic info, signatures', async () => {
    const { image } = await issued();
    for (const maxResponseLength of [65535, 256]) {
      const ch = await PcscChannel.open({ reader: 0, maxResponseLength });
      try {
        const c = new MynaClient(ch);
        const auth = await c.readCertificate('auth');
        assert.equal(Buffer.from(auth).toString('hex'), image.jpki.files['000A']);
        const expected = maxResponseLength > 256 ? 3 : 2 + Math.ceil(auth.length / 256);
        assert.equal(c.apduCount, expected);
        assert.equal(await c.readToken(), 'JPKIAPICCTOKEN2');
        assert.deepEqual(await c.readBasicInfo(PIN), HOLDER);
        await c.verifyPin('auth', PIN);
        const data = new TextEncoder().encode('over PC/SC');
        const sig = await c.sign('auth', { hash: 'sha256', data });
        assert.ok(
          createVerify('sha256').update(data).verify(new X509Certificate(auth).publicKey, sig),
        );
        await c.verifyPin('sign', SIGN_PASSWORD);
        assert.equal(
          Buffer.from(await c.readCertificate('sign')).toString('hex'),
          image.jpki.files['0001'],
        );
      } finally {
        await ch.close();
      }
    }
  });

  test('wrong PINs count down as OpenSC and MynaClient see them; OpenSC reports the lock', async () => {
    const login = (pin: string) =>
      run('pkcs11-tool', ['--module', PKCS11, '--login', '--pin', pin, '--list-objects']);
    const triesByOpenSc = async () => {
      const r = await run('pkcs15-tool', ['--list-pins']);
      const m = /User Authentication PIN\][\s\S]*?Tries left\s+: (\d+)/.exec(r.out);
      assert.ok(m, r.out);
      return Number(m[1]);
    };
    const triesByUs = async () => {
      const ch = await PcscChannel.open({ reader: 0 });
      try {
        return await new MynaClient(ch).pinTriesLeft('auth');
      } finally {
        await ch.close();
      }
    };
    let r = await login('9999');
    assert.match(r.out, /CKR_PIN_INCORRECT/);
    assert.equal(await triesByOpenSc(), 2);
    assert.equal(await triesByUs(), 2);
    assert.equal((await login(PIN)).code, 0, 'the right PIN still works and resets the counter');
    assert.equal(await triesByUs(), 3);
    // (Each OpenSC run re-binds the card: ~40 APDUs; count with our 3-APDU client in between.)
    for (const left of [2, 1, 0]) {
      r = await login('0000');
      assert.match(r.out, /CKR_PIN_INCORRECT/);
      assert.equal(await triesByUs(), left);
    }
    assert.equal(await triesByOpenSc(), 0);
    const slots = await run('pkcs11-tool', ['--module', PKCS11, '--list-token-slots']);
    assert.match(slots.out, /user PIN locked/);
    r = await login(PIN);
    assert.notEqual(r.code, 0, 'a locked PIN refuses even the right PIN');
    // MynaClient agrees, and the lock is in the card's persistent image.
    const ch = await PcscChannel.open({ reader: 0 });
    try {
      const e = await new MynaClient(ch).verifyPin('auth', PIN).catch((x) => x);
      assert.ok(e instanceof AccessError && e.code === 'PIN_LOCKED', String(e));
    } finally {
      await ch.close();
    }
    assert.equal(card.image.jpki.pins['0018']?.triesLeft, 0);
  });
});
