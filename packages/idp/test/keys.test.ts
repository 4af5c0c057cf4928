/** The platform's key file: made once (0600), read back the same, refused when broken. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openIdpKeys, PpidSecrets } from '../src/index.ts';

test('made on first use with mode 0600, the same keys (and PPIDs) after', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'idp-keys-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'sub', 'keys.json');
  const first = await openIdpKeys(file);
  assert.equal(first.created, true);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.equal(first.keys.signingKeys[0]!.alg, 'RS256');
  const again = await openIdpKeys(file);
  assert.equal(again.created, false);
  assert.deepEqual(Buffer.from(again.keys.ppidMaster), Buffer.from(first.keys.ppidMaster));
  const holder = Buffer.alloc(16, 7);
  assert.equal(
    new PpidSecrets(again.keys.ppidMaster).ppid('city', holder),
    new PpidSecrets(first.keys.ppidMaster).ppid('city', holder),
  );
});

test('a broken file is refused with KEY_FILE_INVALID and left as it was', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'idp-keys-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const good = await openIdpKeys(join(dir, 'good.json'));
  const json = JSON.parse(await readFile(join(dir, 'good.json'), 'utf8'));
  const cases: Record<string, string> = {
    'not-json': '{',
    'short-secret': JSON.stringify({ ...json, ppidMaster: Buffer.alloc(16).toString('base64url') }),
    'public-key': JSON.stringify({
      ...json,
      signingKeys: [
        { kty: good.keys.signingKeys[0]!.kty, n: good.keys.signingKeys[0]!.n, e: 'AQAB' },
      ],
    }),
    'extra-field': JSON.stringify({ ...json, pin: '1234' }),
  };
  for (const [name, text] of Object.entries(cases)) {
    const file = join(dir, `${name}.json`);
    await writeFile(file, text);
    await assert.rejects(openIdpKeys(file), { code: 'KEY_FILE_INVALID' }, name);
    assert.equal(await readFile(file, 'utf8'), text, name);
  }
});
