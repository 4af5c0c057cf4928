/**
 * The demo's counter terminal: a terminal agent (packages/terminal) for the demo
 * terminal whose reader holds an emulated card of its own (demo/counter-card.json),
 * so the operator console's 窓口 screen reads and loads a card with nothing else
 * to start. It goes the way a real counter PC does, through the public API: enrol
 * a key pair, approved by the demo provider's administrator (the demo operator),
 * then one socket to the server. An agent left from an earlier start is revoked
 * first (its database may be gone; its key is replaced).
 */
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InProcessChannel } from '@myna-ap/transport';
import { loadCardFile, saveCardFile } from '@myna-ap/card';
import { enrol, loadIdentity, TerminalAgent } from '@myna-ap/terminal';
import { DEFAULT_HOLDER, makeCardFile } from './card.ts';

export interface DemoTerminal {
  readonly cardFile: string;
  /** True when the card file was made by this start. */
  readonly cardMade: boolean;
  stop(): Promise<void>;
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

async function post(server: string, path: string, token: string, body: unknown): Promise<Response> {
  return fetch(new URL(path, server), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}

export async function startDemoTerminal(o: {
  readonly server: string;
  readonly terminalId: string;
  /** The demo administrator's token (approves the enrolment). */
  readonly token: string;
  /** Where the agent's identity lives (MYNA_HOME/demo-terminal). */
  readonly identityDir: string;
  /** The folder of the demo's card files (./demo). */
  readonly cardDir: string;
}): Promise<DemoTerminal> {
  const cardFile = join(o.cardDir, 'counter-card.json');
  const cardMade = !(await exists(cardFile));
  if (cardMade) {
    await mkdir(o.cardDir, { recursive: true });
    await makeCardFile({ out: cardFile, holder: { ...DEFAULT_HOLDER, name: '窓口 太郎' } });
  }
  try {
    const old = await loadIdentity(o.identityDir);
    await post(o.server, `/terminal/agents/${old.agentId}/revoke`, o.token, {});
  } catch {
    // none yet, or unreadable: enrol below replaces it
  }
  const { code } = await enrol({
    server: o.server,
    terminalId: o.terminalId,
    dir: o.identityDir,
    force: true,
  });
  const approved = await post(o.server, '/terminal/approve', o.token, { code });
  if (!approved.ok) {
    throw new Error(`the demo terminal's enrolment was not approved: HTTP ${approved.status}`);
  }
  const identity = await loadIdentity(o.identityDir);
  const card = await loadCardFile(cardFile);
  const reader = new InProcessChannel(card);
  let saved = card.generation;
  let saving = Promise.resolve();
  const save = () => {
    if (card.generation === saved) return saving;
    saved = card.generation;
    saving = saving.then(() => saveCardFile(cardFile, card));
    return saving;
  };
  const agent = new TerminalAgent({
    identity,
    reader,
    onEvent: (e) => {
      if (e.kind === 'ended') void save();
    },
  });
  agent.start();
  return {
    cardFile,
    cardMade,
    async stop() {
      await agent.stop();
      await save();
      await reader.close();
    },
  };
}
