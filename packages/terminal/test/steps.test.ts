import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StepMemory, backoffDelay, type StepAnswer } from '../src/index.ts';

test('a step runs once: the same step joins its answer, an older one is a late copy', async () => {
  const m = new StepMemory();
  let runs = 0;
  const run = async (): Promise<StepAnswer> => {
    runs++;
    return { responses: ['9000'] };
  };
  const a = m.answer('jb_1', 1, run);
  const b = m.answer('jb_1', 1, run);
  assert.equal(a, b);
  assert.deepEqual(await a, { responses: ['9000'] });
  assert.equal(runs, 1);
  assert.ok(m.answer('jb_1', 2, run));
  assert.equal(m.answer('jb_1', 1, run), undefined, 'step 1 is behind us');
  assert.ok(m.answer('jb_2', 1, run), 'another job has its own steps');
  assert.equal(runs, 3);
  m.forget('jb_1');
  assert.equal(m.size, 1);
});

test('back-off: the ceiling doubles up to the maximum; jitter below it', () => {
  const b = { initialMs: 100, maxMs: 1000 };
  assert.deepEqual(
    [0, 1, 2, 3, 4, 40].map((n) => backoffDelay(n, b, () => 0.999999)),
    [99, 199, 399, 799, 999, 999],
  );
  assert.equal(
    backoffDelay(3, b, () => 0),
    0,
  );
});
