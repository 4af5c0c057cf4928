/**
 * Card AP registry (カードAP管理, seeds/002 III-1 (2), IV-1 (7)): what a provider
 * asks for, and what approval fixes — the AID, the size and the access conditions.
 */
import { CARD_AP_MAX_SIZE, USER_ID_LENGTH, type AreaName, type CardApType } from '@myna-ap/apdu';
import { CARD_AP_PIN } from '@myna-ap/profile';
import {
  cardApRequestSchema,
  customEfSchema,
  type CardApRequest,
  type CustomEf,
} from '../contract/schemas.ts';
import { LoaderError, type LoaderErrorCode } from '../errors.ts';
import { dataRoom } from './installSpec.ts';

export type { CardApType };
export type CardApStatus = 'requested' | 'approved' | 'rejected' | 'suspended' | 'retired';

// The request's schema is the API contract's (one place for both).
export { cardApRequestSchema, customEfSchema, type CardApRequest, type CustomEf };

/** Ready-made input files (インプットファイルの雛形) for custom card APs. */
export const CUSTOM_TEMPLATES: Readonly<Record<string, readonly CustomEf[]>> = {
  // One protected binary EF: the user ID then the provider's data.
  'single-protected': [{ fid: 0x0001, size: 512, access: 'protected' }],
  // A free EF anyone may read (user ID) and an encrypted EF for personal data.
  'free-and-encrypted': [
    { fid: 0x0001, size: 64, access: 'free' },
    { fid: 0x0002, size: 1024, access: 'encrypted' },
  ],
};

/** Access conditions fixed at approval (what reading each part needs). */
export interface AccessConditions {
  /** Reading the user ID and data. */
  readonly read: 'free' | 'auth_pin' | 'auth_pin_encrypted' | 'per_ef';
  /** Writing after load: always through the provider's authenticated session. */
  readonly write: 'auth';
  readonly pin: { readonly fixed: boolean; readonly tries: number } | null;
  readonly efs: readonly CustomEf[] | null;
}

function bad(code: LoaderErrorCode, en: string, ja: string): LoaderError {
  return new LoaderError(code, { en, ja });
}

/** The EF layout of a custom request: its input file or the named template. */
export function customLayout(req: CardApRequest): readonly CustomEf[] {
  if (req.inputFile && req.template !== undefined) {
    throw bad(
      'CARDAP_CUSTOM_AMBIGUOUS',
      'give an input file or a template, not both',
      'インプットファイルと雛形はどちらか一方を指定してください',
    );
  }
  if (req.inputFile) return req.inputFile.efs;
  if (req.template !== undefined) {
    const t = CUSTOM_TEMPLATES[req.template];
    if (!t) {
      throw bad(
        'CARDAP_TEMPLATE_UNKNOWN',
        `no template "${req.template}"; known: ${Object.keys(CUSTOM_TEMPLATES).join(', ')}`,
        `雛形「${req.template}」はありません（${Object.keys(CUSTOM_TEMPLATES).join('、')}）`,
      );
    }
    return t;
  }
  throw bad(
    'CARDAP_CUSTOM_NEEDS_INPUT',
    'a custom card AP needs an input file or a template',
    '独自カードAPにはインプットファイルまたは雛形が必要です',
  );
}

