/**
 * The loader API's answers as the console reads them, named for its screens. Every
 * shape comes from the server's own contract (`@myna-ap/loader/contract`, the zod
 * schemas the server checks its answers against): types only, nothing of the
 * loader is bundled.
 */
import type {
  AreaName,
  AuditRowView,
  BatchView,
  CardApView,
  DeleteResult,
  DiagnoseResult,
  Job as ContractJob,
  JobResults,
  LoadResult,
  MoveInResult,
  Operator as OperatorView,
  ProviderView,
  Role as ContractRole,
  ServiceHoursBody,
  ServiceHoursNowView,
  SessionView,
  TerminalView,
} from '@myna-ap/loader/contract';

export type {
  AuthenticatorView,
  ConsoleLoginResult,
  ConsoleSession,
  EnrolmentView,
} from '@myna-ap/loader/contract';

export type Role = ContractRole;
export type Area = AreaName;
/** The logged-in operator (`GET /v1/me`). */
export type Me = SessionView;
export type Operator = OperatorView;
export type Terminal = TerminalView;
export type Provider = ProviderView;
export type CardAp = CardApView;
export type Job = ContractJob;
export type JobError = NonNullable<ContractJob['error']>;
export type DiagnoseReport = DiagnoseResult;
/** One free area (空き領域) of the card as diagnose reports it. */
export type AreaReport = DiagnoseResult['areas'][number];
/** One card AP's line in a load's or a delete's result. */
export type ItemResult = LoadResult['results'][number] | DeleteResult['results'][number];
export type CardOutcome = LoadResult | DeleteResult;
export type AuditRow = AuditRowView;
export type Batch = BatchView;
export type MoveInReport = MoveInResult;
export type PinResetReport = JobResults['reset_pin'];
export type { TerminalAgentView, WebauthnPolicyView } from '@myna-ap/loader/contract';
export type { NoticeView, StatusEventView } from '@myna-ap/loader/contract';
export type ServiceHours = ServiceHoursBody;
export type ServiceHoursNow = ServiceHoursNowView;
