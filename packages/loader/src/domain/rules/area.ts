/**
 * Area eligibility (領域の利用対象者, seeds/002 II-3 (1)):
 * 地域住民向け領域 only for the municipality where the holder is registered;
 * 拡張利用領域 for every kind of provider.
 */
import type { AreaName } from '@myna-ap/apdu';
import { LoaderError, type LoaderErrorCode } from '../../errors.ts';
import type { Provider } from '../provider.ts';

export const AREA_JA: Readonly<Record<AreaName, string>> = {
  local: '地域住民向け領域',
  extended: '拡張利用領域',
};

export type AreaDecision =
  { readonly ok: true } | { readonly ok: false; readonly error: LoaderError };

/**
 * `holderMunicipality`: 全国地方公共団体コード where the holder is registered
 * (from the card's address or the resident system); null when unknown.
 */
export function areaEligibility(
  provider: Pick<Provider, 'kind' | 'municipalityCode' | 'status' | 'canLoad'>,
  area: AreaName,
  holderMunicipality: string | null,
): AreaDecision {
  const no = (code: LoaderErrorCode, en: string, ja: string): AreaDecision => ({
    ok: false,
    error: new LoaderError(code, { en, ja }, 403),
  });
  if (provider.status !== 'active') {
    return no(
      'PROVIDER_NOT_ACTIVE',
      'the provider is not active',
      'サービス提供者が有効ではありません',
    );
  }
  if (!provider.canLoad) {
    return no(
      'PROVIDER_CANNOT_LOAD',
      'a partner store only uses card APs; its representative loads them',
      '提携店はカードAPを利用するのみで、搭載・削除は代表が行います',
    );
  }
  if (area === 'extended') return { ok: true };
  if (provider.kind !== 'municipality') {
    return no(
      'AREA_LOCAL_MUNICIPALITY_ONLY',
      '地域住民向け領域 (the local residents area) is only for municipalities',
      '地域住民向け領域は市区町村のみが利用できます',
    );
  }
  if (holderMunicipality === null) {
    return no(
      'HOLDER_MUNICIPALITY_UNKNOWN',
      'where the holder is registered is unknown; read it from the card or the resident system',
      '住民票のある市区町村が不明です。カードまたは住民記録システムから取得してください',
    );
  }
  if (holderMunicipality !== provider.municipalityCode) {
    return no(
      'AREA_LOCAL_NOT_RESIDENT',
      `the holder is registered in ${holderMunicipality}, not in this municipality (${provider.municipalityCode})`,
      `住民票が当市区町村（${provider.municipalityCode}）ではなく ${holderMunicipality} にあるため、地域住民向け領域は利用できません`,
    );
  }
  return { ok: true };
}
