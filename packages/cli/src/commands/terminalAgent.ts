/**
 * `myna terminal run`: the terminal agent at a counter (@myna-ap/terminal). One
 * WebSocket to the server; the card is a card file (`--card FILE`, emulated in
 * this process and written back after each job) or a card in a PC/SC reader
 * (`--reader N|NAME`, the vpcd reader included). Runs until Ctrl-C / SIGTERM
 * (as a service: docs/terminal.md).
 */
import { loadCardFile, saveCardFile, CardImageError, type Card } from '@myna-ap/card';
import { InProcessChannel, type CardChannel } from '@myna-ap/transport';
import { ApiClient, resolveTarget } from '@myna-ap/loader/client';
import { TerminalAgent, type AgentEvent } from '@myna-ap/terminal';
import { CliError, type CliCommand, type CliIo } from '../command.ts';
import { t } from '../i18n.ts';
import { str, untilSignal } from './serve.ts';
import { openCardSource } from './read.ts';

function say(io: CliIo, e: AgentEvent): void {
  switch (e.kind) {
    case 'connected':
      return io.out(t({ en: 'connected to the server', ja: 'サーバに接続しました' }));
    case 'disconnected':
      return io.err(
        t({
          en: `connection lost (${e.code}); trying again in ${e.retryInMs ?? 0} ms`,
          ja: `接続が切れました（${e.code}）。${e.retryInMs ?? 0} ミリ秒後に再接続します`,
        }),
      );
    case 'card':
      return io.out(
        e.event === 'inserted'
          ? t({
              en: `card inserted (ATR ${e.atr ?? '-'})`,
              ja: `カードが置かれました（ATR ${e.atr ?? '-'}）`,
            })
          : t({ en: 'card removed', ja: 'カードが取り除かれました' }),
      );
    case 'step':
      return io.out(
        t({
          en: `job ${e.jobId}: step ${e.seq}, ${e.commands} command(s)${e.replayed ? ' (answered again from memory)' : ''}`,
          ja: `ジョブ ${e.jobId}: ステップ ${e.seq}、コマンド ${e.commands} 件${e.replayed ? '（記憶した応答を再送）' : ''}`,
        }),
      );
    case 'ended':
      return io.out(
        t({
          en: `job ${e.jobId}: ${e.state}${e.code ? ` [${e.code}]` : ''}`,
          ja: `ジョブ ${e.jobId}: ${e.state === 'done' ? '完了' : '失敗'}${e.code ? ` [${e.code}]` : ''}`,
        }),
      );
    case 'refused':
      return io.err(`${t(e.message)} [${e.code}]`);
    case 'stopped':
      if (e.why === 'asked') return;
      return io.err(
        t(
          e.why === 'replaced'
            ? {
                en: 'another agent of this terminal connected: stopping',
                ja: 'この端末の別のエージェントが接続したため停止します',
              }
            : e.why === 'revoked'
              ? {
                  en: 'this terminal was cut off by the server',
                  ja: 'サーバによりこの端末の接続が停止されました',
                }
              : {
                  en: 'the server refused the credentials: log in again',
                  ja: 'サーバが認証情報を拒否しました。ログインし直してください',
                },
        ),
      );
  }
}

const run: CliCommand = {
  path: ['terminal', 'run'],
  summary: {
    en: 'run the terminal agent: one socket to the server, relays card jobs to the reader’s card',
    ja: '端末エージェントを起動（サーバと常時接続し、カード処理をリーダのカードへ中継）',
  },
  usage: '(--card FILE | --reader N) [--terminal ID] [--server URL]',
  options: {
    server: { type: 'string' },
    terminal: { type: 'string' },
    card: { type: 'string' },
    reader: { type: 'string' },
  },
  async run({ values }, io) {
    const target = await resolveTarget(str(values.server));
    if (!target.token) {
      throw new CliError({
        en: `not logged in to ${target.server}: run \`myna login --user NAME\` or set MYNA_TOKEN`,
        ja: `${target.server} にログインしていません。\`myna login --user 名前\` を実行するか MYNA_TOKEN を設定してください`,
      });
    }
    let terminalId = str(values.terminal) ?? process.env.MYNA_TERMINAL;
    if (!terminalId) {
      const list = (await new ApiClient(target.server, target.token).call('me')).terminals;
      if (list.length !== 1) {
        throw new CliError(
          {
            en: `say which terminal this is: --terminal ID (yours: ${list.join(', ') || 'none'})`,
            ja: `この端末を --terminal で指定してください（割当て: ${list.join('、') || 'なし'}）`,
          },
          2,
        );
      }
      terminalId = list[0]!;
    }
    let card: Card | undefined;
    let reader: CardChannel;
    const file = str(values.card);
    if (file) {
      try {
        card = await loadCardFile(file);
      } catch (e) {
        throw e instanceof CardImageError ? new CliError(e.text) : e;
      }
      reader = new InProcessChannel(card);
    } else if (values.reader !== undefined) {
      reader = await openCardSource({ reader: values.reader });
    } else {
      throw new CliError(
        {
          en: 'give --card FILE or --reader N',
          ja: '--card FILE か --reader N を指定してください',
        },
        2,
      );
    }
    let saved = card?.generation;
    const save = async () => {
      if (file && card && card.generation !== saved) {
        saved = card.generation;
        await saveCardFile(file, card);
      }
    };
    let stopped!: () => void;
    const stoppedByServer = new Promise<void>((r) => (stopped = r));
    const agent = new TerminalAgent({
      server: target.server,
      terminalId,
      token: target.token,
      reader,
      onEvent: (e) => {
        say(io, e);
        if (e.kind === 'ended') void save();
        if (e.kind === 'stopped' && e.why !== 'asked') stopped();
      },
    });
    io.out(
      t({
        en: `terminal ${terminalId}: agent for ${file ?? `reader ${String(values.reader)}`} → ${target.server}`,
        ja: `端末 ${terminalId}: ${file ?? `リーダ ${String(values.reader)}`} のエージェント → ${target.server}`,
      }),
    );
    agent.start();
    const bySignal = await Promise.race([
      untilSignal().then(() => true),
      stoppedByServer.then(() => false),
    ]);
    await agent.stop();
    await save();
    await reader.close();
    return bySignal ? 0 : 1;
  },
};

export const terminalAgentCommands: readonly CliCommand[] = [run];
