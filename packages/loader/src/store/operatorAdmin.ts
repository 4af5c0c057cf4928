/**
 * Looking after operator accounts: unlock after a lockout, disable / enable,
 * reset a password (administrators within their provider, the platform for all),
 * and change one's own password. Disabling or resetting ends the account's sessions.
 */
import { LoaderError, notFound } from '../errors.ts';
import { appendAudit, writeTransaction } from './audit.ts';
import type { Queryable } from '@myna-ap/db';
import { hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from '../domain/password.ts';
import type { ProviderId } from '../domain/ids.ts';
import { tokenHash } from '../domain/login.ts';
import type { Role } from '../domain/roles.ts';
import { authorize, type Ctx, type Session } from './context.ts';

interface Target {
  id: string;
  provider_id: string | null;
  role: Role;
  password_hash: string;
}

async function target(tx: Queryable, s: Session, id: string): Promise<Target> {
  const r = (
    await tx.query<Target>(
      'SELECT id, provider_id, role, password_hash FROM operators WHERE id = $1 FOR UPDATE',
      [id],
    )
  ).rows[0];
  // Another provider's operator looks absent.
  if (!r || (s.role !== 'platform' && r.provider_id !== s.providerId))
    throw notFound('operator', id);
  // Managing an account takes the right to create one like it.
  authorize(s, 'operator.create', { providerId: r.provider_id as ProviderId | null, role: r.role });
  return r;
}

function checkNewPassword(p: string): void {
  if (p.length < MIN_PASSWORD_LENGTH) {
    throw new LoaderError('PASSWORD_TOO_SHORT', {
      en: `a password needs at least ${MIN_PASSWORD_LENGTH} characters`,
      ja: `パスワードは${MIN_PASSWORD_LENGTH}文字以上にしてください`,
    });
  }
}

async function endSessions(tx: Queryable, id: string, now: Date): Promise<void> {
  await tx.query(
    'UPDATE sessions SET revoked_at = $2 WHERE operator_id = $1 AND revoked_at IS NULL',
    [id, now],
  );
}

export async function unlockOperator(ctx: Ctx, s: Session, id: string): Promise<void> {
  await writeTransaction(ctx.db, async (tx) => {
    const t = await target(tx, s, id);
    await tx.query('UPDATE operators SET failed_logins = 0, locked_until = NULL WHERE id = $1', [
      id,
    ]);
    await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: 'operator.unlock',
        target: id,
        detail: { providerId: t.provider_id },
      },
      ctx.now(),
    );
  });
}

export async function setOperatorStatus(
  ctx: Ctx,
  s: Session,
  id: string,
  status: 'active' | 'disabled',
): Promise<void> {
  if (id === s.operatorId) {
    throw new LoaderError(
      'OPERATOR_SELF',
      {
        en: 'you cannot disable or enable your own account',
        ja: '自分のアカウントは無効化・有効化できません',
      },
      409,
    );
  }
  await writeTransaction(ctx.db, async (tx) => {
    const t = await target(tx, s, id);
    await tx.query('UPDATE operators SET status = $2 WHERE id = $1', [id, status]);
    if (status === 'disabled') await endSessions(tx, id, ctx.now());
    await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: `operator.${status === 'active' ? 'enable' : 'disable'}`,
        target: id,
        detail: { providerId: t.provider_id },
      },
      ctx.now(),
    );
  });
}

export async function resetOperatorPassword(
  ctx: Ctx,
  s: Session,
  id: string,
  password: string,
): Promise<void> {
  checkNewPassword(password);
  const hash = await hashPassword(password, ctx.config.scrypt);
  await writeTransaction(ctx.db, async (tx) => {
    const t = await target(tx, s, id);
    await tx.query(
      'UPDATE operators SET password_hash = $2, failed_logins = 0, locked_until = NULL WHERE id = $1',
      [id, hash],
    );
    await endSessions(tx, id, ctx.now());
    await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: 'operator.password_reset',
        target: id,
        detail: { providerId: t.provider_id },
      },
      ctx.now(),
    );
  });
}

/** Any operator changes its own password, proving the current one. Other sessions end. */
export async function changeOwnPassword(
  ctx: Ctx,
  s: Session,
  current: string,
  next: string,
  keepToken: string,
): Promise<void> {
  checkNewPassword(next);
  const row = (
    await ctx.db.query<{ password_hash: string }>(
      'SELECT password_hash FROM operators WHERE id = $1',
      [s.operatorId],
    )
  ).rows[0];
  if (!row || !(await verifyPassword(current, row.password_hash))) {
    throw new LoaderError(
      'PASSWORD_WRONG',
      { en: 'the current password is wrong', ja: '現在のパスワードが違います' },
      403,
    );
  }
  const hash = await hashPassword(next, ctx.config.scrypt);
  await writeTransaction(ctx.db, async (tx) => {
    await tx.query('UPDATE operators SET password_hash = $2 WHERE id = $1', [s.operatorId, hash]);
    await tx.query(
      'UPDATE sessions SET revoked_at = $3 WHERE operator_id = $1 AND token_hash <> $2 AND revoked_at IS NULL',
      [s.operatorId, tokenHash(keepToken), ctx.now()],
    );
    await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: 'operator.password_change',
        target: s.operatorId,
        detail: { providerId: s.providerId },
      },
      ctx.now(),
    );
  });
}
