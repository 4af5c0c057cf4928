/**
 * The terminal agent at a counter (@myna-ap/terminal):
 *
 * - `myna terminal enrol --server URL --terminal ID`: makes the terminal's key
 *   pair (private key in a 0600 file) and prints the code an administrator approves;
 * - `myna terminal approve CODE` / `myna terminal revoke AGENT_ID`: the administrator's side;
 * - `myna terminal run (--card FILE | --reader N)`: one WebSocket to the server,
 *   opened with a signature of the enrolled key (no operator password); the card
 *   is a card file (emulated in this process, written back after each job) or a
 *   card in a PC/SC reader (the vpcd reader included). Runs until Ctrl-C / SIGTERM
 *   (as a service: docs/terminal.md).
 */
import { loadCardFile, saveCardFile, CardImageError, type Card } from '@myna-ap/card';
import { InProcessChannel, type CardChannel } from '@myna-ap/transport';
import {
  TerminalAgent,
  TerminalError,
  enrol,
  loadIdentity,
  type AgentEvent,
  type AgentIdentity,
} from '@myna-ap/terminal';
import { CliError, type CliCommand, type CliIo } from '../command.ts';
import { t } from '../i18n.ts';
import { SERVER_OPTIONS, api, need, str, untilSignal } from './serve.ts';
import { openCardSource } from './read.ts';

function say(io: CliIo, e: AgentEvent): void {
  switch (e.kind) {
    case 'connected':
      return io.out(t({ en: 'connected to the server', ja: 'サーバに接続しました' }));
    case 'pending':
      return io.err(
        t({
          en: `waiting for an administrator to approve this terminal (myna terminal approve CODE); trying again in ${e.retryInMs} ms`,
          ja: `管理者の承認待ちです（myna terminal approve コード）。${e.retryInMs} ミリ秒後に再試行します`,
        }),
      );
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
  usage: '(--card FILE | --reader N) [--dir DIR]   (after myna terminal enrol)',
  options: {
    dir: { type: 'string' },
    card: { type: 'string' },
    reader: { type: 'string' },
  },
  async run({ values }, io) {
    let identity: AgentIdentity;
    try {
      identity = await loadIdentity(str(values.dir));
    } catch (e) {
      throw e instanceof TerminalError ? new CliError(e.text) : e;
    }
    const terminalId = identity.terminalId;
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
      identity,
      reader,
      onEvent: (e) => {
        say(io, e);
        if (e.kind === 'ended') void save();
        if (e.kind === 'stopped' && e.why !== 'asked') stopped();
      },
    });
    io.out(
      t({
        en: `terminal ${terminalId}: agent for ${file ?? `reader ${String(values.reader)}`} → ${identity.server}`,
        ja: `端末 ${terminalId}: ${file ?? `リーダ ${String(values.reader)}`} のエージェント → ${identity.server}`,
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

const enrolCmd: CliCommand = {
  path: ['terminal', 'enrol'],
  summary: {
    en: 'make this terminal’s key pair and ask the server to enrol it; prints the code an administrator approves',
    ja: 'この端末の鍵ペアを作成してサーバに登録を申請し、管理者が承認するコードを表示',
  },
  usage: '--server URL --terminal ID [--dir DIR] [--force]',
  options: {
    server: { type: 'string' },
    terminal: { type: 'string' },
    dir: { type: 'string' },
    force: { type: 'boolean' },
  },
  async run({ values }, io) {
    const server = need(values.server, 'server');
    const terminalId = need(values.terminal, 'terminal');
    let r;
    try {
      r = await enrol({
        server,
        terminalId,
        ...(str(values.dir) ? { dir: str(values.dir)! } : {}),
        force: values.force === true,
      });
    } catch (e) {
      throw e instanceof TerminalError ? new CliError(e.text) : e;
    }
    io.out(
      t({
        en: `terminal ${terminalId}: key pair in ${r.dir} (agent ${r.agentId})`,
        ja: `端末 ${terminalId}: 鍵ペアを ${r.dir} に保存しました（エージェント ${r.agentId}）`,
      }),
    );
    io.out(
      t({
        en: `approval code: ${r.code}   (an administrator runs: myna terminal approve ${r.code})`,
        ja: `承認コード: ${r.code}   （管理者が myna terminal approve ${r.code} を実行します）`,
      }),
    );
    return 0;
  },
};

async function post(
  values: Record<string, unknown>,
  path: string,
): Promise<Record<string, unknown>> {
  return api(values, async (c) => {
    // The terminal mount's routes are not in the loader's contract table: a plain call.
    const res = await fetch(c.base + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${c.token ?? ''}`, 'content-type': 'application/json' },
      body: JSON.stringify(path.endsWith('/approve') ? { code: values.code } : {}),
    });
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok) {
      const m = (body.message as { en: string; ja: string } | undefined) ?? {
        en: `HTTP ${res.status}`,
        ja: `HTTP ${res.status}`,
      };
      throw new CliError({
        en: `${m.en} [${String(body.code)}]`,
        ja: `${m.ja} [${String(body.code)}]`,
      });
    }
    return body;
  });
}

const approve: CliCommand = {
  path: ['terminal', 'approve'],
  summary: {
    en: 'approve a terminal agent’s enrolment by the code it printed (administrator)',
    ja: '端末エージェントの登録を表示された承認コードで承認（管理者）',
  },
  usage: 'CODE [--server URL]',
  options: { ...SERVER_OPTIONS },
  positionals: true,
  async run({ values, positionals }, io) {
    const code = positionals[0];
    if (!code)
      throw new CliError({ en: 'give the approval code', ja: '承認コードを指定してください' }, 2);
    const r = await post({ ...values, code }, '/terminal/approve');
    io.out(
      t({
        en: `approved: agent ${String(r.agentId)} of terminal ${String(r.terminalId)}`,
        ja: `承認しました: 端末 ${String(r.terminalId)} のエージェント ${String(r.agentId)}`,
      }),
    );
    return 0;
  },
};

const revoke: CliCommand = {
  path: ['terminal', 'revoke'],
  summary: {
    en: 'revoke a terminal agent for good; its open connection is closed at once (administrator)',
    ja: '端末エージェントを失効（接続中なら即時切断）（管理者）',
  },
  usage: 'AGENT_ID [--server URL]',
  options: { ...SERVER_OPTIONS },
  positionals: true,
  async run({ values, positionals }, io) {
    const id = positionals[0];
    if (!id || !/^ta_[0-9a-f]{24}$/.test(id)) {
      throw new CliError(
        { en: 'give the agent id (ta_…)', ja: 'エージェントID（ta_…）を指定してください' },
        2,
      );
    }
    const r = await post(values, `/terminal/agents/${id}/revoke`);
    io.out(
      t({
        en: `revoked: agent ${String(r.agentId)} of terminal ${String(r.terminalId)}`,
        ja: `失効しました: 端末 ${String(r.terminalId)} のエージェント ${String(r.agentId)}`,
      }),
    );
    return 0;
  },
};

export const terminalAgentCommands: readonly CliCommand[] = [enrolCmd, approve, revoke, run];
