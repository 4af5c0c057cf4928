import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Card, saveCardImage, loadCardImage } from '@myna-ap/card';
import { main } from '../src/main.ts';
import { CardSaver } from '../src/commands/insert.ts';
import { issued } from '@myna-ap/access/testing';

async function withCardFile<T>(f: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'myna-cli-'));
  try {
    const path = join(dir, 'test.card');
    await saveCardImage(path, (await issued()).image);
    return await f(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const prev = process.env.MYNA_LANG;
  process.env.MYNA_LANG = 'en';
  try {
    const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    if (prev === undefined) delete process.env.MYNA_LANG;
    else process.env.MYNA_LANG = prev;
  }
}

test('myna read --card FILE: token, certificate, tries, and the 4 basic info with --pin', async () => {
  await withCardFile(async (path) => {
    const r = await cli(['read', '--card', path, '--pin', '1234']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /token: JPKIAPICCTOKEN2/);
    assert.match(r.out, /subject: +C=JP, CN=[0-9A-F]{24}\n/);
    assert.match(r.out, /issuer: +C=JP, O=JPKI, OU=JPKI for user authentication/);
    assert.match(r.out, /auth PIN: 3 tries left/);
    assert.match(r.out, /name: +番号 太郎/);
    assert.match(r.out, /birth: +1985-04-01/);
    const j = await cli(['read', '--card', path, '--json', '--sign-password', 'ABC123']);
    const parsed = JSON.parse(j.out) as { pinTriesLeft: { sign: number }; signCertificate: string };
    assert.equal(parsed.pinTriesLeft.sign, 5);
    assert.match(parsed.signCertificate, /^-----BEGIN CERTIFICATE-----/);
    const pem = await cli(['read', '--card', path, '--cert', 'authCa']);
    assert.match(
      pem.out,
      /^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+\n-----END CERTIFICATE-----$/,
    );
  });
});

test('myna read: bad options and a wrong PIN give clear errors', async () => {
  await withCardFile(async (path) => {
    let r = await cli(['read', '--card', path, '--cert', 'nope']);
    assert.equal(r.code, 2);
    assert.match(r.err, /--cert must be one of/);
    r = await cli(['read', '--card', path, '--reader', '0']);
    assert.equal(r.code, 2);
    r = await cli(['read', '--card', path, '--cert', 'sign']);
    assert.equal(r.code, 1);
    assert.match(r.err, /needs --sign-password/);
    r = await cli(['read', '--card', path, '--pin', '12']);
    assert.equal(r.code, 1);
    assert.match(r.err, /must be 4 digits/);
    r = await cli(['read', '--card', path, '--pin', '0000']);
    assert.equal(r.code, 1);
    assert.match(r.err, /wrong: 2 tries left/);
    r = await cli(['read', '--card', join(path, '..', 'missing.card')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /no card file/);
  });
});

test('CardSaver writes the latest image once the generation moves, and only then', async () => {
  await withCardFile(async (path) => {
    const card = Card.fromImage(await loadCardImage(path));
    const saver = new CardSaver(path, card);
    const before = await readFile(path, 'utf8');
    saver.poke();
    await saver.flush();
    assert.equal(await readFile(path, 'utf8'), before, 'no change, no write');
    const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
    card.transmit(hex('00a4040c0ad392f000260100000001'));
    card.transmit(hex('00a4020c020018'));
    for (const _ of [1, 2]) {
      card.transmit(hex('002000800439393939'));
      saver.poke(); // the second poke lands while the first write runs
    }
    await saver.flush();
    assert.equal(saver.savedGeneration, card.generation);
    assert.equal((await loadCardImage(path)).jpki.pins['0018']?.triesLeft, 1);
  });
});
