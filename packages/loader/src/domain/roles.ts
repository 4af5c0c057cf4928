/**
 * Roles and least privilege (オペレーター認証・権限管理, seeds/002 III-1 (1)).
 * `can` is the only place that decides; routes ask it before touching anything.
 */
import type { ProviderId, TerminalId } from './ids.ts';

/**
 * platform: the platform operator (機構) — registers providers, approves card APs.
 * administrator: a provider's terminal administrator (端末機の管理者).
 * loading_operator: 搭載オペレーター — loads and deletes at its terminals.
 * auditor: reads the audit log of its provider. read_only: reads its provider.
 */
export type Role = 'platform' | 'administrator' | 'loading_operator' | 'auditor' | 'read_only';
export const ROLES: readonly Role[] = [
  'platform',
  'administrator',
  'loading_operator',
  'auditor',
  'read_only',
];

export type Action =
  | 'provider.create'
  | 'provider.read'
  | 'provider.update'
  | 'operator.create'
  | 'operator.read'
  | 'terminal.create'
  | 'terminal.read'
  | 'cardap.request'
  | 'cardap.read'
  | 'cardap.approve'
  | 'cardap.suspend'
  | 'cardap.retire'
  | 'card.load'
  | 'card.delete'
  | 'card.diagnose'
  | 'card.move_in'
  | 'cardap.keys'
  | 'card.status'
  /** Record a holder's PIN reset (暗証番号の再設定) at a municipality's counter. */
  | 'card.pin_reset'
  /** Record a 記載事項変更 (name or address rewritten on the card) at a municipality's counter. */
  | 'card.info_change'
  /** Carry the card APs of a renewed or reissued card's predecessor over (引継ぎ), at a municipality's counter. */
  | 'card.carry_over'
  | 'feed.read'
  | 'consent.record'
  | 'hours.override'
  | 'audit.read'
  | 'audit.verify'
  /** Create, list and revoke the provider's API clients (machine credentials of its business systems). */
  | 'client.manage';

export interface Actor {
  readonly role: Role;
  readonly providerId: ProviderId | null;
  /** Terminals the operator is bound to. */
  readonly terminals: readonly TerminalId[];
}

/** What the action is about: the provider that owns it and, for card work, the terminal. */
export interface Resource {
  readonly providerId?: ProviderId | null;
  readonly terminalId?: TerminalId;
  /** For operator.create: the role being given. */
  readonly role?: Role;
}

const PROVIDER_ROLES: Readonly<Record<Exclude<Role, 'platform'>, ReadonlySet<Action>>> = {
  administrator: new Set<Action>([
    'provider.read',
    'provider.update',
    'operator.create',
    'operator.read',
    'terminal.create',
    'terminal.read',
    'cardap.request',
    'cardap.read',
    'cardap.suspend',
    'card.load',
    'card.delete',
    'card.diagnose',
    'card.move_in',
    'card.pin_reset',
    'card.info_change',
    'card.carry_over',
    'cardap.keys',
    'feed.read',
    'consent.record',
    'hours.override',
    'audit.read',
    'client.manage',
  ]),
  loading_operator: new Set<Action>([
    'provider.read',
    'terminal.read',
    'cardap.read',
    'card.load',
    'card.delete',
    'card.diagnose',
    'card.move_in',
    'card.pin_reset',
    'card.info_change',
    'card.carry_over',
    'consent.record',
  ]),
  auditor: new Set<Action>([
    'provider.read',
    'operator.read',
    'terminal.read',
    'cardap.read',
    'feed.read',
    'audit.read',
    'audit.verify',
  ]),
  read_only: new Set<Action>(['provider.read', 'terminal.read', 'cardap.read']),
};

const PLATFORM: ReadonlySet<Action> = new Set<Action>([
  'provider.create',
  'provider.read',
  'provider.update',
  'operator.create',
  'operator.read',
  'terminal.create',
  'terminal.read',
  'cardap.read',
  'cardap.approve',
  'cardap.suspend',
  'cardap.retire',
  'card.status',
  'feed.read',
  'audit.read',
  'audit.verify',
  'client.manage',
]);

/** Card work happens at a terminal: these need one the operator is bound to. */
const AT_TERMINAL: ReadonlySet<Action> = new Set<Action>([
  'card.load',
  'card.delete',
  'card.diagnose',
  'card.move_in',
  'card.pin_reset',
  'card.info_change',
  'card.carry_over',
]);

export function can(actor: Actor, action: Action, resource: Resource = {}): boolean {
  if (actor.role === 'platform') {
    // The platform never loads cards and never makes another platform operator
    // through the API's provider-scoped path (it may make platform operators).
    return PLATFORM.has(action);
  }
  if (actor.providerId === null) return false;
  if (!PROVIDER_ROLES[actor.role].has(action)) return false;
  // Everything a provider's operator does is inside its own provider.
  if (resource.providerId !== undefined && resource.providerId !== actor.providerId) return false;
  if (action === 'operator.create' && (resource.role === undefined || resource.role === 'platform'))
    return false;
  if (AT_TERMINAL.has(action)) {
    if (resource.terminalId === undefined) return false;
    if (!actor.terminals.includes(resource.terminalId)) return false;
  }
  return true;
}
