/** `myna` — one command line for every part of myna-ap. */
import { parseArgs } from 'node:util';
import { CliError, type CliCommand, type CliIo } from './command.ts';
import { currentLang, t } from './i18n.ts';
import { commands } from './commands/index.ts';

const defaultIo: CliIo = {
  out: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
};

function find(argv: readonly string[]): { cmd: CliCommand; rest: string[] } | undefined {
  let best: { cmd: CliCommand; rest: string[] } | undefined;
  for (const cmd of commands) {
    const n = cmd.path.length;
    if (argv.length >= n && cmd.path.every((w, i) => argv[i] === w)) {
      if (!best || n > best.cmd.path.length) best = { cmd, rest: argv.slice(n) };
    }
  }
  return best;
}

export function usage(): string {
  const lang = currentLang();
  const lines = [
    lang === 'ja' ? '使い方: myna <コマンド> [オプション]' : 'usage: myna <command> [options]',
    '',
  ];
  const width = Math.max(...commands.map((c) => c.path.join(' ').length));
  for (const c of commands)
    lines.push(`  ${c.path.join(' ').padEnd(width)}  ${t(c.summary, lang)}`);
  lines.push(
    '',
    lang === 'ja' ? '各コマンドの詳細: myna <コマンド> --help' : 'details: myna <command> --help',
  );
  return lines.join('\n');
}

function commandHelp(cmd: CliCommand): string {
  const lines = [`myna ${cmd.path.join(' ')} ${cmd.usage}`.trimEnd(), '', t(cmd.summary)];
  return lines.join('\n');
}

export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.out(usage());
    return 0;
  }
  const found = find(argv);
  if (!found) {
    io.err(
      t({
        en: `myna: unknown command "${argv.join(' ')}"\n\n${usage()}`,
        ja: `myna: 不明なコマンド「${argv.join(' ')}」\n\n${usage()}`,
      }),
    );
    return 2;
  }
  const { cmd, rest } = found;
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(commandHelp(cmd));
    return 0;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: cmd.options,
      allowPositionals: cmd.positionals ?? false,
      strict: true,
    });
  } catch (e) {
    io.err(`myna ${cmd.path.join(' ')}: ${(e as Error).message}\n\n${commandHelp(cmd)}`);
    return 2;
  }
  try {
    return await cmd.run(
      { values: parsed.values as Record<string, unknown>, positionals: parsed.positionals },
      io,
    );
  } catch (e) {
    if (e instanceof CliError) {
      io.err(`myna ${cmd.path.join(' ')}: ${t(e.text)}`);
      return e.exitCode;
    }
    throw e;
  }
}
