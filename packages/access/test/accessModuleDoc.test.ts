/**
 * docs/access-module.md cannot rot: every ```ts file=NAME block is written to a
 * file of that name (in a scratch folder inside this package, so that
 * `@myna-ap/access` resolves as it does for a business system in the workspace)
 * and run against the emulated card — the vpcd block through pcscd + vpcd when
 * the machine has them, the test block with node's test runner. A block this file
 * does not run fails the test, and so does an error code the doc's table names
 * that the catalogue does not have, or a business system's code it leaves out.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pcscSkipReason } from '@myna-ap/transport';
import { ACCESS_ERRORS, AccessError, type AccessErrorCode } from '../src/index.ts';
import {
  TEST_CARD_AP_AID as AID,
  TEST_CARD_AP_PIN as PIN,
  TEST_USER_ID,
  cardWithCardAps,
} from './fixture.ts';

const DOC = fileURLToPath(new URL('../../../docs/access-module.md', import.meta.url));
const HERE = fileURLToPath(new URL('.', import.meta.url));

/** The ```ts file=NAME blocks of the doc, in order. */
function blocks(md: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of md.matchAll(/^```ts file=(\S+)\n([\s\S]*?)^```$/gm)) {
    assert.ok(!out.has(m[1]!), `two blocks named ${m[1]}`);
    out.set(m[1]!, m[2]!);
  }
  return out;
}

let md: string;
let dir: string;
const ran = new Set<string>();
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function load(name: string): Promise<any> {
  ran.add(name);
  return import(pathToFileURL(join(dir, name)).href);
}

