import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessChannel } from '@myna-ap/transport';
import { AccessError, MynaClient, changePin, checkPinFormat } from '../src/index.ts';
import { PIN, SIGN_PASSWORD, freshCard } from './fixture.ts';

const code = (e: unknown) => (e instanceof AccessError ? e.code : String(e));

async function setup() {
  const card = await freshCard();
  const client = new MynaClient(new InProcessChannel(card));
  // One session per channel: it remembers what is selected on the card.
  return { card, session: client.session, client };
}

test('the holder changes each PIN with the old one', async () => {
  const { session, client } = await setup();
  await changePin(session, 'auth', PIN, '5678');
  await changePin(session, 'sign', SIGN_PASSWORD, 'NEWPASS2026');
  await changePin(session, 'text', PIN, '2468');
  await changePin(session, 'juki', PIN, '1357');
  await client.verifyPin('auth', '5678');
  await client.verifyPin('sign', 'NEWPASS2026');
  await client.verifyPin('text', '2468');
  await assert.rejects(client.verifyPin('auth', PIN), (e) => code(e) === 'PIN_WRONG');
  // the 住基 PIN through the same session: the old one is refused now
  await assert.rejects(changePin(session, 'juki', PIN, '0000'), (e) => code(e) === 'PIN_WRONG');
  await changePin(session, 'juki', '1357', '0000');
});

test('a wrong old PIN: PIN_WRONG with the tries left, then PIN_LOCKED', async () => {
  const { session } = await setup();
  await assert.rejects(changePin(session, 'auth', '0000', '5678'), (e) => {
    return e instanceof AccessError && e.code === 'PIN_WRONG' && e.triesLeft === 2;
  });
  await assert.rejects(changePin(session, 'auth', '0000', '5678'), (e) => code(e) === 'PIN_WRONG');
  await assert.rejects(changePin(session, 'auth', '0000', '5678'), (e) => code(e) === 'PIN_LOCKED');
  await assert.rejects(changePin(session, 'auth', PIN, '5678'), (e) => code(e) === 'PIN_LOCKED');
});

test('PINs against the rules never reach the card', async () => {
  const { card, session } = await setup();
  const gen = card.generation;
  for (const [kind, old, neu] of [
    ['auth', PIN, '123'],
    ['auth', PIN, '12345'],
    ['auth', PIN, '12a4'],
    ['auth', '12', '5678'],
    ['sign', SIGN_PASSWORD, 'abc123'],
    ['sign', SIGN_PASSWORD, 'ABCDEFG'],
    ['sign', SIGN_PASSWORD, '1234567'],
    ['sign', SIGN_PASSWORD, 'AB1'],
    ['sign', SIGN_PASSWORD, 'A1B2C3D4E5F6G7H8I'],
    ['text', PIN, '１２３４'],
    ['juki', PIN, ''],
  ] as const) {
    await assert.rejects(changePin(session, kind, old, neu), (e) => {
      assert.equal(code(e), 'PIN_FORMAT', `${kind} ${neu}`);
      assert.match((e as AccessError).text.ja, /で入力してください/);
      return true;
    });
  }
  assert.equal(session.apduCount, 0, 'nothing sent');
  assert.equal(card.generation, gen);
});

test('checkPinFormat: 4 digits; the sign password 6–16 of A-Z and 0-9 with both', () => {
  checkPinFormat('auth', '0000');
  checkPinFormat('sign', 'A12345');
  checkPinFormat('sign', 'ABCDEFGHIJKLMNO1');
  assert.throws(
    () => checkPinFormat('sign', 'ABCDEFGHIJKLMNOP'),
    (e) => code(e) === 'PIN_FORMAT',
  );
  assert.throws(
    () => checkPinFormat('text', '0000 '),
    (e) => code(e) === 'PIN_FORMAT',
  );
});
