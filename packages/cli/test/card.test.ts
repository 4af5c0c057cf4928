/**
 * `myna card create|show|cert` end to end through the CLI's `main`. `show` and
 * `cert` run on a card made by the fixture; `create` uses @myna-ap/pki's
 * JpkiIssuer in a temporary MYNA_HOME.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/main.ts';
import { loadCardFile, saveCardFile, saveCardImage } from '@myna-ap/card';
import { issued } from '@myna-ap/card/testing';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

test('myna card show and cert on a card file; a locked PIN shows as locked', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'myna-cli-show-'));
  try {
    await withEnv({ MYNA_LANG: 'en' }, async () => {
      const file = join(dir, 'card.json');
      const { image, secrets } = await issued();
      await saveCardImage(file, image);
      const show = await run('card', 'show', file);
      assert.equal(show.code, 0, show.err);
      for (const s of [
        'D392F000260100000001',
        'D3921000310001010408',
        'D3921000310001010402',
        'D3921000310001010401',
        'D3921000310001010100',
        'EF 000A',
        'PIN 0018',
        '3/3 tries left',
        '5/5 tries left',
        'municipality: 131016',
        'extended-use area',
        'free, 0 card AP(s)',
      ]) {
        assert.ok(show.out.includes(s), `show lacks ${s}:\n${show.out}`);
      }
      for (const secret of [
        secrets.signPassword,
        secrets.myNumber,
        image.freeAreas.local.keys.enc,
      ]) {
        assert.ok(!show.out.includes(secret), 'no secret in show');
      }
      const json = await run('card', 'show', file, '--json');
      assert.ok(!json.out.includes(image.freeAreas.local.keys.enc), 'no area key in --json');
      const parsed = JSON.parse(json.out) as { applications: { pins: { locked: boolean }[] }[] };
      assert.equal(parsed.applications.length, 5);

      const card = await loadCardFile(file);
      const apdu = (h: string) => card.transmit(Uint8Array.from(Buffer.from(h, 'hex')));
      apdu('00A4040C0AD392F000260100000001');
      apdu('00A4020C020018');
      for (let i = 0; i < 3; i++) apdu('002000800430303030');
      await saveCardFile(file, card);
      assert.match((await run('card', 'show', file)).out, /PIN 0018 LOCKED/);
      const ja = await withEnv({ MYNA_LANG: 'ja' }, () => run('card', 'show', file));
      assert.match(ja.out, /PIN 0018 ロック中/);

      const pem = await run('card', 'cert', file, 'auth');
      assert.equal(pem.code, 0, pem.err);
      assert.match(pem.out, /^-----BEGIN CERTIFICATE-----/);
      assert.equal(
        Buffer.from(new X509Certificate(pem.out).raw).toString('hex'),
        image.jpki.files['000A'],
      );
      const sign = await run('card', 'cert', file, 'sign');
      assert.equal(
        Buffer.from(new X509Certificate(sign.out).raw).toString('hex'),
        image.jpki.files['0001'],
      );
      assert.equal((await run('card', 'cert', file, 'other')).code, 2);
      assert.equal((await run('card', 'cert', file)).code, 2);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('myna card: bad options and files get clear errors in both languages', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'myna-cli-bad-'));
  try {
    await withEnv({ MYNA_LANG: 'en', MYNA_HOME: join(dir, 'home') }, async () => {
      const file = join(dir, 'c.json');
      assert.equal((await run('card', 'create')).code, 2, '--out is required');
      const sex = await run('card', 'create', '--out', file, '--sex', '3');
      assert.equal(sex.code, 1);
      assert.match(sex.err, /--sex must be 1/);
      const cases: [string[], RegExp][] = [
        [['--birth', '1990-02-30'], /birth date/],
        [['--pin', '12345'], /PIN must be 4 digits/],
        [['--sign-password', 'abc'], /sign password/],
        [['--my-number', '123456789012'], /check digit/],
        [['--municipality', '131017'], /municipality code/],
        [['--address', '北海道'.repeat(40)], /shorten the address/],
      ];
      for (const [args, re] of cases) {
        const r = await run('card', 'create', '--out', file, ...args);
        assert.equal(r.code, 1, args.join(' '));
        assert.match(r.err, re);
      }
      await saveCardImage(file, (await issued()).image);
      const exists = await run('card', 'create', '--out', file);
      assert.equal(exists.code, 1);
      assert.match(exists.err, /already exists; use --force/);
      const missing = await run('card', 'show', join(dir, 'none.json'));
      assert.equal(missing.code, 1);
      assert.match(missing.err, /no card file/);
      assert.equal((await run('card', 'show')).code, 2);
      await saveCardImage(join(dir, 'bad.json'), { ...(await issued()).image, version: 2 as 1 });
      assert.match(
        (await run('card', 'show', join(dir, 'bad.json'))).err,
        /version 2 is not supported/,
      );
      const ja = await withEnv({ MYNA_LANG: 'ja' }, () =>
        run('card', 'show', join(dir, 'none.json')),
      );
      assert.match(ja.err, /カードファイルがありません/);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('myna card create: a usable card file, defaults printed once, --force to replace', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'myna-cli-create-'));
  try {
    await withEnv({ MYNA_LANG: 'en', MYNA_HOME: join(dir, 'home') }, async () => {
      const file = join(dir, 'card.json');
      const made = await run(
        'card',
        'create',
        '--out',
        file,
        '--name',
        '試験 太郎',
        '--sex',
        '1',
        '--birth',
        '1985-04-01',
      );
      assert.equal(made.code, 0, made.err);
      assert.match(made.out, /: 1234 \(default\)/);
      assert.match(made.out, /sign password: ABC123 \(default\)/);
      assert.match(made.out, /My Number \(= PIN A\): [0-9]{12}/);
      assert.equal(((await stat(file)).mode & 0o777).toString(8), '600');
      const card = await loadCardFile(file);
      const image = JSON.parse(await readFile(file, 'utf8')) as {
        jpki: { files: Record<string, string> };
      };
      assert.deepEqual(card.image.jpki.files, image.jpki.files);
      const again = await run('card', 'create', '--out', file, '--force', '--pin', '9876');
      assert.equal(again.code, 0, again.err);
      assert.match(again.out, /: 9876$/m);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