before(async () => {
  md = await readFile(DOC, 'utf8');
  dir = await mkdtemp(join(HERE, '.doc-examples-'));
  for (const [name, code] of blocks(md)) await writeFile(join(dir, name), code);
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('the type C, A, D and custom examples read and write the emulated card', async () => {
  const { channel, card, keyPackages } = await cardWithCardAps();
  const library = await load('library.ts');
  assert.equal(library.LIBRARY_AP, AID.C);
  assert.deepEqual(await library.libraryUserId(channel), {
    userId: TEST_USER_ID,
    info: ['81=414243'],
  });

  const membership = await load('membership.ts');
  assert.deepEqual(await membership.renewMembership(channel, keyPackages.A, PIN), {
    userId: TEST_USER_ID,
    wasMember: false,
  });
  assert.equal((await membership.renewMembership(channel, keyPackages.A, PIN)).wasMember, true);

  const rides = await load('rides.ts');
  assert.equal((await rides.countRide(channel, keyPackages.D)).rides, 1);
  assert.equal((await rides.countRide(channel, keyPackages.D)).rides, 2);
  const d = card.image.freeAreas.extended.cardAps.find((a) => a.aid === AID.D.toLowerCase());
  assert.equal(d?.binary?.slice(26, 30), '0002', 'the counter is on the card');

  const custom = await load('custom.ts');
  assert.equal(await custom.customUserId(channel, AID.custom), TEST_USER_ID);
  assert.deepEqual(
    await custom.customNote(channel, keyPackages.custom, PIN, Uint8Array.of(0xab)),
    [1, 2],
  );
  const x = card.image.freeAreas.extended.cardAps.find((a) => a.aid === AID.custom.toLowerCase());
  assert.equal(x?.efs?.[1]?.data.slice(0, 2), 'ab');
});

test('the PIN, status feed and error examples', async () => {
  const { channel, keyPackages } = await cardWithCardAps();
  const pin = await load('pin.ts');
  assert.equal(await pin.triesLeft(channel, AID.A), 3);
  assert.equal(await pin.triesLeft(channel, AID.C), null);
  await pin.changeCardApPin(channel, keyPackages.A, PIN, 'Sakura77');
  await assert.rejects(pin.changeCardApPin(channel, keyPackages.A, PIN, '1111'), {
    code: 'PIN_WRONG',
    triesLeft: 2,
  });
  await assert.rejects(pin.changeCardApPin(channel, keyPackages.D, 'x', 'y'), {
    code: 'PIN_CHANGE_NOT_ALLOWED',
  });

  const feed = await load('feed.ts');
  const status = feed.statusFromPages([
    { events: [{ seq: 1, status: 'lost', cardAps: [{ aid: AID.D, userId: TEST_USER_ID }] }] },
    { events: [{ seq: 2, status: 'revoked', cardAps: [{ aid: AID.C, userId: TEST_USER_ID }] }] },
  ]);
  const rides = await load('rides.ts');
  await assert.rejects(rides.countRide(channel, keyPackages.D, status), { code: 'CARD_LOST' });

  const messages = await load('messages.ts');
  const library = await load('library.ts');
  const e = await library.libraryUserId(channel, status).catch((x: unknown) => x);
  const shown = messages.counterMessage(e);
  assert.equal(shown.touchAgain, false);
  assert.ok(shown.message.startsWith(ACCESS_ERRORS.CARD_REVOKED.ja), shown.message);
  channel.remove();
  const gone = await library.libraryUserId(channel).catch((x: unknown) => x);
  assert.equal(messages.counterMessage(gone).touchAgain, true);
  assert.throws(() => messages.counterMessage(new TypeError('bug')), TypeError);
});

test('the counter example: a reader that is not there is NO_READER', async () => {
  const counter = await load('counter.ts');
  const { keyPackages } = await cardWithCardAps();
  const file = join(dir, 'keys-a.json');
  await writeFile(file, JSON.stringify(keyPackages.A), { mode: 0o600 });
  // No pcscd, no binding, or pcscd without that reader: all three are NO_READER.
  const err = await counter.openCounter(file, 'no such reader').catch((x: unknown) => x);
  assert.ok(err instanceof AccessError, String(err));
  assert.equal(err.code, 'NO_READER', err.message);
});

test('the vendor’s test example passes under node’s test runner', async () => {
  ran.add('library.test.ts'); // run in a child: its tests are not this file's
  const out = await new Promise<{ code: number; text: string }>((resolve) => {
    execFile(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=source',
        '--test',
        '--test-reporter=tap',
        join(dir, 'library.test.ts'),
      ],
      // A test file of its own, not a subtest of this one (node marks its children so).
      { timeout: 120_000, env: { ...process.env, NODE_TEST_CONTEXT: undefined } },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number(err.code ?? 1) : 0, text: `${stdout}${stderr}` }),
    );
  });
  assert.equal(out.code, 0, out.text);
  assert.match(out.text, /# pass 2/);
});

const skip = await pcscSkipReason();
test('the vpcd example counts a ride through pcscd', { skip }, async () => {
  const vpcd = await load('vpcd.ts');
  assert.equal(await vpcd.rideThroughPcsc(join(dir, 'keys-d.json')), 1);
});

test('every example block is run, and the error table is the catalogue’s', async () => {
  const names = [...blocks(md).keys()];
  const run = skip ? [...ran, 'vpcd.ts'] : [...ran];
  assert.deepEqual(
    names.filter((n) => !run.includes(n)),
    [],
    'blocks no test runs',
  );
  const table = [...md.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]!);
  for (const c of table) assert.ok(c in ACCESS_ERRORS, `${c} is not an access error code`);
  // The codes a business system meets (the counter's issuer operations are not its own).
  const counterOnly: AccessErrorCode[] = [
    'NO_ISSUER_DOMAIN',
    'ISSUER_KEYS_REJECTED',
    'KEY_SET_BLOCKED',
    'ISSUER_UPDATE_REFUSED',
    'CARD_NOT_GENUINE',
  ];
  const missing = Object.keys(ACCESS_ERRORS).filter(
    (c) => !table.includes(c) && !counterOnly.includes(c as AccessErrorCode),
  );
  assert.deepEqual(missing, [], 'codes the doc’s table leaves out');
});
