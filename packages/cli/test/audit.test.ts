/**
 * The audit log checked from outside the server: `myna audit checkpoint`, `proof`,
 * `consistency` and `verify` against a running server, and the same proofs
 * recomputed here from the HTTP answers alone (no database) — valid, then refused
 * for a changed row, a forged leaf, another provider's row and a wrong pinned key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryKeyStore, TEST_CONFIG, startServer } from '@myna-ap/loader';
import {
  chainLeaf,
  contentLeaf,
  verifyCheckpointSignature,
  verifyConsistency,
  verifyInclusion,
  type SignedCheckpoint,
} from '@myna-ap/loader/client';
import type { AuditRowView } from '@myna-ap/loader/contract';
import { world } from '@myna-ap/loader/testing';

const PW = 'operator password 1'; // the world's operators (cardWorld.ts)
import { myna } from './cliRun.ts';

const unhex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

interface CheckpointAnswer {
  checkpoint: SignedCheckpoint;
  publicKey: string | null;
}
interface ProofAnswer {
  row: AuditRowView;
  checkpoint: SignedCheckpoint;
  proof: string[];
}
interface ConsistencyAnswer {
  from: SignedCheckpoint;
  to: SignedCheckpoint;
  proof: string[];
}

test('CLI and HTTP: audit checkpoint, proof, consistency, verify; a tampered row is found', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'myna-audit-'));
  const keys = new MemoryKeyStore('test');
  const s = await startServer({
    port: 0,
    dataDir: join(home, 'db'),
    config: TEST_CONFIG,
    adminPassword: 'platform admin pw',
    keys,
  });
  t.after(async () => {
    await s.close();
    rmSync(home, { recursive: true, force: true });
  });
  const env = { MYNA_HOME: home, MYNA_LANG: 'en', MYNA_TOKEN: undefined, MYNA_SERVER: s.url };
  await world({ db: s.db, keys });
  const li = await myna(['login', '--user', 'admin'], {
    ...env,
    MYNA_PASSWORD: 'platform admin pw',
  });
  assert.equal(li.code, 0, li.err);

  /** A session over HTTP (the world's own tokens are of its clock, months back). */
  const login = async (name: string, password: string): Promise<string> => {
    const r = await fetch(s.url + '/v1/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: name, password }),
    });
    assert.equal(r.status, 200);
    return ((await r.json()) as { token: string }).token;
  };
  const platformToken = await login('admin', 'platform admin pw');
  /** GET with a bearer token: only what the server answers over HTTP. */
  const get = async <T>(path: string, token = platformToken): Promise<T> => {
    const r = await fetch(s.url + path, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200, `${path}: ${await r.clone().text()}`);
    return (await r.json()) as T;
  };

  const first = await myna(['audit', 'checkpoint', '--json'], env);
  assert.equal(first.code, 0, first.err);
  const a = (JSON.parse(first.out) as CheckpointAnswer).checkpoint;
  assert.ok(a.size > 5, `the world's setup is audited: ${a.size} rows`);
  assert.match(a.keyId ?? '', /^[0-9a-f]{16,}$/);

  // More history: a provider's administrator logs in (audited) and the log grows.
  const provToken = await login('chiyoda-admin2', PW);
  const second = await myna(['audit', 'checkpoint'], env);
  assert.equal(second.code, 0, second.err);
  assert.match(second.err, /signature valid/);
  const { checkpoint: b, publicKey } = await get<CheckpointAnswer>('/v1/audit/checkpoint');
  assert.ok(b.size > a.size);
  assert.ok(publicKey !== null);
  const key = new Uint8Array(Buffer.from(publicKey, 'base64'));

  // Outside the database: every row's proof, from the HTTP answers alone.
  assert.ok(verifyCheckpointSignature(b, key));
  const rows: AuditRowView[] = [];
  for (let seq = 1; seq <= b.size; seq++) {
    const p = await get<ProofAnswer>(`/v1/audit/proof?seq=${seq}&size=${b.size}`);
    assert.deepEqual(p.checkpoint, b);
    const leaf = p.row.hash !== null ? chainLeaf(p.row.hash) : contentLeaf(p.row);
    assert.equal(hex(leaf), p.row.leafHash, `row ${seq} hashes to its leaf`);
    assert.ok(verifyInclusion(seq - 1, b.size, leaf, p.proof.map(unhex), unhex(b.rootHash)));
    // The same proof does not hold for the neighbouring position.
    if (b.size > 1)
      assert.ok(
        !verifyInclusion(seq % b.size, b.size, leaf, p.proof.map(unhex), unhex(b.rootHash)),
      );
    rows.push(p.row);
  }
  const c = await get<ConsistencyAnswer>(`/v1/audit/consistency?from=${a.size}&to=${b.size}`);
  assert.ok(verifyCheckpointSignature(c.from, key) && verifyCheckpointSignature(c.to, key));
  assert.ok(
    verifyConsistency(a.size, b.size, unhex(a.rootHash), unhex(b.rootHash), c.proof.map(unhex)),
  );
  assert.equal(c.from.rootHash, a.rootHash, 'the older checkpoint is the one the CLI was given');

  const cons = await myna(['audit', 'consistency', '--from', String(a.size)], env);
  assert.equal(cons.code, 0, cons.err);
  assert.match(cons.out, new RegExp(`grew from ${a.size} to \\d+ rows, nothing changed`));
  const ver = await myna(['audit', 'verify'], env);
  assert.equal(ver.code, 0, ver.err);
  assert.match(ver.out, /rows and \d+ checkpoints hold, every signature valid; 0 pending/);
  const pin = await myna(['audit', 'checkpoint', '--pin', 'ffff0000ffff0000'], env);
  assert.equal(pin.code, 1);
  assert.match(pin.err, /not the pinned ffff0000ffff0000/);
  assert.equal(
    (await myna(['audit', 'checkpoint', '--pin', b.keyId ?? ''], env)).code,
    0,
    'the right pin',
  );

  // A provider sees a proof of its own rows only; another's row is "not found".
  const own = rows.find((r) => r.detail.providerId === 'CHIYODA')!;
  const other = rows.find((r) => r.detail.providerId === undefined)!;
  const provEnv = { ...env, MYNA_TOKEN: provToken };
  const ownProof = await myna(['audit', 'proof', '--seq', String(own.seq)], provEnv);
  assert.equal(ownProof.code, 0, ownProof.err);
  assert.match(ownProof.out, new RegExp(`row ${own.seq} \\(${own.action}.*is in the signed tree`));
  const otherProof = await myna(['audit', 'proof', '--seq', String(other.seq)], provEnv);
  assert.equal(otherProof.code, 1);
  assert.match(otherProof.err, /NOT_FOUND/);
  const bad = await myna(['audit', 'proof'], env);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /give --seq N/);
  const far = await myna(['audit', 'proof', '--seq', String(b.size + 1000)], env);
  assert.equal(far.code, 1);
  assert.match(far.err, /AUDIT_BAD_RANGE/);

  // Tampering, as someone with the database's owner rights would.
  const target = rows.find((r) => r.hash === null && r.seq > 1)!;
  const off = 'ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;';
  const on = 'ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update;';
  await s.db.exec(
    `${off} UPDATE audit_log SET actor = 'someone-else' WHERE seq = ${target.seq}; ${on}`,
  );
  const changed = await myna(['audit', 'proof', '--seq', String(target.seq)], env);
  assert.equal(changed.code, 1);
  assert.match(
    changed.err,
    new RegExp(`row ${target.seq} does not hash to its leaf: it was changed`),
  );
  const verChanged = await myna(['audit', 'verify'], env);
  assert.equal(verChanged.code, 1);
  assert.match(verChanged.err, new RegExp(`row ${target.seq}: hash_mismatch`));
  const ja = await myna(['audit', 'verify'], { ...env, MYNA_LANG: 'ja' });
  assert.match(ja.err, /監査ログの検証に失敗/);

  // The leaf recomputed to match: the row no longer leads to the signed root.
  const forged = hex(contentLeaf({ ...target, actor: 'someone-else' }));
  await s.db.exec(
    `${off} UPDATE audit_log SET leaf_hash = decode('${forged}', 'hex') WHERE seq = ${target.seq}; ${on}`,
  );
  const p = await get<ProofAnswer>(`/v1/audit/proof?seq=${target.seq}`);
  assert.equal(p.row.leafHash, forged);
  assert.ok(
    !verifyInclusion(
      target.seq - 1,
      p.checkpoint.size,
      unhex(forged),
      p.proof.map(unhex),
      unhex(p.checkpoint.rootHash),
    ),
  );
  const forgedProof = await myna(['audit', 'proof', '--seq', String(target.seq)], env);
  assert.equal(forgedProof.code, 1);
  assert.match(forgedProof.err, new RegExp(`row ${target.seq} is not in the signed tree`));
  const verForged = await myna(['audit', 'verify'], env);
  assert.equal(verForged.code, 1);
  assert.match(verForged.err, /root_mismatch/);
});
