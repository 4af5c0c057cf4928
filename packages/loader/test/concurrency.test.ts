/**
 * The database invariants under concurrent writers on PostgreSQL (PGlite runs one
 * transaction at a time, so only a real server can race): approvals never share
 * an AID, the same card AP is never reserved twice on one card, user IDs stay
 * unique, and the audit chain stays whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDb } from '@myna-ap/db';
import { openPostgres } from '@myna-ap/db';
import type { Ctx } from '../src/store/context.ts';
import { TEST_CONFIG } from '../src/store/config.ts';
import { MemoryKeyStore } from '../src/keys/keyStore.ts';

const TEST_KEYS = new MemoryKeyStore('test');
import { createProvider } from '../src/store/providers.ts';
import {
  authenticate,
  bootstrapPlatformAdmin,
  createOperator,
  login,
} from '../src/store/operators.ts';
import { createTerminal } from '../src/store/terminals.ts';
import { approveCardAp, requestCardAp } from '../src/store/cardAps.ts';
import { recordConsent } from '../src/store/instances.ts';
import { verifyAudit } from '../src/store/audit.ts';
import { providerId, type CardId, type TerminalId } from '../src/domain/ids.ts';
import { skipUnlessPostgres, startPostgres } from '@myna-ap/db/testing';
import { loaderMigrations } from '../src/migrations.ts';
import { reserve } from './reserve.ts';

test(
  'PostgreSQL: concurrent approvals and reservations keep every invariant',
  { skip: skipUnlessPostgres() },
  async () => {
    const pg = await startPostgres();
    try {
      const setup = await openDb({ databaseUrl: pg.url, migrations: [loaderMigrations] });
      const now = () => new Date('2026-06-01T10:00:00+09:00');
      const ctx0: Ctx = { db: setup, config: TEST_CONFIG, keys: TEST_KEYS, now };
      await bootstrapPlatformAdmin(ctx0, 'platform admin pw');
      const platform = await authenticate(
        ctx0,
        (await login(ctx0, 'admin', 'platform admin pw')).token,
      );
      const p = await createProvider(ctx0, platform, {
        id: providerId('MAEBASHI'),
        name: '前橋市',
        kind: 'municipality',
        municipalityCode: '102016',
        legalBasis: { kind: 'ordinance', reference: 'r', date: '2018-04-01' },
        contact: { name: 'c' },
      });
      const T = 't1' as TerminalId;
      await createTerminal(ctx0, platform, { id: T, providerId: p.id, name: 't', autoLoad: [] });
      await createOperator(ctx0, platform, {
        login: 'mae-admin',
        displayName: 'a',
        role: 'administrator',
        providerId: p.id,
        password: 'long enough password',
        terminals: [T],
      });
      const admin = await authenticate(
        ctx0,
        (await login(ctx0, 'mae-admin', 'long enough password')).token,
      );
      const requested = [];
      for (let i = 0; i < 12; i++)
        requested.push(
          await requestCardAp(ctx0, admin, p.id, {
            name: `ap${i}`,
            type: 'C',
            areas: ['extended'],
            size: 33,
          }),
        );

      // Four server processes' worth of pools, approving at once.
      const dbs = [0, 1, 2, 3].map(() => openPostgres(pg.url, 4));
      try {
        const ctxs: Ctx[] = dbs.map((db) => ({ db, config: TEST_CONFIG, keys: TEST_KEYS, now }));
        const approved = await Promise.all(
          requested.map((r, i) => approveCardAp(ctxs[i % 4]!, platform, r.id)),
        );
        const aids = approved.map((a) => a.aid);
        assert.equal(new Set(aids).size, 12, `distinct AIDs: ${aids.join(' ')}`);

        // Eight terminals try to reserve the same card AP on the same card: exactly one wins.
        const card = 'CARD-RACE' as CardId;
        const ap = approved[0]!;
        const consentId = await recordConsent(ctx0, admin, T, {
          cardId: card,
          cardApId: ap.id,
          purpose: 'load',
          method: 'counter_form',
        });
        const results = await Promise.allSettled(
          Array.from({ length: 8 }, (_, i) =>
            reserve(ctxs[i % 4]!, admin, {
              cardId: card,
              cardApId: ap.id,
              area: 'extended',
              terminalId: T,
              consentId,
              holderMunicipality: null,
            }),
          ),
        );
        const won = results.filter((r) => r.status === 'fulfilled');
        assert.equal(won.length, 1);
        for (const r of results)
          if (r.status === 'rejected')
            assert.equal((r.reason as { code?: string }).code, 'ALREADY_LOADED', String(r.reason));

        // Many cards at once: user IDs all distinct, every row pending.
        const cards = Array.from({ length: 24 }, (_, i) => `CARD-${i}` as CardId);
        const consents = await Promise.all(
          cards.map((c) =>
            recordConsent(ctx0, admin, T, {
              cardId: c,
              cardApId: ap.id,
              purpose: 'load',
              method: 'online',
            }),
          ),
        );
        const many = await Promise.all(
          cards.map((c, i) =>
            reserve(ctxs[i % 4]!, admin, {
              cardId: c,
              cardApId: ap.id,
              area: 'extended',
              terminalId: T,
              consentId: consents[i]!,
              holderMunicipality: null,
            }),
          ),
        );
        assert.equal(new Set(many.map((m) => m.userId)).size, 24);
        const v = await verifyAudit(setup);
        assert.equal(v.ok, true, JSON.stringify(v));
      } finally {
        await Promise.all(dbs.map((d) => d.close()));
        await setup.close();
      }
    } finally {
      await pg.stop();
    }
  },
);
