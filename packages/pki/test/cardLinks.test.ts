/**
 * The card a certificate is on (cards.jsonl) and the revocation log the loading
 * system reads: new revocations once each, with their card; unlinked and foreign
 * lines; a bad card serial refused before anything is issued.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { appendFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JpkiIssuer, PkiError, RevocationLog, type HolderInfo } from '@myna-ap/pki';

const holder: HolderInfo = {
  name: '番号 太郎',
  address: '東京都千代田区千代田1-1',
  birthDate: '1985-04-01',
  sex: '1',
};
const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
const serialOf = (der: Uint8Array) => new X509Certificate(der).serialNumber.toLowerCase();
const CARD = '00112233445566778899AABBCCDDEEFF';

test('a card’s certificates are linked to it; the log hands each revocation over once, with its card', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'myna-pki-links-'));
  const issuer = await JpkiIssuer.init(dir);
  const notBefore = new Date(Date.now() + 60_000);
  const linked = await issuer.issueCardCertificates({
    authPublicKey: rsa(),
    signPublicKey: rsa(),
    holder,
    notBefore,
    cardId: CARD.toLowerCase(), // stored upper-case, as the loader names cards
  });
  const unlinked = await issuer.issueCardCertificates({
    authPublicKey: rsa(),
    signPublicKey: rsa(),
    holder,
    notBefore,
  });
  const lines = (await readFile(join(dir, 'cards.jsonl'), 'utf8')).trim().split('\n');
  assert.equal(lines.length, 1, 'only the card given by serial is linked');
  const link = JSON.parse(lines[0]!) as Record<string, string>;
  assert.equal(link.card, CARD);
  assert.equal(link.auth, serialOf(linked.auth).replace(/^(00)+/, ''));

  const log = new RevocationLog(dir);
  assert.deepEqual(await log.readNew(), [], 'nothing revoked yet');
  assert.equal(log.cardOf(serialOf(linked.sign)), CARD);
  assert.equal(log.cardOf(serialOf(unlinked.sign)), undefined);

  await issuer.revoke(serialOf(linked.auth), 'lost');
  await issuer.revoke(serialOf(unlinked.auth), 'holder-request');
  const first = await log.readNew();
  assert.deepEqual(
    first.map((r) => [r.kind, r.reason, r.cardId]),
    [
      ['auth', 'lost', CARD],
      ['auth', 'holder-request', undefined],
    ],
  );
  assert.deepEqual(await log.readNew(), [], 'read once');

  // Revoked by another process (`myna pki revoke`): picked up on the next read.
  const other = await JpkiIssuer.open(dir);
  await other.revoke(serialOf(linked.sign), 'lost');
  const second = await log.readNew();
  assert.deepEqual(
    second.map((r) => [r.serial, r.kind, r.reason, r.cardId]),
    [[serialOf(linked.sign).replace(/^(00)+/, ''), 'sign', 'lost', CARD]],
  );

  // A line that is not a revocation (the issuer itself refuses to open then) is skipped.
  await appendFile(join(dir, 'revocations.jsonl'), '{"serial":"zz","kind":"auth"}\nnot json\n');
  assert.deepEqual(await log.readNew(), []);

  // A new reader starts from the beginning: everything again (the loader dedups by serial).
  assert.equal((await new RevocationLog(dir).readNew()).length, 3);
});

test('a card serial that is not 8–16 bytes of hex is refused before anything is issued', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'myna-pki-links-'));
  const issuer = await JpkiIssuer.init(dir);
  for (const bad of ['', '0011', 'XYZ0112233445566', '00'.repeat(17), '0'.repeat(17)]) {
    await assert.rejects(
      issuer.issueCardCertificates({
        authPublicKey: rsa(),
        signPublicKey: rsa(),
        holder,
        cardId: bad,
      }),
      (e: unknown) => e instanceof PkiError && e.code === 'PKI_BAD_REQUEST',
      bad,
    );
  }
  await assert.rejects(readFile(join(dir, 'issued.jsonl')), { code: 'ENOENT' });
});

test('a directory without records reads as nothing revoked', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'myna-pki-links-'));
  assert.deepEqual(await new RevocationLog(dir).readNew(), []);
});

test('記載事項変更: a new sign certificate for the same card, linked with the one it replaces; the old one revoked after', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'myna-pki-links-'));
  const issuer = await JpkiIssuer.init(dir);
  const first = await issuer.issueCardCertificates({
    authPublicKey: rsa(),
    signPublicKey: rsa(),
    holder,
    cardId: CARD,
  });
  const oldSign = serialOf(first.sign);
  const moved = { ...holder, address: '北海道札幌市中央区北1条西2丁目' };
  const next = await issuer.issueSignCertificate({
    signPublicKey: rsa(),
    holder: moved,
    cardId: CARD,
    replaces: oldSign,
  });
  const cert = new X509Certificate(next.sign);
  assert.ok(cert.verify(new X509Certificate(next.signCa).publicKey));
  assert.equal(issuer.issuedKind(cert.serialNumber), 'sign');
  assert.equal(
    issuer.revocation(oldSign),
    undefined,
    'not revoked until the card holds the new one',
  );
  const lines = (await readFile(join(dir, 'cards.jsonl'), 'utf8')).trim().split('\n');
  const link = JSON.parse(lines[1]!) as Record<string, string>;
  assert.equal(link.card, CARD);
  assert.equal(link.replaces, oldSign.replace(/^(00)+/, ''));
  assert.equal(link.auth, undefined, 'the auth certificate stays');

  await issuer.revoke(oldSign, 'info-change');
  const log = new RevocationLog(dir);
  assert.deepEqual(
    (await log.readNew()).map((r) => [r.kind, r.reason, r.cardId]),
    [['sign', 'info-change', CARD]],
  );
  assert.equal(log.cardOf(cert.serialNumber), CARD);

  // Only in place of a sign certificate of this issuer.
  for (const replaces of [serialOf(first.auth), 'abcdef', 'not hex']) {
    await assert.rejects(
      issuer.issueSignCertificate({ signPublicKey: rsa(), holder: moved, cardId: CARD, replaces }),
      (e: unknown) => e instanceof PkiError && e.code === 'PKI_BAD_REQUEST',
      replaces,
    );
  }
  await assert.rejects(
    issuer.issueSignCertificate({
      signPublicKey: rsa(),
      holder: moved,
      cardId: 'zz',
      replaces: oldSign,
    }),
    (e: unknown) => e instanceof PkiError && e.code === 'PKI_BAD_REQUEST',
  );
});

test('renewal or reissue: the new card linked to the old one, each certificate to the one it replaces (新旧紐付け)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'myna-pki-links-'));
  const issuer = await JpkiIssuer.init(dir);
  const NEW = 'FFEEDDCCBBAA99887766554433221100';
  const old = await issuer.issueCardCertificates({
    authPublicKey: rsa(),
    signPublicKey: rsa(),
    holder,
    cardId: CARD,
  });
  const replaces = { card: CARD, auth: serialOf(old.auth), sign: serialOf(old.sign) };
  const renewed = await issuer.issueCardCertificates({
    authPublicKey: rsa(),
    signPublicKey: rsa(),
    holder,
    cardId: NEW,
    replaces,
  });
  // The old card lost: its certificates revoked for it, the new card's stand.
  await issuer.revoke(replaces.auth, 'lost');
  await issuer.revoke(replaces.sign, 'lost');
  const log = new RevocationLog(dir);
  assert.deepEqual(
    (await log.readNew()).map((r) => r.cardId),
    [CARD, CARD],
  );
  const strip = (s: string) => s.replace(/^(00)+/, '');
  assert.equal(log.previousOf(serialOf(renewed.auth)), strip(replaces.auth));
  assert.equal(log.previousOf(serialOf(renewed.sign)), strip(replaces.sign));
  assert.equal(log.previousOf(replaces.auth), undefined, 'the first card replaced nothing');
  assert.equal(log.previousCardOf(NEW.toLowerCase()), CARD);
  assert.equal(log.cardOf(serialOf(renewed.auth)), NEW);

  // Refused before anything is issued: no new card id, the same card, certificates of the wrong kind or unknown.
  const bad = [
    { cardId: undefined, replaces },
    { cardId: CARD, replaces },
    { cardId: NEW, replaces: { ...replaces, auth: replaces.sign } },
    { cardId: NEW, replaces: { ...replaces, sign: 'abcdef' } },
    { cardId: NEW, replaces: { ...replaces, card: 'zz' } },
  ];
  const before = (await readFile(join(dir, 'issued.jsonl'), 'utf8')).length;
  for (const b of bad) {
    await assert.rejects(
      issuer.issueCardCertificates({ authPublicKey: rsa(), signPublicKey: rsa(), holder, ...b }),
      (e: unknown) => e instanceof PkiError && e.code === 'PKI_BAD_REQUEST',
      JSON.stringify(b),
    );
  }
  assert.equal((await readFile(join(dir, 'issued.jsonl'), 'utf8')).length, before);
});
