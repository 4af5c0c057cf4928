/**
 * `myna demo` (what `npm start` runs): makes ./demo/card.json with the default
 * test holder if it is not there yet, then says what to try next.
 */
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CliCommand } from '../command.ts';
import { t } from '../i18n.ts';
import { DEFAULT_HOLDER, describeCreated, makeCardFile } from './card.ts';

const demo: CliCommand = {
  path: ['demo'],
  summary: {
    en: 'make a demo card in ./demo and show what to try',
    ja: './demo にデモ用カードを作成し、次の操作を案内',
  },
  usage: '',
  options: {},
  async run(_args, io) {
    const dir = 'demo';
    const file = join(dir, 'card.json');
    let made = false;
    try {
      await access(file);
    } catch {
      await mkdir(dir, { recursive: true });
      const created = await makeCardFile({ out: file, holder: DEFAULT_HOLDER });
      for (const line of describeCreated(file, created, DEFAULT_HOLDER)) io.out(line);
      made = true;
    }
    if (!made) io.out(t({ en: `${file} already exists; using it`, ja: `${file} は作成済みです` }));
    io.out('');
    io.out(t({ en: 'Next, try:', ja: '次はこちらを試してください:' }));
    io.out(`  npx myna card show ${file}`);
    io.out(`  npx myna card cert ${file} auth`);
    io.out(
      `  npx myna card create --out my-card.json --name "…" --address "…" --birth 1985-04-01 --sex 1`,
    );
    return 0;
  },
};

export const demoCommands: readonly CliCommand[] = [demo];
