/**
 * What a machine client may do. A client is registered with the scopes it needs
 * and nothing more; its access tokens carry at most those (least privilege).
 */
export const SCOPES = {
  /** 地方認証PF: certificate validation by OCSP or CRL. */
  validate: { en: 'validate certificates', ja: '電子証明書の有効性確認' },
  /** 電子利用者証明: challenges and their verification (gives the PPID). */
  proof: { en: 'electronic user proof', ja: '電子利用者証明' },
  /** MKPF 類型②: the PPID of a registered holder from a certificate the service read. */
  ppid: { en: 'PPID of a certificate', ja: '電子証明書に対応するPPID' },
  /** かざし利用: registration (with a PIN proof) and identification by a touch at declared sites. */
  touch: { en: 'touch-only identification (かざし利用)', ja: 'かざし利用' },
  /** The signature API: sign transactions the holder approves with the 署名用 password. */
  sign: { en: 'signature transactions', ja: '電子署名トランザクション' },
} as const;

export type Scope = keyof typeof SCOPES;

export function isScope(s: string): s is Scope {
  return Object.hasOwn(SCOPES, s);
}
