/**
 * The audit log (監査ログ) checked from outside the server (docs/audit.md):
 * `myna audit checkpoint` (the newest signed tree head), `myna audit proof --seq N`
 * (a row and its inclusion proof), `myna audit consistency --from A [--to B]` (the
 * older tree is a prefix of the newer) and `myna audit verify` (the server's walk
 * of every row, and the checkpoint's signature checked here). Every proof is
 * recomputed here from the HTTP answers alone, with `--pin KEYID` for the key
 * you hold out of band.
 */
import type { ApiClient } from '@myna-ap/loader/client';
import {
  chainLeaf,
  contentLeaf,
  verifyCheckpointSignature,
  verifyConsistency,
  verifyInclusion,
  type SignedCheckpoint,
} from '@myna-ap/loader/client';
import type { AuditRowView } from '@myna-ap/loader/contract';
import { CliError, type CliCommand } from '../command.ts';
import { t } from '../i18n.ts';
import { SERVER_OPTIONS, api, int, str } from './serve.ts';

const unhex = (h: string) => Buffer.from(h, 'hex');
const PIN = { pin: { type: 'string' } } as const;

function refused(en: string, ja: string): CliError {
  return new CliError({ en: `audit check failed: ${en}`, ja: `監査ログの検証に失敗: ${ja}` }, 1);
}

/** The platform's audit key from the server, checked against `--pin` when given. */
async function platformKey(c: ApiClient, pin: string | undefined): Promise<Uint8Array> {
  const v = await c.call('auditCheckpoint');
  if (v.publicKey === null)
    throw refused(
      'the server has no audit key: its checkpoints are unsigned',
      'サーバに監査ログの署名鍵がなく、チェックポイントは署名されていません',
    );
  const key = new Uint8Array(Buffer.from(v.publicKey, 'base64'));
  if (pin !== undefined && v.checkpoint.keyId !== pin)
    throw refused(
      `the server's key is ${v.checkpoint.keyId}, not the pinned ${pin}`,
      `サーバの鍵は ${v.checkpoint.keyId} で、登録済みの ${pin} ではありません`,
    );
  return key;
}

function checkSigned(c: SignedCheckpoint, key: Uint8Array): void {
  if (!verifyCheckpointSignature(c, key))
    throw refused(
      `the checkpoint of size ${c.size} is not signed by the platform's key`,
      `大きさ ${c.size} のチェックポイントの署名が機構の鍵のものではありません`,
    );
}

/** The row's leaf recomputed from its content (rows of the old chain: from their chain hash). */
function leafOf(row: AuditRowView): Uint8Array {
  return row.hash !== null ? chainLeaf(row.hash) : contentLeaf(row);
}

const describe = (c: SignedCheckpoint) =>
  t({
    en: `size ${c.size}, root ${c.rootHash}, at ${c.at}, key ${c.keyId ?? 'none'}`,
    ja: `大きさ ${c.size}、根 ${c.rootHash}、${c.at}、鍵 ${c.keyId ?? 'なし'}`,
  });

const checkpoint: CliCommand = {
  path: ['audit', 'checkpoint'],
  summary: {
    en: 'the audit log’s newest signed checkpoint (tree size and root), its signature checked here',
    ja: '監査ログの最新の署名付きチェックポイント（木の大きさと根）。署名をここで検証',
  },
  usage: '[--pin KEYID] [--json]',
  options: { ...SERVER_OPTIONS, ...PIN },
  async run({ values }, io) {
    const v = await api(values, (c) => c.call('auditCheckpoint'));
    if (v.publicKey !== null) {
      const pin = str(values.pin);
      if (pin !== undefined && v.checkpoint.keyId !== pin)
        throw refused(
          `the server's key is ${v.checkpoint.keyId}, not the pinned ${pin}`,
          `サーバの鍵は ${v.checkpoint.keyId} で、登録済みの ${pin} ではありません`,
        );
      checkSigned(v.checkpoint, new Uint8Array(Buffer.from(v.publicKey, 'base64')));
    }
    if (values.json) io.out(JSON.stringify(v, null, 2));
    else {
      io.out(describe(v.checkpoint));
      io.err(
        v.publicKey === null
          ? t({
              en: 'unsigned: the server has no audit key',
              ja: '署名なし: サーバに監査ログの署名鍵がありません',
            })
          : t({ en: 'signature valid', ja: '署名は有効です' }),
      );
    }
    return 0;
  },
};

