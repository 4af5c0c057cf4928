/**
 * Service providers (サービス提供者) and the rules about them: kind, legal basis,
 * usage pattern (seeds/002 VIII), and the AID range each one is given.
 */
import { concat, MYNA_RID } from '@myna-ap/apdu';
import type { Aid } from '@myna-ap/apdu';
import { isValidMunicipalityCode } from '@myna-ap/profile';
import { LoaderError, type LoaderErrorCode } from '../errors.ts';
import type { ProviderId } from './ids.ts';

/** 国 / 都道府県 / 市区町村 / 行政機関 / 民間事業者. */
export type ProviderKind = 'national' | 'prefecture' | 'municipality' | 'agency' | 'private';
export const PROVIDER_KINDS: readonly ProviderKind[] = [
  'national',
  'prefecture',
  'municipality',
  'agency',
  'private',
];
export const PROVIDER_KIND_JA: Readonly<Record<ProviderKind, string>> = {
  national: '国',
  prefecture: '都道府県',
  municipality: '市区町村',
  agency: '行政機関',
  private: '民間事業者',
};

/** 条例 (prefectures, municipalities) / 告示 (national, agencies) / 法基準適合性確認 (private). */
export type LegalBasisKind = 'ordinance' | 'notice' | 'conformity';
export interface LegalBasis {
  readonly kind: LegalBasisKind;
  /** 条例名・告示番号・確認番号. */
  readonly reference: string;
  /** YYYY-MM-DD: enacted, published or confirmed. */
  readonly date: string;
}

export interface Contact {
  readonly name: string;
  readonly email?: string | undefined;
  readonly phone?: string | undefined;
}

export type ProviderStatus = 'active' | 'suspended' | 'retired';

export interface Provider {
  readonly id: ProviderId;
  readonly name: string;
  readonly kind: ProviderKind;
  readonly municipalityCode: string | null;
  readonly prefectureCode: string | null;
  readonly legalBasis: LegalBasis;
  readonly contact: Contact;
  readonly status: ProviderStatus;
  /** 代表: set for a partner store (提携店) that only uses its representative's card APs. */
  readonly representativeId: ProviderId | null;
  readonly canLoad: boolean;
  readonly aidPrefix: Uint8Array;
  readonly aidNext: number;
}

/** The legal basis each kind needs (番号法第十八条; seeds/002 IV-1 (5)). */
export function requiredLegalBasis(kind: ProviderKind): LegalBasisKind {
  switch (kind) {
    case 'prefecture':
    case 'municipality':
      return 'ordinance';
    case 'national':
    case 'agency':
      return 'notice';
    case 'private':
      return 'conformity';
  }
}

const LEGAL_JA: Readonly<Record<LegalBasisKind, string>> = {
  ordinance: '条例',
  notice: '告示',
  conformity: '法基準適合性確認',
};

export interface NewProvider {
  readonly id: ProviderId;
  readonly name: string;
  readonly kind: ProviderKind;
  readonly municipalityCode?: string | undefined;
  readonly prefectureCode?: string | undefined;
  readonly legalBasis: LegalBasis;
  readonly contact: Contact;
  readonly representativeId?: ProviderId | undefined;
}

/** Checks a new provider's fields against each other; throws the first problem. */
export function checkNewProvider(p: NewProvider, representative?: Provider): void {
  const bad = (code: LoaderErrorCode, en: string, ja: string) => new LoaderError(code, { en, ja });
  if (p.kind === 'municipality') {
    if (!p.municipalityCode || !isValidMunicipalityCode(p.municipalityCode)) {
      throw bad(
        'MUNICIPALITY_CODE_INVALID',
        'a municipality needs its 6-digit local government code with a valid check digit',
        '市区町村には検査数字の正しい6桁の全国地方公共団体コードが必要です',
      );
    }
  } else if (p.municipalityCode !== undefined) {
    throw bad(
      'MUNICIPALITY_CODE_UNEXPECTED',
      'only a municipality has a municipality code',
      '市区町村以外に市区町村コードは指定できません',
    );
  }
  if (p.kind === 'prefecture') {
    const n = Number(p.prefectureCode);
    if (!p.prefectureCode || !/^[0-9]{2}$/.test(p.prefectureCode) || n < 1 || n > 47) {
      throw bad(
        'PREFECTURE_CODE_INVALID',
        'a prefecture needs its 2-digit code 01..47',
        '都道府県には2桁の都道府県コード（01〜47）が必要です',
      );
    }
  }
  const need = requiredLegalBasis(p.kind);
  if (p.legalBasis.kind !== need) {
    throw bad(
      'LEGAL_BASIS_MISMATCH',
      `a ${p.kind} provider needs a legal basis of kind "${need}"`,
      `${PROVIDER_KIND_JA[p.kind]}の根拠は${LEGAL_JA[need]}です`,
    );
  }
  if (p.representativeId !== undefined) {
    if (!representative) {
      throw bad(
        'REPRESENTATIVE_NOT_FOUND',
        `representative ${p.representativeId} does not exist`,
        `代表のサービス提供者 ${p.representativeId} が存在しません`,
      );
    }
    if (!representative.canLoad || representative.representativeId !== null) {
      throw bad(
        'REPRESENTATIVE_INVALID',
        'a representative must itself load card APs (not be a partner store)',
        '代表はカードAPを搭載するサービス提供者でなければなりません（提携店は代表になれません）',
      );
    }
  }
}

/** Number of card AP AIDs in one provider's range. */
export const AIDS_PER_PROVIDER = 256;

/** A provider's AID prefix: MYNA RID ‖ "P" ‖ provider number (2 bytes). */
export function aidPrefixFor(providerNumber: number): Uint8Array {
  if (!Number.isInteger(providerNumber) || providerNumber < 1 || providerNumber > 0xffff) {
    throw new RangeError(`provider number ${providerNumber} is outside 1..65535`);
  }
  return concat(MYNA_RID, Uint8Array.of(0x50, providerNumber >> 8, providerNumber & 0xff));
}

/** The AID of serial `n` in a provider's range, or an error when the range is used up. */
export function aidInRange(prefix: Uint8Array, n: number): Aid {
  if (!Number.isInteger(n) || n < 0 || n >= AIDS_PER_PROVIDER) {
    throw new LoaderError(
      'AID_RANGE_EXHAUSTED',
      {
        en: `the provider's AID range is used up (${AIDS_PER_PROVIDER} card APs)`,
        ja: `サービス提供者のAID範囲を使い切りました（${AIDS_PER_PROVIDER}個）`,
      },
      409,
    );
  }
  return concat(prefix, Uint8Array.of(n)) as Aid;
}

/** Whether `aid` lies in the provider's range. */
export function aidBelongsTo(aid: Uint8Array, prefix: Uint8Array): boolean {
  return aid.length === prefix.length + 1 && prefix.every((b, i) => aid[i] === b);
}
