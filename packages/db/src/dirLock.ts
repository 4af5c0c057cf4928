/**
 * One process per PGlite data dir. PGlite has no postmaster to refuse a second
 * opener, and two writers on one directory silently lose each other's writes,
 * so the embedded database takes `<dataDir>.lock` (holding its pid) first. A lock
 * left by a dead process is taken over. Several servers: use PostgreSQL.
 */
import { open, readFile, rm } from 'node:fs/promises';
import { DbError } from './errors.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, we just may not signal it.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const path = `${dataDir}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return async () => {
        await rm(path, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
      throw new DbError(
        'DATA_DIR_IN_USE',
        {
          en: `the database in ${dataDir} is open in another process (pid ${pid}); stop it, or use DATABASE_URL (PostgreSQL) to run several servers`,
          ja: `${dataDir} のデータベースは別のプロセス（pid ${pid}）が使用中です。停止するか、複数のサーバには DATABASE_URL（PostgreSQL）を使ってください`,
        },
        { pid },
      );
    }
    if (pid === process.pid) {
      throw new DbError(
        'DATA_DIR_IN_USE',
        {
          en: `the database in ${dataDir} is already open in this process`,
          ja: `${dataDir} のデータベースはこのプロセスで既に開いています`,
        },
        { pid },
      );
    }
    // Stale: its owner is gone.
    await rm(path, { force: true });
  }
  throw new DbError('DATA_DIR_IN_USE', {
    en: `could not take the lock ${path}`,
    ja: `ロック ${path} を取得できませんでした`,
  });
}
