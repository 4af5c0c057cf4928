/**
 * Compile-time checks that the domain's own types and the API contract agree:
 * what each card operation returns is what the contract says a job's result is,
 * and the domain's enums are the contract's. Nothing here runs; `tsc` fails when
 * one side changes without the other.
 */
import type { Answer } from './route.ts';
import type { JobResults } from '../contract/results.ts';
import type * as S from '../contract/schemas.ts';
import type { LoadOutcome } from '../cardops/load.ts';
import type { DeleteOutcome } from '../cardops/delete.ts';
import type { DiagnoseReport } from '../cardops/diagnose.ts';
import type { MoveInOutcome } from '../cardops/moveIn.ts';
import type { ResetPinOutcome } from '../cardops/resetPin.ts';
import type { CarryOverOutcome } from '../cardops/carryOver.ts';
import type { JobOp } from '../cardops/jobs.ts';
import type { ProviderKind } from '../domain/provider.ts';
import type { Role } from '../domain/roles.ts';
import type { CardStatus, StatusSource } from '../domain/cardStatus.ts';
import type { CardApStatus } from '../domain/cardAp.ts';
import type { InstanceState } from '../domain/saga.ts';
import type { AreaName, CardApType } from '@myna-ap/apdu';

type Assignable<A, B> = [A] extends [B] ? true : false;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const yes = <T extends true>(): T => true as T;

export const CHECKS = [
  yes<Assignable<LoadOutcome, Answer<JobResults['load']>>>(),
  yes<Assignable<DeleteOutcome, Answer<JobResults['delete']>>>(),
  yes<Assignable<DiagnoseReport, Answer<JobResults['diagnose']>>>(),
  yes<Assignable<MoveInOutcome, Answer<JobResults['move_in']>>>(),
  yes<Assignable<ResetPinOutcome, Answer<JobResults['reset_pin']>>>(),
  yes<Assignable<CarryOverOutcome, Answer<JobResults['carry_over']>>>(),
  yes<Same<JobOp, S.JobOp>>(),
  yes<Same<ProviderKind, S.ProviderKind>>(),
  yes<Same<Role, S.Role>>(),
  yes<Same<CardStatus, S.CardStatus>>(),
  yes<Same<StatusSource, S.StatusSource>>(),
  yes<Same<CardApStatus, S.CardApStatus>>(),
  yes<Same<InstanceState, S.InstanceState>>(),
  yes<Same<AreaName, S.AreaName>>(),
  yes<Same<CardApType, S.CardApType>>(),
] as const;
