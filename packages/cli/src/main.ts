/** `myna` — one command line for every part of myna-ap. */
import { parseArgs } from 'node:util';
import { CliError, type CliCommand, type CliIo } from './command.ts';
import { currentLang, t } from './i18n.ts';
import { loadCommand, type CommandEntry } from './commands/index.ts';
import { manifest } from './commands/manifest.ts';

const defaultIo: CliIo = {
  out: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
};

function find(argv: readonly string[]): { cmd: CommandEntry; rest: string[] } | undefined {
  let best: { cmd: CommandEntry; rest: string[] } | undefined;
  for (const cmd of manifest) {
    const n = cmd.path.length;
    if (argv.length >= n && cmd.path.every((w, i) => argv[i] === w)) {
      if (!best || n > best.cmd.path.length) best = { cmd, rest: argv.slice(n) };
    }
  }
  return best;
}

/** The commands whose path starts with `group` (a command group such as `pki`). */
function groupOf(group: readonly string[]): CommandEntry[] {
  return manifest.filter(
    (c) => c.path.length > group.length && group.every((w, i) => c.path[i] === w),
  );
}

/** The list of commands — all of them, or those of one group (`myna pki --help`). */
export function usage(group: readonly string[] = []): string {
  const lang = currentLang();
  const cmds = group.length === 0 ? manifest : groupOf(group);
  const what = group.length === 0 ? '<command>' : `${group.join(' ')} <command>`;
  const lines = [
    lang === 'ja'
      ? `使い方: myna ${what.replace('<command>', '<コマンド>')} [オプション]`
      : `usage: myna ${what} [options]`,
    '',
  ];
  const width = Math.max(...cmds.map((c) => c.path.join(' ').length));
  for (const c of cmds) lines.push(`  ${c.path.join(' ').padEnd(width)}  ${t(c.summary, lang)}`);
  lines.push(
    '',
    lang === 'ja' ? '各コマンドの詳細: myna <コマンド> --help' : 'details: myna <command> --help',
  );
  return lines.join('\n');
}

/** The longest command group that argv starts with (`pki` for `myna pki bogus`). */
function findGroup(argv: readonly string[]): string[] {
  const words = argv.filter((a) => !a.startsWith('-'));
  for (let n = words.length; n > 0; n--) {
    const group = words.slice(0, n);
    if (argv.slice(0, n).join(' ') === group.join(' ') && groupOf(group).length > 0) return group;
  }
  return [];
}

function commandHelp(cmd: Pick<CommandEntry, 'path' | 'summary' | 'usage'>): string {
  const lines = [`myna ${cmd.path.join(' ')} ${cmd.usage}`.trimEnd(), '', t(cmd.summary)];
  return lines.join('\n');
}

export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.out(usage());
    return 0;
  }
  const found = find(argv);
  const help = (rest: readonly string[]) => rest.includes('--help') || rest.includes('-h');
  // A group's own words (`myna pki`, `myna pki --help`) list the group's commands.
  const group = findGroup(argv);
  if (group.length > 0 && (!found || found.cmd.path.length < group.length)) {
    const rest = argv.slice(group.length);
    if (help(rest)) {
      io.out(usage(group));
      return 0;
    }
    const what = argv.join(' ');
    io.err(
      rest.length === 0
        ? usage(group)
        : t({
            en: `myna: unknown command "${what}"\n\n${usage(group)}`,
            ja: `myna: 不明なコマンド「${what}」\n\n${usage(group)}`,
          }),
    );
    return 2;
  }
  if (!found) {
    io.err(
      t({
        en: `myna: unknown command "${argv.join(' ')}"\n\n${usage()}`,
        ja: `myna: 不明なコマンド「${argv.join(' ')}」\n\n${usage()}`,
      }),
    );
    return 2;
  }
  const { rest } = found;
  if (help(rest)) {
    io.out(commandHelp(found.cmd));
    return 0;
  }
  const cmd: CliCommand = await loadCommand(found.cmd);
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
