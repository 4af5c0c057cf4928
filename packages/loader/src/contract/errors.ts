/**
 * Every failure code of the loading system, in one catalogue: what the code means
 * (English and Japanese) and the HTTP status the API answers with. An error
 * instance carries a more specific text (the AID, the bytes left, …); the
 * catalogue's text is the general meaning, listed in docs/errors.md.
 *
 * Codes without a status never reach HTTP (start-up, database, key files).
 */
import { defineCatalogue, type CodeOf } from '@myna-ap/text';

export const LOADER_ERRORS = defineCatalogue({
  // --- the request itself (framework and input checks) ---
  VALIDATION: {
    status: 400,
    en: 'an input does not match the API schema',
    ja: '入力が正しくありません',
  },
  BAD_JSON: {
    status: 400,
    en: 'the body is not valid JSON (or is empty)',
    ja: '本文がJSONとして正しくありません',
  },
  BODY_TOO_LARGE: { status: 413, en: 'the body is too large', ja: '本文が大きすぎます' },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    en: 'send the body as application/json',
    ja: '本文は application/json で送ってください',
  },
  BAD_CONTENT_LENGTH: {
    status: 400,
    en: 'the Content-Length does not match the body',
    ja: 'Content-Length が本文と一致しません',
  },
  PATH_TOO_LONG: { status: 414, en: 'a path segment is too long', ja: 'URLのパスが長すぎます' },
  BAD_URL: { status: 400, en: 'the URL is malformed', ja: 'URLが正しくありません' },
  BAD_REQUEST: {
    status: 400,
    en: 'the request is malformed',
    ja: 'リクエストの形式が正しくありません',
  },
  NUL_IN_INPUT: {
    status: 400,
    en: 'text may not contain the NUL character (U+0000)',
    ja: '文字列にNUL文字（U+0000）は使用できません',
  },
  INVALID_VALUE: {
    status: 400,
    en: 'a value was refused by the database',
    ja: '値がデータベースで受け付けられませんでした',
  },
  BAD_DATE: {
    status: 400,
    en: 'not a calendar date (YYYY-MM-DD)',
    ja: '日付（YYYY-MM-DD）が正しくありません',
  },
  ROUTE_NOT_FOUND: { status: 404, en: 'no such URL', ja: 'そのURLはありません' },
  NOT_FOUND: {
    status: 404,
    en: 'the named thing does not exist or is out of your scope',
    ja: '指定されたものが見つかりません',
  },
  INTERNAL: {
    status: 500,
    en: 'internal error; see the server log',
    ja: '内部エラーが発生しました。サーバのログを確認してください',
  },

  // --- operators, sessions, roles ---
  UNAUTHENTICATED: {
    status: 401,
    en: 'log in first (missing, expired or revoked token)',
    ja: 'ログインしてください（トークンがない、期限切れ、または失効）',
  },
  LOGIN_FAILED: {
    status: 401,
    en: 'wrong login or password',
    ja: 'ログイン名またはパスワードが違います',
  },
  ACCOUNT_LOCKED: {
    status: 423,
    en: 'the account is locked or disabled',
    ja: 'アカウントがロックまたは無効化されています',
  },
  FORBIDDEN: {
    status: 403,
    en: 'your role does not allow this here',
    ja: 'この操作を行う権限がありません',
  },
  PASSWORD_TOO_SHORT: {
    status: 400,
    en: 'the password is too short',
    ja: 'パスワードが短すぎます',
  },
  PASSWORD_WRONG: {
    status: 403,
    en: 'the current password is wrong',
    ja: '現在のパスワードが違います',
  },
  OPERATOR_EXISTS: {
    status: 409,
    en: 'the login name is taken',
    ja: 'そのログイン名は使われています',
  },
  OPERATOR_PROVIDER_MISMATCH: {
    status: 400,
    en: 'platform operators have no provider; every other role belongs to exactly one',
    ja: '機構のオペレーターはサービス提供者に属さず、その他のロールは一つのサービス提供者に属します',
  },
  OPERATOR_SELF: {
    status: 409,
    en: 'you cannot disable or enable your own account',
    ja: '自分のアカウントは無効化・有効化できません',
  },

  TERMINAL_EXISTS: {
    status: 409,
    en: 'the terminal id is taken',
    ja: 'その端末IDは登録済みです',
  },

  // --- service providers (サービス提供者) ---
  PROVIDER_ID_INVALID: {
    status: 400,
    en: 'a provider ID is 1 to 16 of A-Z 0-9 _ -',
    ja: 'サービス提供者IDは A-Z 0-9 _ - の1〜16文字です',
  },
  PROVIDER_EXISTS: {
    status: 409,
    en: 'the provider already exists',
    ja: 'そのサービス提供者は登録済みです',
  },
  PROVIDER_RETIRED: {
    status: 409,
    en: 'a retired provider cannot come back',
    ja: '廃止したサービス提供者は戻せません',
  },
  PROVIDER_NOT_ACTIVE: {
    status: 403,
    en: 'the provider is not active',
    ja: 'サービス提供者が有効ではありません',
  },
  PROVIDER_CANNOT_LOAD: {
    status: 403,
    en: 'a partner store only uses card APs; its representative loads them',
    ja: '提携店はカードAPを利用するのみで、搭載は代表団体が行います',
  },
  PROVIDER_CANNOT_REQUEST: {
    status: 409,
    en: 'only an active provider that loads card APs may request one',
    ja: 'カードAPを登録依頼できるのは、搭載を行う有効なサービス提供者のみです',
  },
  LEGAL_BASIS_MISMATCH: {
    status: 400,
    en: 'the legal basis does not fit the provider kind',
    ja: '根拠の種類がサービス提供者の種別に合いません',
  },
  MUNICIPALITY_CODE_INVALID: {
    status: 400,
    en: 'a municipality needs its 6-digit local government code with a valid check digit',
    ja: '市区町村には検査数字の正しい6桁の地方公共団体コードが必要です',
  },
  MUNICIPALITY_CODE_UNEXPECTED: {
    status: 400,
    en: 'only a municipality has a municipality code',
    ja: '市区町村コードを持つのは市区町村のみです',
  },
  PREFECTURE_CODE_INVALID: {
    status: 400,
    en: 'a prefecture needs its 2-digit code 01..47',
    ja: '都道府県には2桁のコード（01〜47）が必要です',
  },
  REPRESENTATIVE_NOT_FOUND: {
    status: 400,
    en: 'the representative does not exist',
    ja: '代表団体が存在しません',
  },
  REPRESENTATIVE_INVALID: {
    status: 400,
    en: 'a representative must itself load card APs',
    ja: '代表団体は自らカードAPを搭載する団体である必要があります',
  },
  PARTNER_NOT_OF_REPRESENTATIVE: {
    status: 409,
    en: 'the provider is not a partner store of the card AP owner',
    ja: 'そのサービス提供者はカードAP所有者の提携店ではありません',
  },
  AID_RANGE_EXHAUSTED: {
    status: 409,
    en: "the provider's AID range is used up",
    ja: 'サービス提供者のAID範囲を使い切りました',
  },

  // --- card AP registry (カードAP管理) ---
  CARDAP_VERSION_CHANGED: {
    status: 409,
    en: 'a new version of the card AP was approved while the load was being prepared: load again',
    ja: '搭載の準備中にカードAPの新しいバージョンが承認されました。もう一度搭載してください',
  },
  CARDAP_BAD_TRANSITION: {
    status: 409,
    en: 'the card AP cannot go to that status from its current one',
    ja: 'カードAPの現在の状態からその状態には変更できません',
  },
  CARDAP_CUSTOM_AMBIGUOUS: {
    status: 400,
    en: 'give an input file or a template, not both',
    ja: 'インプットファイルと雛形はどちらか一方を指定してください',
  },
  CARDAP_CUSTOM_NEEDS_INPUT: {
    status: 400,
    en: 'a custom card AP needs an input file or a template',
    ja: '独自カードAPにはインプットファイルまたは雛形が必要です',
  },
  CARDAP_INPUT_UNEXPECTED: {
    status: 400,
    en: 'input files and templates are for custom card APs only',
    ja: 'インプットファイルと雛形は独自カードAPのみに指定できます',
  },
  CARDAP_TEMPLATE_UNKNOWN: { status: 400, en: 'no such template', ja: 'その雛形はありません' },
  CARDAP_EF_DUPLICATE: { status: 400, en: 'two EFs share a FID', ja: '同じFIDのEFが二つあります' },
  CARDAP_EFS_TOO_LARGE: {
    status: 400,
    en: 'the EFs take more than the size',
    ja: 'EFの合計がサイズを超えています',
  },
  CARDAP_FIRST_EF_TOO_SMALL: {
    status: 400,
    en: 'the first EF must hold the 13-byte user ID',
    ja: '最初のEFは13バイトの利用者IDを格納できる必要があります',
  },
  CARDAP_TOO_LARGE: {
    status: 400,
    en: 'the card AP type holds fewer bytes than requested',
    ja: 'その種類のカードAPの最大サイズを超えています',
  },
  CARDAP_DATA_INVALID: {
    status: 400,
    en: 'the initial data does not fit the card AP type',
    ja: '初期データがカードAPの種類に合いません',
  },
  CARDAP_DATA_TOO_LARGE: {
    status: 400,
    en: 'the data does not fit in the card AP',
    ja: 'データがカードAPに収まりません',
  },
  CARDAP_PIN_UNEXPECTED: {
    status: 400,
    en: 'this card AP type has no PIN',
    ja: 'この種類のカードAPにPINはありません',
  },
  CARDAP_PIN_FORMAT: {
    status: 400,
    en: 'the card AP PIN must be 4 to 16 digits or letters',
    ja: 'カードAPのPINは4〜16桁の英数字です',
  },
  CARDAP_PIN_REQUIRED: {
    status: 400,
    en: 'give the PIN the holder chose',
    ja: '本人が決めたPINを指定してください',
  },
  CARDAP_HAS_NO_PIN: {
    status: 409,
    en: 'this card AP has no PIN',
    ja: 'このカードAPにPINはありません',
  },
  CARDAP_HAS_NO_KEYS: {
    status: 409,
    en: 'this card AP is read without keys: it has no key package',
    ja: 'このカードAPは鍵なしで読めるため、鍵パッケージはありません',
  },
  CARDAP_NOTHING_TO_APPROVE: {
    status: 409,
    en: 'no request is waiting for approval',
    ja: '承認待ちの依頼はありません',
  },
  CARDAP_NOT_APPROVED: {
    status: 409,
    en: 'the card AP is not approved yet',
    ja: 'カードAPはまだ承認されていません',
  },
  CARDAP_NOT_LOADABLE: {
    status: 409,
    en: 'the card AP is not approved (suspended, retired, …)',
    ja: 'カードAPが承認済みではありません（停止・廃止など）',
  },
  CARDAP_SIZE_ABOVE_REQUEST: {
    status: 400,
    en: 'approval cannot grant more bytes than requested',
    ja: '依頼より大きいサイズは承認できません',
  },
  CARDAP_TYPE_FIXED: {
    status: 400,
    en: 'a new version keeps the card AP type',
    ja: '新しい版でもカードAPの種類は変えられません',
  },
  CARDAP_USER_IS_OWNER: {
    status: 409,
    en: 'the owner already uses its card AP',
    ja: '所有者は既にそのカードAPを利用しています',
  },
  CARDAP_USE_APPROVE: {
    status: 409,
    en: 'a request is approved with approve, not resumed',
    ja: '依頼は再開ではなく承認（approve）で有効にします',
  },
  CARDAP_WRONG_AREA: {
    status: 409,
    en: 'the card AP is not registered for that area',
    ja: 'カードAPはその領域に登録されていません',
  },
  CARDAP_REPEATED: {
    status: 400,
    en: 'a card AP is named twice',
    ja: '同じカードAPが二度指定されています',
  },

  // --- loading, deleting, the card (搭載・削除) ---
  AREA_REQUIRED: {
    status: 400,
    en: 'the card AP may go into either area: say which',
    ja: 'どちらの領域にも搭載できるカードAPです。領域を指定してください',
  },
  AREA_LOCAL_MUNICIPALITY_ONLY: {
    status: 403,
    en: 'the local residents area is only for municipalities',
    ja: '地域住民向け領域は市区町村のみが利用できます',
  },
  AREA_LOCAL_NOT_RESIDENT: {
    status: 403,
    en: 'the holder is not registered in this municipality',
    ja: '本人はこの市区町村に住民登録されていません',
  },
  HOLDER_MUNICIPALITY_UNKNOWN: {
    status: 403,
    en: 'where the holder is registered is unknown',
    ja: '本人の住民登録地が不明です',
  },
  AREA_FULL: {
    status: 409,
    en: 'the area has no room for the card AP',
    ja: '領域にカードAPを搭載する空きがありません',
  },
  AREA_KEYS_MISMATCH: {
    status: 409,
    en: "the card did not accept this server's area keys",
    ja: 'カードがこのサーバの領域鍵を受け付けませんでした',
  },
  NO_FREE_AREA: {
    status: 409,
    en: 'the card has no such area',
    ja: 'カードにその領域がありません',
  },
  NOTHING_TO_LOAD: {
    status: 400,
    en: 'choose the card APs to load (the terminal has no auto-load preset)',
    ja: '搭載するカードAPを選んでください（端末に自動搭載の設定がありません）',
  },
  ALREADY_LOADED: {
    status: 409,
    en: 'the card AP is already on the card (or being loaded or deleted)',
    ja: 'カードAPは既に搭載済み（または搭載・削除の処理中）です',
  },
  NOT_LOADED: {
    status: 409,
    en: 'the card AP of your provider is not loaded on this card',
    ja: 'このカードに貴団体のカードAPは搭載されていません',
  },
  CONSENT_REQUIRED: {
    status: 409,
    en: 'record the holder’s consent first',
    ja: '先に本人の希望（同意）を記録してください',
  },
  OUTSIDE_SERVICE_HOURS: {
    status: 409,
    en: 'outside service hours; an administrator may override',
    ja: 'サービス提供時間外です（管理者は時間外操作が可能です）',
  },
  SERVICE_HOURS_INVALID: {
    status: 400,
    en: 'open and close are H:MM with open before close',
    ja: '開始・終了は H:MM で、開始を終了より前にしてください',
  },
  USER_ID_EXHAUSTED: {
    status: 409,
    en: 'could not draw a unique user ID',
    ja: '一意の利用者IDを生成できませんでした',
  },
  SAGA_BAD_EVENT: {
    status: 409,
    en: 'the step does not apply to the instance in its state',
    ja: 'その手順はカードAPインスタンスの現在の状態に適用できません',
  },
  NOT_MYNA_CARD: {
    status: 409,
    en: 'this card has no 共通カードAP: is it a My Number Card?',
    ja: 'このカードに共通カードAPがありません。マイナンバーカードですか',
  },
  CARD_REFUSED: {
    status: 409,
    en: 'the card refused a command',
    ja: 'カードがコマンドを拒否しました',
  },
  CARD_CHANGED: {
    status: 409,
    en: 'the card in the reader is not the card identified at the start',
    ja: 'リーダのカードが最初に確認したカードと違います',
  },
  CARD_DATA_INVALID: {
    status: 400,
    en: 'a file on the card does not hold what it should',
    ja: 'カードのファイルの内容が正しくありません',
  },
  CARD_NOT_ACTIVE: {
    status: 409,
    en: 'the card is lost or suspended',
    ja: 'カードは紛失または一時停止の状態です',
  },
  CARD_REVOKED: {
    status: 409,
    en: 'the card is revoked, which is final',
    ja: 'カードは廃止されています（元に戻せません）',
  },
  CARD_EXPIRED: {
    status: 409,
    en: 'the card has expired (its expiry date is in the detail): renewed at the municipality first',
    ja: 'カードの有効期限が切れています（期限は詳細に記載）。先に市区町村で更新が必要です',
  },
  CARD_AP_MISSING: {
    status: 409,
    en: 'a card AP recorded as loaded is not on the card: run diagnose',
    ja: '搭載済みと記録されたカードAPがカードにありません。障害切り分けを行ってください',
  },
  CARD_AP_ON_CARD_UNRECORDED: {
    status: 409,
    en: 'the card holds a card AP this system has no record of: run diagnose',
    ja: 'このシステムに記録のないカードAPがカードにあります。障害切り分けを行ってください',
  },
  PIN_LOCKED: {
    status: 409,
    en: 'the JPKI auth PIN of this card is locked',
    ja: 'このカードの利用者証明用PINがロックされています',
  },
  MOVE_IN_SAME_MUNICIPALITY: {
    status: 409,
    en: 'the holder is already registered in this municipality',
    ja: '本人は既にこの市区町村に住民登録されています',
  },
  MOVE_IN_NOT_THIS_MUNICIPALITY: {
    status: 403,
    en: 'the continuation procedure is done by the municipality moved to',
    ja: '継続利用の手続きは転入先の市区町村が行います',
  },
  BATCH_CLOSED: { status: 409, en: 'the batch is closed', ja: 'その一括搭載は終了しています' },

  // --- card jobs (the APDU relay) ---
  JOB_NOT_FOUND: {
    status: 404,
    en: 'no such card job of yours',
    ja: 'そのカード処理は見つかりません',
  },
  JOB_FINISHED: { status: 409, en: 'the card job has ended', ja: 'そのカード処理は終了しています' },
  JOB_OUT_OF_STEP: {
    status: 409,
    en: 'the answer is for another command than the one waiting',
    ja: '待っているコマンドとは別のコマンドへの応答です',
  },
  JOB_ANSWERS_INVALID: {
    status: 400,
    en: "the answers do not fit the job's script (more answers than commands, or answers after one that ended it)",
    ja: 'ジョブのスクリプトに合わない応答です（コマンドより多い、または終了を示す応答の後に続いています）',
  },
  TERMINAL_AGENT_NOT_FOUND: {
    status: 404,
    en: 'no such terminal agent enrolment (or approval code) of yours',
    ja: 'その端末エージェントの登録（承認コード）は見つかりません',
  },
  TERMINAL_AGENT_KEY_INVALID: {
    status: 400,
    en: "the terminal agent's public key is not an Ed25519 key, or is enrolled already",
    ja: '端末エージェントの公開鍵が Ed25519 ではないか、既に登録されています',
  },
  TERMINAL_AGENT_PENDING_LIMIT: {
    status: 429,
    en: 'too many enrolments of this terminal wait for approval',
    ja: 'この端末の承認待ちの登録が多すぎます',
  },
  TERMINAL_OFFLINE: {
    status: 409,
    en: 'the terminal has no agent connected to the server',
    ja: '端末のエージェントがサーバに接続していません',
  },
  TOO_MANY_JOBS: {
    status: 429,
    en: 'too many card operations are running',
    ja: '実行中のカード処理が多すぎます',
  },
  INTERRUPTED: {
    en: 'the card or the terminal went away mid-job; nothing is lost',
    ja: 'カードまたは端末との通信が途中で切れました（処理内容は失われていません）',
  },
  CARD_CHANNEL_BROKEN: {
    en: "the card's answers did not verify; nothing is lost",
    ja: 'カードの応答を検証できませんでした（処理内容は失われていません）',
  },

  // --- the audit log ---
  AUDIT_NO_CHECKPOINT: {
    status: 404,
    en: 'the audit log has no checkpoint of that size (yet)',
    ja: '監査ログにその大きさのチェックポイントは（まだ）ありません',
  },
  AUDIT_BAD_RANGE: {
    status: 400,
    en: 'no audit proof for those positions (a row after the tree, or sizes out of order)',
    ja: 'その位置の監査ログの証明はありません（木の外の行、または大きさの順序が逆です）',
  },
  AUDIT_DAMAGED: {
    status: 500,
    en: 'the audit log cannot be extended: its rows do not follow the tree (run myna audit verify)',
    ja: '監査ログを延長できません。行が木に続いていません（myna audit verify を実行してください）',
  },

  // --- the status feed ---
  CARD_STATUS_UNCHANGED: {
    status: 409,
    en: 'the card already has that status',
    ja: 'カードは既にその状態です',
  },
  CARD_STATUS_BAD_TRANSITION: {
    status: 409,
    en: 'the card cannot go to that status from its current one',
    ja: 'カードの現在の状態からその状態には変更できません',
  },
  FEED_NOT_SIGNED: {
    status: 503,
    en: 'this server has no signer for the daily lists (started without one)',
    ja: 'このサーバには日次一覧の署名鍵が設定されていません',
  },
  MUNICIPALITY_COUNTER_ONLY: {
    status: 403,
    en: 'this is done at a municipality’s counter only (a holder’s PIN reset, a 記載事項変更, a carry-over)',
    ja: 'この手続（暗証番号の再設定・記載事項変更・カードAPの引継ぎ）は市区町村の窓口でのみ行えます',
  },
  // --- 再交付・更新時のカードAP引継ぎ (cardops/carryOver.ts) ---
  CARD_SUCCESSION_UNAVAILABLE: {
    status: 503,
    en: 'this server does not read the JPKI issuer’s link of new cards to old ones (myna serve --jpki DIR)',
    ja: 'このサーバはJPKI発行者の新旧カードの紐付けを読んでいません（myna serve --jpki DIR）',
  },
  CARD_SUCCESSION_UNKNOWN: {
    status: 409,
    en: 'no earlier card is linked to this card: it is not a renewed or reissued card, or the link has not been recorded yet',
    ja: 'このカードに紐付く旧カードがありません（更新・再交付のカードでないか、紐付けがまだ記録されていません）',
  },
  NOTHING_TO_CARRY_OVER: {
    status: 409,
    en: 'the earlier card held no card AP to carry over',
    ja: '旧カードに引き継ぐカードAPはありません',
  },
  CARRY_OVER_NOT_ALLOWED: {
    status: 403,
    en: 'the card AP’s provider does not let a counter carry it over: the holder asks the provider',
    ja: 'このカードAPの提供者は窓口での引継ぎを認めていません。提供者にお問い合わせください',
  },
  ALREADY_CARRIED_OVER: {
    status: 409,
    en: 'this card AP of the earlier card is already carried over to a new card',
    ja: '旧カードのこのカードAPは既に新しいカードへ引き継がれています',
  },
  CARD_STATUS_SOURCE: {
    status: 409,
    en: 'that kind of report cannot set this status',
    ja: 'その届出ではこの状態にできません',
  },

  // --- the operator console (sessions, WebAuthn, hand-off to the terminal) ---
  CONSOLE_NOT_BUILT: {
    status: 503,
    en: 'the operator console is not built (run npm run build)',
    ja: 'オペレーター画面がビルドされていません（npm run build を実行してください）',
  },
  // --- API clients of business systems (contract/clients.ts) ---
  CLIENT_AUTH_FAILED: {
    status: 401,
    en: 'unknown API client, wrong secret, or a revoked client',
    ja: 'APIクライアントが不明か、シークレットが違うか、失効しています',
  },
  CLIENT_KEY_REFUSED: {
    status: 400,
    en: 'the API client’s public key is not one the token endpoint accepts',
    ja: 'APIクライアントの公開鍵がトークンエンドポイントで使える形式ではありません',
  },
  CLIENT_RATE_LIMITED: {
    status: 429,
    en: 'too many token requests for this client or from this address; wait and ask again',
    ja: 'このクライアントまたはこのアドレスからのトークン要求が多すぎます。時間をおいて再度お試しください',
  },
  UNSUPPORTED_GRANT_TYPE: {
    status: 400,
    en: 'only grant_type=client_credentials is supported',
    ja: 'grant_type は client_credentials のみ使用できます',
  },
  CLIENT_ROUTE_FORBIDDEN: {
    status: 403,
    en: 'an API client token reaches only the status feed, the notices and its provider’s key packages',
    ja: 'APIクライアントのトークンで使えるのはステータス情報・通知・自社の鍵パッケージのみです',
  },
  CLIENT_REVOKED: {
    status: 409,
    en: 'the API client is already revoked',
    ja: 'このAPIクライアントは既に失効しています',
  },
  CSRF_REFUSED: {
    status: 403,
    en: 'the request lacks the session’s CSRF token: reload the console',
    ja: 'CSRFトークンがありません。画面を再読み込みしてください',
  },
  LOGIN_RATE_LIMITED: {
    status: 429,
    en: 'too many login attempts; wait a few minutes',
    ja: 'ログインの試行が多すぎます。数分待ってからお試しください',
  },
  LOGIN_TICKET_INVALID: {
    status: 401,
    en: 'the login link or step has expired or was used; log in again',
    ja: 'ログインの手続きが期限切れか使用済みです。もう一度ログインしてください',
  },
  WEBAUTHN_ENROLMENT_NEEDED: {
    status: 403,
    en: 'your provider requires a registered authenticator: ask an administrator for an enrolment code',
    ja: '生体認証機器の登録が必要です。管理者に登録コードを発行してもらってください',
  },
  WEBAUTHN_FAILED: {
    status: 401,
    en: 'the authenticator’s answer did not verify',
    ja: '生体認証機器の応答を確認できませんでした',
  },
  ENROLMENT_CODE_INVALID: {
    status: 401,
    en: 'the enrolment code is wrong, used or expired',
    ja: '登録コードが正しくないか、使用済みか、期限切れです',
  },
  NOT_AT_TERMINAL: {
    status: 403,
    en: 'you do not work at that terminal',
    ja: 'その端末で作業する権限がありません',
  },
  HANDOFF_QUEUE_FULL: {
    status: 429,
    en: 'too many card jobs wait for the terminal: is its relay running?',
    ja: '端末で待っているカード処理が多すぎます。端末の中継が動いているか確認してください',
  },

  // --- the client (no HTTP status: the server did not answer) ---
  SERVER_UNREACHABLE: {
    en: 'cannot reach the loader (is `myna serve` running?)',
    ja: 'サーバに接続できません（`myna serve` を起動しているか確認してください）',
  },

  RESPONSE_INVALID: {
    en: "the server's answer does not match the API contract (another version?)",
    ja: 'サーバの応答がAPIの仕様と合いません（版が違う可能性があります）',
  },

  // --- start-up: database, keys, demo (never over HTTP) ---
  DATABASE_URL_INVALID: {
    en: 'DATABASE_URL must start with postgres:// or postgresql://',
    ja: 'DATABASE_URL は postgres:// または postgresql:// で始めてください',
  },
  DATA_DIR_IN_USE: {
    en: 'the database directory is open in another process',
    ja: 'データベースのディレクトリが別のプロセスで使用中です',
  },
  MIGRATION_BAD_NAME: {
    en: 'a migration file is not named NNN_name.sql',
    ja: 'マイグレーションのファイル名が NNN_name.sql ではありません',
  },
  MIGRATION_CHANGED: {
    en: 'a migration was changed after it was applied',
    ja: '適用済みのマイグレーションが変更されています',
  },
  MIGRATION_DUPLICATE: {
    en: 'two migrations have the same version',
    ja: '同じ版のマイグレーションが二つあります',
  },
  KEYS_INVALID: {
    en: 'the key file does not hold valid keys',
    ja: '鍵ファイルの内容が正しくありません',
  },
  KEYS_MISMATCH: {
    en: "this server's keys are not the keys the database was used with",
    ja: 'このサーバの鍵はデータベースで使われてきた鍵と違います',
  },
  DEMO_NO_PLATFORM: {
    en: 'the demo needs the platform operator `admin` made at first start',
    ja: 'デモには初回起動時に作成される機構オペレーター admin が必要です',
  },
  DEMO_SECRET_MISSING: {
    en: "the demo operator's password file is missing",
    ja: 'デモオペレーターのパスワードファイルがありません',
  },
});

export type LoaderErrorCode = CodeOf<typeof LOADER_ERRORS>;

export const LOADER_ERROR_CODES = Object.keys(LOADER_ERRORS) as [
  LoaderErrorCode,
  ...LoaderErrorCode[],
];
