/**
 * A real loading counter for the browser tests: the loader server as `myna serve`
 * starts it (PGlite on disk, migrations, first platform operator, the console
 * under /console/), the demo of `npm start` seeded into it, a type D card AP
 * beside the demo's type C, emulated cards, and the terminal's relay in this
 * process: it takes the card jobs the console hands to the terminal and relays
 * their APDUs to whichever card is "in the reader".
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { toHex, type AreaName } from '@myna-ap/apdu';
import { Card, createCard, generateCardKeys, newFreeAreas, type CardImage } from '@myna-ap/card';
import { JpkiIssuer } from '@myna-ap/pki';
import {
  ApiClient,
  consoleMounts,
  login,
  seedDemo,
  startServer,
  terminalChannelMount,
  type DemoInfo,
  type RunningServer,
  type TerminalChannels,
} from '@myna-ap/loader';
import type { Job } from '@myna-ap/loader/contract';

/** The console as `npm run build` (the root prepare) left it. */
export const CONSOLE_DIST = fileURLToPath(new URL('../dist/', import.meta.url));

export const PLATFORM_PASSWORD = 'platform password for the console test';

export interface Counter {
  readonly url: string;
  readonly server: RunningServer;
  readonly demo: DemoInfo;
  /** The demo operator's password (as `npm start` keeps it in demo.json). */
  readonly password: string;
  readonly typeD: string;
  /** Puts a card in the reader (undefined: the reader is empty). */
  insert(card: Card | undefined): void;
  /** Makes an emulated card of the demo holder (千代田区), optionally with small free areas. */
  newCard(capacity?: Partial<Record<AreaName, number>>): Promise<Card>;
  /** A terminal agent's enrolment as `myna terminal enrol` makes it: its id and approval code. */
  enrolAgent(terminalId: string): Promise<{ agentId: string; code: string }>;
  /** Relays the card jobs of another terminal too, logged in as an operator working there. */
  relayAt(terminalId: string, operator: string, password: string): Promise<void>;
  /** Card jobs the relay has finished. */
  readonly relayed: string[];
  close(): Promise<void>;
}

let base: Promise<CardImage> | undefined;
function baseImage(): Promise<CardImage> {
  base ??= (async () => {
    const made = await createCard({
      holder: {
        name: '番号 花子',
        address: '東京都千代田区千代田1番1号',
        birthDate: '1990-01-01',
        sex: '2',
      },
      certificates: await JpkiIssuer.createInMemory(),
      keys: await generateCardKeys(),
    });
    return made.image;
  })();
  return base;
}

async function newCard(capacity?: Partial<Record<AreaName, number>>): Promise<Card> {
  const img = structuredClone(await baseImage());
  const serial = new Uint8Array(randomBytes(16));
  (img.common as { files: Record<string, string> }).files['0001'] = toHex(serial);
  return Card.fromImage({
    ...img,
    freeAreas: newFreeAreas({ cardId: serial, ...(capacity ? { capacity } : {}) }),
  });
}

/**
 * `relay: false` leaves the counter's PC to a real terminal agent (`myna terminal
 * run`, test/browserAgent.test.ts): nothing in this process takes its card jobs.
 */
export async function startCounter(o: { relay?: boolean } = {}): Promise<Counter> {
  const dir = await mkdtemp(join(tmpdir(), 'myna-console-'));
  let channels: TerminalChannels | undefined;
  const server = await startServer({
    port: 0,
    dataDir: join(dir, 'db'),
    keysFile: join(dir, 'keys', 'loader-keys.json'),
    adminPassword: PLATFORM_PASSWORD,
    // As `myna serve` mounts them: the console's, and the terminal channel, to which
    // a hand-off goes at once when the terminal's agent is connected.
    mounts: [
      ...consoleMounts(CONSOLE_DIST, { terminalRelay: () => channels }),
      terminalChannelMount((c) => (channels = c)),
    ],
  });
  const demo = await seedDemo(server.ctx, join(dir, 'demo.json'));
  const password = (
    JSON.parse(await readFile(join(dir, 'demo.json'), 'utf8')) as {
      password: string;
    }
  ).password;
  // A type D card AP (local area, system-fixed PIN) beside the demo's type C.
  const platform = new ApiClient(
    server.url,
    (await login(server.ctx, 'admin', PLATFORM_PASSWORD)).token,
  );
  const admin = new ApiClient(server.url, demo.login.token);
  const d = await admin.call('requestCardAp', {
    body: {
      providerId: demo.providerId,
      name: 'タクシー運賃助成 (taxi fare subsidy)',
      type: 'D',
      areas: ['local'],
      size: 64,
      pin: { fixed: true, tries: 5 },
    },
  });
  await platform.call('approveCardAp', { params: { id: d.id }, body: {} });

  // The terminal's relay: one loop per terminal, logged in as an operator working there
  // (the demo operator at demo-counter, and any `relayAt` adds).
  let card: Card | undefined;
  const relayed: string[] = [];
  let stopped = false;
  const relayLoop = async (terminalId: string, token: string) => {
    const client = new ApiClient(server.url, token);
    const relayOne = async (id: string) => {
      let j: Job = await client.call('getJob', { params: { id } });
      while (j.state === 'running' && j.command !== undefined) {
        const answer = card
          ? { seq: j.seq, response: toHex(card.transmit(Buffer.from(j.command, 'hex'))) }
          : { seq: j.seq, error: 'CARD_REMOVED' as const };
        j = await client.call('exchange', { params: { id }, body: answer });
      }
      relayed.push(id);
    };
    while (!stopped) {
      try {
        // The hand-off is the console's mount, not a contract operation of the API.
        const res = await fetch(`${server.url}/v1/terminals/${terminalId}/handoff`, {
          headers: { authorization: `Bearer ${token}` },
        });
        if (!res.ok) throw new Error(`handoff: HTTP ${res.status} ${await res.text()}`);
        const { jobIds } = (await res.json()) as { jobIds: string[] };
        for (const id of jobIds) await relayOne(id);
      } catch (e) {
        if (!stopped) console.error('relay:', (e as Error).message);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const loops: Promise<void>[] = [];
  if (o.relay !== false) {
    loops.push(
      relayLoop(demo.terminalId, (await login(server.ctx, demo.operator, password)).token),
    );
  }

  return {
    url: server.url,
    server,
    demo,
    password,
    typeD: d.id,
    insert: (c) => (card = c),
    newCard,
    relayed,
    relayAt: async (terminalId, operator, pw) => {
      loops.push(relayLoop(terminalId, (await login(server.ctx, operator, pw)).token));
    },
    enrolAgent: async (terminalId) => {
      const { publicKey } = generateKeyPairSync('ed25519');
      const der = publicKey.export({ type: 'spki', format: 'der' });
      const res = await fetch(`${server.url}/terminal/enrol`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ terminalId, publicKey: der.toString('hex') }),
      });
      if (res.status !== 201) throw new Error(`enrol: HTTP ${res.status} ${await res.text()}`);
      return (await res.json()) as { agentId: string; code: string };
    },
    async close() {
      stopped = true;
      await Promise.all(loops);
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
