/**
 * The load / delete saga of one card AP instance, as data. The DB row is written
 * BEFORE each card step (pending, deleting) and settled after it (loaded,
 * deleted, failed); whatever the interruption, the next contact with the card
 * reconciles the two with `reconcile`.
 *
 *   pending ──card has it (our user ID)──▶ loaded ──delete begins──▶ deleting ──card lacks it──▶ deleted
 *      └──card lacks it / refused──▶ failed                          └──card still has it: resend DELETE
 */
export type InstanceState = 'pending' | 'loaded' | 'deleting' | 'deleted' | 'failed';
export const INSTANCE_STATES: readonly InstanceState[] = [
  'pending',
  'loaded',
  'deleting',
  'deleted',
  'failed',
];
/** States that hold the (card, AID) slot: at most one per card and AID. */
export const LIVE_STATES: readonly InstanceState[] = ['pending', 'loaded', 'deleting'];

export type SagaEvent =
  | 'installed' // the card confirmed INSTALL and the read-back matched
  | 'install_refused' // the card refused (full, exists, bad data): nothing written
  | 'delete_started'
  | 'deleted' // the card confirmed DELETE, or no longer has the AID
  | 'abandoned'; // operator gave up a pending load the card never got

const NEXT: Readonly<Record<InstanceState, Partial<Record<SagaEvent, InstanceState>>>> = {
  pending: { installed: 'loaded', install_refused: 'failed', abandoned: 'failed' },
  loaded: { delete_started: 'deleting' },
  deleting: { deleted: 'deleted' },
  deleted: {},
  failed: {},
};

/** The next state, or undefined when the event does not apply. */
export function transition(state: InstanceState, event: SagaEvent): InstanceState | undefined {
  return NEXT[state][event];
}

/** What the card says about the instance's AID. */
export type OnCard =
  | 'present' // the AID is there with our user ID
  | 'absent' // the AID is not there
  | 'foreign'; // the AID is there with another user ID (another instance)

export interface Reconciliation {
  readonly state: InstanceState;
  /** What to do on the card now. */
  readonly action: 'none' | 'resend_delete' | 'report_missing' | 'report_conflict';
}

/** Brings an instance row in line with the card (recovery after an interruption). */
export function reconcile(state: InstanceState, onCard: OnCard): Reconciliation {
  switch (state) {
    case 'pending':
      // Roll forward if the INSTALL landed, else roll back; the user ID is spent either way.
      if (onCard === 'present') return { state: 'loaded', action: 'none' };
      return { state: 'failed', action: onCard === 'foreign' ? 'report_conflict' : 'none' };
    case 'deleting':
      if (onCard === 'present') return { state: 'deleting', action: 'resend_delete' };
      return { state: 'deleted', action: 'none' };
    case 'loaded':
      if (onCard === 'present') return { state: 'loaded', action: 'none' };
      return {
        state: 'loaded',
        action: onCard === 'absent' ? 'report_missing' : 'report_conflict',
      };
    case 'deleted':
    case 'failed':
      return { state, action: 'none' };
  }
}
