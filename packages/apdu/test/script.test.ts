import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApduError,
  GO_ON_OK,
  fromHex,
  runScript,
  scriptProgress,
  swMatches,
  swPattern,
  type Script,
} from '../src/index.ts';

test('status word patterns: four hex digits or X, checked when made', () => {
  assert.ok(swMatches(0x9000, swPattern('9000')));
  assert.ok(swMatches(0x63c2, swPattern('63cx')));
  assert.ok(!swMatches(0x6983, swPattern('63CX')));
  assert.ok(swMatches(0x6a82, swPattern('XXXX')));
  for (const bad of ['900', '90000', '9G00', '', '90 0']) {
    assert.throws(() => swPattern(bad), ApduError, bad);
  }
});

const script: Script = [
  { apdu: fromHex('00A4040C01AA'), goOn: GO_ON_OK },
  { apdu: fromHex('0020008A'), goOn: [swPattern('9000'), swPattern('63CX')] },
  { apdu: fromHex('00B0810010'), goOn: GO_ON_OK },
];

test('runScript sends in order and stops at the first status that ends the script', async () => {
  const answers: Record<string, string> = {
    '00A4040C01AA': '9000',
    '0020008A': '63C3',
    '00B0810010': '01029000',
  };
  const sent: string[] = [];
  const t = (a: Uint8Array) => {
    const h = Buffer.from(a).toString('hex').toUpperCase();
    sent.push(h);
    return fromHex(answers[h]!);
  };
  assert.equal((await runScript(t, script)).length, 3);
  answers['0020008A'] = '6983';
  sent.length = 0;
  const r = await runScript(t, script);
  assert.deepEqual(sent, ['00A4040C01AA', '0020008A'], 'nothing after the ending status');
  assert.equal(r.length, 2);
  // A transmit that throws (card pulled) throws through.
  await assert.rejects(
    runScript(() => {
      throw new Error('pulled');
    }, script),
    /pulled/,
  );
});

test('scriptProgress: complete, partial, and answers that cannot be', () => {
  const ok = fromHex('9000');
  assert.equal(scriptProgress(script, [ok, fromHex('63C1'), ok]), 'complete');
  assert.equal(scriptProgress(script, [ok, fromHex('6983')]), 'complete');
  assert.equal(scriptProgress(script, [ok]), 'partial');
  assert.equal(scriptProgress(script, []), 'partial');
  assert.throws(() => scriptProgress(script, [ok, ok, ok, ok]), ApduError);
  assert.throws(() => scriptProgress(script, [fromHex('6A82'), ok]), ApduError);
});
