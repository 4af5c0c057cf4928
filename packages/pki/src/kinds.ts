/** The two certificate kinds on the card. */
export type CertKind = 'auth' | 'sign'; // 利用者証明用 / 署名用