/** Checks a request's fields against its type; returns the access conditions it implies. */
export function checkRequest(req: CardApRequest): AccessConditions {
  const max = CARD_AP_MAX_SIZE[req.type];
  if (req.size > max) {
    throw bad(
      'CARDAP_TOO_LARGE',
      `a type ${req.type} card AP holds at most ${max} bytes, ${req.size} requested`,
      `タイプ${req.type}のカードAPは最大 ${max} バイトです（要求 ${req.size} バイト）`,
    );
  }
  const dataLen = (req.initialData?.length ?? 0) / 2;
  if (dataLen > dataRoom(req.type, req.size)) {
    throw bad(
      'CARDAP_DATA_TOO_LARGE',
      `the initial data (${dataLen} bytes) and the 13-byte user ID exceed the size ${req.size}`,
      `初期データ（${dataLen} バイト）と利用者ID（13 バイト）がサイズ ${req.size} を超えます`,
    );
  }
  const needsPin = req.type === 'A' || req.type === 'D';
  if (!needsPin && req.pin) {
    throw bad(
      'CARDAP_PIN_UNEXPECTED',
      `a type ${req.type} card AP has no PIN`,
      `タイプ${req.type}のカードAPにPINはありません`,
    );
  }
  if (req.type !== 'custom' && (req.inputFile || req.template !== undefined)) {
    throw bad(
      'CARDAP_INPUT_UNEXPECTED',
      'input files and templates are for custom card APs only',
      'インプットファイル・雛形は独自カードAPのみ指定できます',
    );
  }
  const pin = needsPin ? (req.pin ?? { fixed: false, tries: CARD_AP_PIN.defaultTries }) : null;
  switch (req.type) {
    case 'A':
      return { read: 'auth_pin', write: 'auth', pin, efs: null };
    case 'C':
      return { read: 'free', write: 'auth', pin: null, efs: null };
    case 'D':
      return { read: 'auth_pin_encrypted', write: 'auth', pin, efs: null };
    case 'custom': {
      const efs = customLayout(req);
      const fids = new Set(efs.map((e) => e.fid));
      if (fids.size !== efs.length) {
        throw bad('CARDAP_EF_DUPLICATE', 'two EFs share a FID', 'EFのFIDが重複しています');
      }
      const total = efs.reduce((n, e) => n + e.size, 0);
      if (total > req.size) {
        throw bad(
          'CARDAP_EFS_TOO_LARGE',
          `the EFs take ${total} bytes, more than the size ${req.size}`,
          `EFの合計 ${total} バイトがサイズ ${req.size} を超えます`,
        );
      }
      if ((efs[0]?.size ?? 0) < USER_ID_LENGTH) {
        throw bad(
          'CARDAP_FIRST_EF_TOO_SMALL',
          'the first EF must hold the 13-byte user ID',
          '最初のEFは利用者ID（13 バイト）を格納できる大きさが必要です',
        );
      }
      const protectedEf = efs.some((e) => e.access !== 'free');
      return {
        read: 'per_ef',
        write: 'auth',
        pin: protectedEf ? (req.pin ?? { fixed: false, tries: CARD_AP_PIN.defaultTries }) : null,
        efs,
      };
    }
  }
}

/** Which status changes the registry allows. */
const TRANSITIONS: Readonly<Record<CardApStatus, readonly CardApStatus[]>> = {
  requested: ['approved', 'rejected'],
  approved: ['suspended', 'retired'],
  suspended: ['approved', 'retired'],
  rejected: [],
  retired: [],
};

export function checkTransition(from: CardApStatus, to: CardApStatus): void {
  if (TRANSITIONS[from].includes(to)) return;
  throw new LoaderError(
    'CARDAP_BAD_TRANSITION',
    {
      en: `a card AP that is ${from} cannot become ${to}`,
      ja: `状態「${from}」のカードAPを「${to}」にはできません`,
    },
    409,
  );
}

/** Loading needs an approved card AP that may go into the area. */
export function checkLoadable(
  status: CardApStatus,
  areas: readonly AreaName[],
  area: AreaName,
): void {
  if (status !== 'approved') {
    throw new LoaderError(
      'CARDAP_NOT_LOADABLE',
      {
        en: `the card AP is ${status}, not approved`,
        ja: `カードAPが承認済みではありません（${status}）`,
      },
      409,
    );
  }
  if (!areas.includes(area)) {
    throw new LoaderError(
      'CARDAP_WRONG_AREA',
      {
        en: `the card AP is not registered for the ${area} area`,
        ja: 'このカードAPはその領域に登録されていません',
      },
      409,
    );
  }
}
