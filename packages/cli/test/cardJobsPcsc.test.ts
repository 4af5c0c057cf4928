/**
 * `myna load | read --aid | diagnose --reader N`: the same card operations with the
 * card in a PC/SC reader (pcscd + vpcd, the emulated card put in with `card insert`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveCardFile } from '@myna-ap/card';
import { listReaders, pcscSkipReason, pollUntil, startPcscStack } from '@myna-ap/transport';
import { saveCredentials, seedDemo, startServer, TEST_CONFIG } from '@myna-ap/loader';
import { main } from '../src/main.ts';
import { insertCard } from '../src/commands/insert.ts';
import { newCard } from '@myna-ap/loader/testing';

const skip = await pcscSkipReason();

async function cli(args: string[], env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    for (const k of Object.keys(env)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

test('load, read back and diagnose a card in a PC/SC reader', { skip }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'myna-pcsc-load-'));
  const stack = await startPcscStack();
  const ac = new AbortController();
  let inserted: Promise<void> | undefined;
  const server = await startServer({ port: 0, dataDir: join(dir, 'db'), config: TEST_CONFIG });
  try {
    const info = await seedDemo(server.ctx, join(dir, 'demo.json'));
    const env = { MYNA_HOME: dir, MYNA_LANG: 'en' };
    await saveCredentials(
      {
        server: server.url,
        token: info.login.token,
        login: info.operator,
        expiresAt: info.login.expiresAt,
      },
      env,
    );
    const path = join(dir, 'card.json');
    await saveCardFile(path, await newCard());
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const quiet = { out: () => undefined, err: () => undefined };
    inserted = insertCard(path, {
      reader: 1,
      signal: ac.signal,
      io: quiet,
      onReady: () => ready(),
    });
    await isReady;
    await pollUntil('card in reader 1', async () =>
      (await listReaders()).find((r) => r.index === 1 && r.present),
    );

    const load = await cli(['load', '--reader', '1'], env);
    assert.equal(load.code, 0, load.out + load.err);
    const userId = /user ID ([0-9A-F]{26})/.exec(load.out)?.[1];
    assert.ok(userId, load.out);
    const read = await cli(['read', '--reader', '1', '--aid', info.aid], env);
    assert.equal(read.code, 0, read.err);
    assert.match(read.out, new RegExp(`user ID: ${userId}`));
    const diag = await cli(['diagnose', '--reader', '1', '--json'], env);
    assert.equal(diag.code, 0, diag.out + diag.err);
    const report = JSON.parse(diag.out);
    assert.equal(report.readable, true);
    assert.equal(report.areas[1].yours[0].aid, info.aid);
    // No card in reader 0: a clear refusal before anything reaches the server.
    const empty = await cli(['load', '--reader', '0'], env);
    assert.equal(empty.code, 1);
    assert.match(empty.err, /no card in reader/);

    ac.abort();
    await inserted;
    // The card file got what the reader's card was written.
    const back = await cli(['read', '--card', path, '--aid', info.aid], env);
    assert.match(back.out, new RegExp(`user ID: ${userId}`));
  } finally {
    ac.abort();
    await inserted?.catch(() => undefined);
    await server.close();
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
