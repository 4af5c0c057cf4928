/**
 * Helpers of bench/load.bench.ts (and its HTTP client process, bench/loadClient.ts):
 * a PostgreSQL cluster with the server's durable defaults, terminals with one
 * loading operator each, and the names of the APDUs a load sends.
 */
import { EXTENDED_SD_AID, LOCAL_SD_AID } from '@myna-ap/apdu';
import { AID } from '@myna-ap/profile';
import type { World } from '@myna-ap/loader/testing';
import type { Db, Queryable } from '@myna-ap/db';
import {
  authenticate,
  createOperator,
  createTerminal,
  login,
  type Session,
  type TerminalId,
} from '@myna-ap/loader';
import { startPostgres } from '@myna-ap/db/testing';

export interface BenchTerminal {
  readonly id: TerminalId;
  readonly session: Session;
  readonly token: string;
}

const PW = 'bench operator password';

/** `n` terminals of the world's municipality, each with its own loading operator (and token). */
export async function addTerminals(w: World, n: number): Promise<BenchTerminal[]> {
  const out: BenchTerminal[] = [];
  const providerId = w.admin.providerId!;
  for (let i = 0; i < n; i++) {
    const id = `bench-${i}` as TerminalId;
    await createTerminal(w.ctx, w.admin, { id, providerId, name: `窓口${i}`, autoLoad: [] });
    await createOperator(w.ctx, w.admin, {
      login: `bench-op-${i}`,
      displayName: `搭載担当${i}`,
      role: 'loading_operator',
      providerId,
      password: PW,
      terminals: [id],
    });
    const token = (await login(w.ctx, `bench-op-${i}`, PW)).token;
    out.push({ id, session: await authenticate(w.ctx, token), token });
  }
  return out;
}

export { postgresUnavailable as pgUnavailable } from '@myna-ap/db/testing';

/** A throwaway PostgreSQL cluster with the server's durable defaults, as production runs. */
export function startDurablePostgres() {
  return startPostgres({ durable: true });
}

export interface DbCounts {
  /** Statements sent through the Db interface (inside transactions and outside). */
  statements: number;
  transactions: number;
}

/**
 * The same database, counting what goes through the `Db` interface. The
 * transaction's own BEGIN / SET / LOCK / COMMIT are inside the implementation
 * and not counted here (`transactionOverhead` says how many each backend sends).
 */
export function countingDb(db: Db): { db: Db; counts: DbCounts } {
  const counts: DbCounts = { statements: 0, transactions: 0 };
  const wrap = (q: Queryable): Queryable => ({
    query: (sql, params) => {
      counts.statements++;
      return q.query(sql, params);
    },
    exec: (sql) => {
      counts.statements++;
      return q.exec(sql);
    },
  });
  const outer = wrap(db);
  return {
    counts,
    db: {
      kind: db.kind,
      query: outer.query,
      exec: outer.exec,
      transaction: (fn, o) => {
        counts.transactions++;
        return db.transaction((tx) => fn(wrap(tx)), o);
      },
      close: () => db.close(),
    } as Db,
  };
}

const same = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** What a command APDU of a load is, from its header (and the AID of a SELECT). */
export function apduName(c: Uint8Array): string {
  const [cla, ins, p1, p2] = [c[0]!, c[1]!, c[2]!, c[3]!];
  if (ins === 0xa4 && p1 === 0x04) {
    const aid = c.subarray(5, 5 + c[4]!);
    if (same(aid, AID.common)) return 'SELECT 共通カードAP';
    if (same(aid, AID.jpki)) return 'SELECT JPKI AP';
    if (same(aid, LOCAL_SD_AID)) return 'SELECT SD (local)';
    if (same(aid, EXTENDED_SD_AID)) return 'SELECT SD (extended)';
    return 'SELECT (other)';
  }
  if (ins === 0xb0 && p1 === 0x81) return 'READ BINARY serial (SFI 1)';
  if (ins === 0xb0 && p1 === 0x82) return 'READ BINARY municipality (SFI 2)';
  if (ins === 0x20 && c.length <= 4) return `VERIFY empty (PIN tries, P2 ${p2.toString(16)})`;
  if (ins === 0x50) return 'INITIALIZE UPDATE';
  if (ins === 0x82) return 'EXTERNAL AUTHENTICATE';
  if (ins === 0xe6) return 'INSTALL';
  if (ins === 0xe2) return 'STORE DATA';
  if (ins === 0xca) return 'GET DATA';
  if (ins === 0xf2) return 'GET STATUS';
  return `CLA ${cla.toString(16)} INS ${ins.toString(16)}`;
}

/** The APDUs the card protocol itself requires (card README §8 + reading the serial). */
export function isMinimum(name: string): boolean {
  return (
    name === 'SELECT 共通カードAP' ||
    name === 'READ BINARY serial (SFI 1)' ||
    name.startsWith('SELECT SD') ||
    name === 'INITIALIZE UPDATE' ||
    name === 'EXTERNAL AUTHENTICATE' ||
    name === 'INSTALL' ||
    name === 'STORE DATA'
  );
}
