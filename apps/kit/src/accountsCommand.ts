/**
 * An app's staff accounts from the command line, on the machine that runs it — how
 * the first administrator is made (before there is anyone to sign in):
 *
 *   npm run accounts -w apps/library -- add LOGIN ROLE   the password from
 *                          STAFF_ACCOUNT_PASSWORD or the first line of stdin (never a flag)
 *   npm run accounts -w apps/library -- list
 *   npm run accounts -w apps/library -- unlock LOGIN
 *
 * Each is a row of the audit trail, by `console` (the machine's operator).
 */
import type { Db } from '@myna-ap/db';
import type { Text } from '@myna-ap/text';
import { AppError } from './errors.ts';
import type { ScryptCost } from './password.ts';
import {
  addStaffAccount,
  appendStaffAudit,
  staffAccounts,
  unlockStaffAccount,
  type StaffRoles,
} from './staff.ts';

export interface AccountsCommand {
  readonly app: string;
  readonly roles: StaffRoles;
  readonly openDb: () => Promise<Db>;
  readonly argv: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly stdin?: () => Promise<string>;
  readonly out?: (line: string) => void;
  readonly cost?: ScryptCost;
  readonly now?: () => Date;
}

const USAGE: Text = {
  en: 'usage: accounts add LOGIN ROLE (password from STAFF_ACCOUNT_PASSWORD or stdin) | list | unlock LOGIN',
  ja: '使い方: accounts add ログイン名 役割（パスワードは STAFF_ACCOUNT_PASSWORD または標準入力）| list | unlock ログイン名',
};

async function readStdin(): Promise<string> {
  let s = '';
  for await (const chunk of process.stdin) s += String(chunk);
  return s;
}

/** Runs one accounts command; answers the exit code (2: refused, with why in both languages). */
export async function runAccountsCommand(c: AccountsCommand): Promise<number> {
  const out = c.out ?? ((l: string) => console.log(l));
  const say = (t: Text) => out(`${c.app}: ${t.ja}\n${c.app}: ${t.en}`);
  const [verb, login, role] = c.argv;
  if (!verb || !['add', 'list', 'unlock'].includes(verb) || (verb !== 'list' && !login)) {
    say(USAGE);
    return 2;
  }
  const db = await c.openDb();
  try {
    const at = c.now ?? (() => new Date());
    if (verb === 'list') {
      for (const a of await staffAccounts(db, c.app))
        out(
          `${a.login}\t${a.role}${a.disabled ? '\tdisabled' : ''}${a.lockedUntil ? `\tlocked until ${a.lockedUntil}` : ''}`,
        );
      return 0;
    }
    if (verb === 'unlock') {
      await unlockStaffAccount(db, c.app, login!);
      await appendStaffAudit(
        db,
        c.app,
        { actor: 'console', action: 'accounts unlock', outcome: 'done', detail: { login } },
        at(),
      );
      say({ ja: `${login} のロックを解除しました`, en: `${login} unlocked` });
      return 0;
    }
    const env = c.env ?? process.env;
    const password =
      env.STAFF_ACCOUNT_PASSWORD ?? (await (c.stdin ?? readStdin)()).split(/\r?\n/)[0] ?? '';
    const a = await addStaffAccount(db, c.app, c.roles, { login, role, password }, c.cost);
    await appendStaffAudit(
      db,
      c.app,
      {
        actor: 'console',
        action: 'accounts add',
        outcome: 'done',
        detail: { login: a.login, role: a.role },
      },
      at(),
    );
    const name = (c.roles.names as Record<string, Text>)[a.role]!;
    say({
      ja: `職員アカウント ${a.login}（${name.ja}）を追加しました`,
      en: `staff account ${a.login} (${name.en}) added`,
    });
    return 0;
  } catch (e) {
    if (e instanceof AppError) {
      say(e.text);
      return 2;
    }
    throw e;
  } finally {
    await db.close();
  }
}