const proof: CliCommand = {
  path: ['audit', 'proof'],
  summary: {
    en: 'an audit row and its inclusion proof in the signed tree, checked here (your provider’s rows)',
    ja: '監査ログの行と署名付きの木への包含証明をここで検証（自団体の行）',
  },
  usage: '--seq N [--size N] [--pin KEYID] [--json]',
  options: { ...SERVER_OPTIONS, ...PIN, seq: { type: 'string' }, size: { type: 'string' } },
  async run({ values }, io) {
    const seq = int(values.seq, 'seq');
    if (seq === undefined)
      throw new CliError({ en: 'give --seq N', ja: '--seq N を指定してください' }, 2);
    const size = int(values.size, 'size');
    const [p, key] = await api(values, async (c) => [
      await c.call('auditProof', {
        query: { seq: String(seq), ...(size !== undefined ? { size: String(size) } : {}) },
      }),
      await platformKey(c, str(values.pin)),
    ]);
    if (p.row.seq !== seq)
      throw refused(
        `asked for row ${seq}, got ${p.row.seq}`,
        `行 ${seq} を求めて ${p.row.seq} が返りました`,
      );
    const leaf = leafOf(p.row);
    if (Buffer.from(leaf).toString('hex') !== p.row.leafHash)
      throw refused(
        `row ${seq} does not hash to its leaf: it was changed`,
        `行 ${seq} の内容が葉のハッシュと一致しません（改ざん）`,
      );
    checkSigned(p.checkpoint, key);
    if (
      !verifyInclusion(
        seq - 1,
        p.checkpoint.size,
        leaf,
        p.proof.map(unhex),
        unhex(p.checkpoint.rootHash),
      )
    )
      throw refused(
        `row ${seq} is not in the signed tree of size ${p.checkpoint.size}`,
        `行 ${seq} は大きさ ${p.checkpoint.size} の署名付きの木に含まれていません`,
      );
    if (values.json) io.out(JSON.stringify(p, null, 2));
    else {
      io.out(
        t({
          en: `row ${seq} (${p.row.action} by ${p.row.actor} at ${p.row.at}) is in the signed tree: ${p.proof.length} hashes`,
          ja: `行 ${seq}（${p.row.at} ${p.row.actor} の ${p.row.action}）は署名付きの木に含まれています: ハッシュ ${p.proof.length} 個`,
        }),
      );
      io.out(describe(p.checkpoint));
    }
    return 0;
  },
};

const consistency: CliCommand = {
  path: ['audit', 'consistency'],
  summary: {
    en: 'check that the audit log only grew between two signed checkpoints (nothing changed or cut)',
    ja: '2つの署名付きチェックポイントの間で監査ログが追記されただけであること（変更・削除なし）を検証',
  },
  usage: '--from A [--to B] [--pin KEYID] [--json]',
  options: { ...SERVER_OPTIONS, ...PIN, from: { type: 'string' }, to: { type: 'string' } },
  async run({ values }, io) {
    const from = int(values.from, 'from');
    if (from === undefined)
      throw new CliError({ en: 'give --from A', ja: '--from A を指定してください' }, 2);
    const to = int(values.to, 'to');
    const [p, key] = await api(values, async (c) => [
      await c.call('auditConsistency', {
        query: { from: String(from), ...(to !== undefined ? { to: String(to) } : {}) },
      }),
      await platformKey(c, str(values.pin)),
    ]);
    checkSigned(p.from, key);
    checkSigned(p.to, key);
    if (
      p.from.size !== from ||
      !verifyConsistency(
        p.from.size,
        p.to.size,
        unhex(p.from.rootHash),
        unhex(p.to.rootHash),
        p.proof.map(unhex),
      )
    )
      throw refused(
        `the tree of size ${p.to.size} does not extend that of ${from}`,
        `大きさ ${p.to.size} の木は大きさ ${from} の木の延長ではありません`,
      );
    if (values.json) io.out(JSON.stringify(p, null, 2));
    else
      io.out(
        t({
          en: `the log grew from ${p.from.size} to ${p.to.size} rows, nothing changed: ${p.proof.length} hashes`,
          ja: `監査ログは ${p.from.size} 行から ${p.to.size} 行に追記され、変更はありません: ハッシュ ${p.proof.length} 個`,
        }),
      );
    return 0;
  },
};

const verify: CliCommand = {
  path: ['audit', 'verify'],
  summary: {
    en: 'the server walks every audit row and checkpoint; the newest checkpoint’s signature is checked here',
    ja: 'サーバが監査ログの全行とチェックポイントを検証し、最新のチェックポイントの署名をここで検証',
  },
  usage: '[--pin KEYID] [--json]',
  options: { ...SERVER_OPTIONS, ...PIN },
  async run({ values }, io) {
    const [v, cp] = await api(values, async (c) => [
      await c.call('verifyAudit'),
      await c.call('auditCheckpoint'),
    ]);
    if (cp.publicKey !== null) {
      const pin = str(values.pin);
      if (pin !== undefined && cp.checkpoint.keyId !== pin)
        throw refused(
          `the server's key is ${cp.checkpoint.keyId}, not the pinned ${pin}`,
          `サーバの鍵は ${cp.checkpoint.keyId} で、登録済みの ${pin} ではありません`,
        );
      checkSigned(cp.checkpoint, new Uint8Array(Buffer.from(cp.publicKey, 'base64')));
    }
    if (values.json) io.out(JSON.stringify({ verdict: v, checkpoint: cp.checkpoint }, null, 2));
    if (!v.ok)
      throw refused(
        `row ${v.seq}: ${v.reason} (${v.rows} rows hold before it)`,
        `行 ${v.seq}: ${v.reason}（それより前の ${v.rows} 行は正常）`,
      );
    if (!values.json) {
      io.out(
        t({
          en: `${v.rows} rows and ${v.checkpoints} checkpoints hold${v.signed ? ', every signature valid' : ' (checkpoints unsigned)'}; ${v.pending} pending`,
          ja: `${v.rows} 行と ${v.checkpoints} 個のチェックポイントは正常${v.signed ? '、署名はすべて有効' : '（署名なし）'}。未整列 ${v.pending} 行`,
        }),
      );
      io.out(describe(cp.checkpoint));
    }
    return 0;
  },
};

export const auditCommands: readonly CliCommand[] = [checkpoint, proof, consistency, verify];
