/**
 * Shapes of the loader API's answers the console reads (docs/loader.md,
 * /openapi.json). Written here until `@myna-ap/loader/contract` exports them.
 */
import type { Text } from '@myna-ap/text';

export type Role = 'platform' | 'administrator' | 'loading_operator' | 'auditor' | 'read_only';
export type Area = 'local' | 'extended';

export interface Me {
  operatorId: string;
  login: string;
  role: Role;
  providerId: string | null;
  terminals: string[];
  expiresAt: string;
}

export interface Operator {
  id: string;
  login: string;
  displayName: string;
  providerId: string | null;
  role: Role;
  status: string;
  terminals: string[];
  lockedUntil: string | null;
}

export interface Terminal {
  id: string;
  providerId: string;
  name: string;
  autoLoad: { cardApId: string; area?: Area }[];
  status: string;
}

export interface Provider {
  id: string;
  name: string;
  kind: string;
  municipalityCode: string | null;
}

export interface CardAp {
  id: string;
  providerId: string;
  name: string;
  type: 'A' | 'C' | 'D' | 'custom';
  areas: Area[];
  status: 'requested' | 'approved' | 'rejected' | 'suspended' | 'retired';
  aid: string | null;
  version: number;
  size: number;
  pendingRequest: unknown;
  requestedAt: string;
}

export interface JobError {
  code: string;
  message: Text;
  detail?: Record<string, unknown>;
}

export interface Job<R = unknown> {
  id: string;
  op: 'load' | 'delete' | 'diagnose' | 'move_in' | 'reset_pin';
  state: 'running' | 'done' | 'failed';
  seq: number;
  command?: string;
  result?: R;
  error?: JobError;
  apdus: number;
}

export interface AreaReport {
  area: Area;
  total: number | null;
  used: number | null;
  free: number | null;
  yours: { aid: string; type: string; size: number; recorded: boolean }[];
  others: number;
  error?: Text;
}

export interface DiagnoseReport {
  readable: boolean;
  cardId: string | null;
  municipalityCode: string | null;
  expiry: string | null;
  status: string | null;
  apps: { name: string; label: Text; present: boolean | null }[];
  pins: { name: string; label: Text; triesLeft: number | null }[];
  areas: AreaReport[];
  missing: { instanceId: string; cardApId: string; aid: string; area: Area }[];
  certificate: { status: string; notAfter?: string; detail?: string };
  findings: { level: 'ok' | 'warning' | 'error'; code: string; text: Text }[];
  advice: Text[];
}

export interface ItemResult {
  cardApId: string;
  name?: string;
  area: Area | null;
  aid: string | null;
  status: 'loaded' | 'deleted' | 'refused';
  userId?: string;
  error?: JobError;
}

export interface CardOutcome {
  cardId: string;
  results: ItemResult[];
}

export interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  detail: Record<string, unknown>;
  hash: string;
}
