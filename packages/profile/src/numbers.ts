/**
 * The check digits (検査用数字) of the numbers the card carries. Pure functions.
 */

/**
 * 個人番号の検査用数字 (総務省令第85号 第5条): with P_n the n-th digit counting
 * from the right of the first 11 digits, Q_n = n+1 (n ≤ 6) or n−5 (n ≥ 7);
 * r = Σ P_n·Q_n mod 11; check digit = 0 when r ≤ 1, else 11 − r.
 */
export function myNumberCheckDigit(first11: string): number {
  if (!/^[0-9]{11}$/.test(first11)) throw new RangeError('need 11 digits');
  let sum = 0;
  for (let n = 1; n <= 11; n++) {
    const p = Number(first11[11 - n]);
    const q = n <= 6 ? n + 1 : n - 5;
    sum += p * q;
  }
  const r = sum % 11;
  return r <= 1 ? 0 : 11 - r;
}

export function isValidMyNumber(s: string): boolean {
  return /^[0-9]{12}$/.test(s) && myNumberCheckDigit(s.slice(0, 11)) === Number(s[11]);
}

/**
 * 全国地方公共団体コードの検査数字: weights 6,5,4,3,2 on the 5-digit code,
 * r = Σ mod 11, check digit = (11 − r) mod 10 (13101 千代田区 → 131016).
 */
export function municipalityCheckDigit(first5: string): number {
  if (!/^[0-9]{5}$/.test(first5)) throw new RangeError('need 5 digits');
  const weights = [6, 5, 4, 3, 2];
  let sum = 0;
  for (let i = 0; i < 5; i++) sum += Number(first5[i]) * weights[i]!;
  return (11 - (sum % 11)) % 10;
}

export function isValidMunicipalityCode(s: string): boolean {
  return /^[0-9]{6}$/.test(s) && municipalityCheckDigit(s.slice(0, 5)) === Number(s[5]);
}
