/** One home for all local data: ~/.myna, or MYNA_HOME. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { defaultCardIssuerDir } from '@myna-ap/card';
import { credentialsPath, mynaHome } from '@myna-ap/loader/client';
import { defaultPkiDir } from '@myna-ap/pki';

test('the loader, card create and pki keep their data in the same home', () => {
  for (const [env, home] of [
    [{}, join(homedir(), '.myna')],
    [{ MYNA_HOME: '/srv/myna' }, '/srv/myna'],
  ] as const) {
    assert.equal(mynaHome(env), home);
    assert.equal(credentialsPath(env), join(home, 'credentials.json'));
    assert.equal(defaultCardIssuerDir(env), join(home, 'card-issuer'));
    assert.equal(defaultPkiDir(env), join(home, 'pki'));
  }
});
