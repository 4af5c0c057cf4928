/**
 * The load / delete saga as a whole table: every state under every event, every
 * state against every answer of the card. A wrong cell would leave a card AP loaded
 * that the store calls deleted, or spend a slot that is free.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  INSTANCE_STATES,
  LIVE_STATES,
  reconcile,
  transition,
  type InstanceState,
  type OnCard,
  type SagaEvent,
} from '../src/domain/saga.ts';

const EVENTS: readonly SagaEvent[] = [
  'installed',
  'install_refused',
  'delete_started',
  'deleted',
  'abandoned',
];

test('saga: the only transitions are those of the diagram', () => {
  const allowed: Record<string, InstanceState> = {
    'pending/installed': 'loaded',
    'pending/install_refused': 'failed',
    'pending/abandoned': 'failed',
    'loaded/delete_started': 'deleting',
    'deleting/deleted': 'deleted',
  };
  assert.deepEqual([...INSTANCE_STATES], ['pending', 'loaded', 'deleting', 'deleted', 'failed']);
  for (const s of INSTANCE_STATES) {
    for (const e of EVENTS) {
      assert.equal(transition(s, e), allowed[`${s}/${e}`], `${s} --${e}-->`);
    }
  }
});

test('saga: the live states (holding the card and AID slot) are those not yet settled for good', () => {
  assert.deepEqual([...LIVE_STATES], ['pending', 'loaded', 'deleting']);
  // A live state still moves; deleted and failed are final.
  for (const s of INSTANCE_STATES) {
    const moves = EVENTS.some((e) => transition(s, e) !== undefined);
    assert.equal(LIVE_STATES.includes(s), moves, s);
  }
});

test('saga: reconciliation of every state with every answer of the card', () => {
  const expected: Record<InstanceState, Record<OnCard, [InstanceState, string]>> = {
    // The INSTALL landed (roll forward) or not (roll back); another user ID is a conflict.
    pending: {
      present: ['loaded', 'none'],
      absent: ['failed', 'none'],
      foreign: ['failed', 'report_conflict'],
    },
    // The card is the truth about presence, never about whose it is.
    loaded: {
      present: ['loaded', 'none'],
      absent: ['loaded', 'report_missing'],
      foreign: ['loaded', 'report_conflict'],
    },
    // Still there: DELETE again; gone (or someone else's now): ours is deleted.
    deleting: {
      present: ['deleting', 'resend_delete'],
      absent: ['deleted', 'none'],
      foreign: ['deleted', 'none'],
    },
    deleted: {
      present: ['deleted', 'none'],
      absent: ['deleted', 'none'],
      foreign: ['deleted', 'none'],
    },
    failed: {
      present: ['failed', 'none'],
      absent: ['failed', 'none'],
      foreign: ['failed', 'none'],
    },
  };
  for (const s of INSTANCE_STATES) {
    for (const c of ['present', 'absent', 'foreign'] as const) {
      const [state, action] = expected[s][c];
      assert.deepEqual(reconcile(s, c), { state, action }, `${s} with the card ${c}`);
    }
  }
});
