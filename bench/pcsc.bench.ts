/**
 * PC/SC latency: one short APDU in-process vs through pcscd + vpcd (with and
 * without the loopback quickack route), and reading the JPKI auth certificate
 * with our client vs OpenSC's pkcs15-tool on the same emulated card, side by
 * side: wall time and the APDUs the card saw. Writes bench/RESULTS.md.
 */
import { execFile } from 'node:child_process';
import { platform } from 'node:os';
import {
  InProcessChannel,
  PcscChannel,
  QUICKACK_COMMAND,
  clearLoopbackQuickack,
  ensureLoopbackQuickack,
  loopbackQuickackState,
  pcscSkipReason,
  startPcscStack,
  type CardChannel,
} from '@myna-ap/transport';
import { MynaClient } from '@myna-ap/access';
import { freshCard } from '@myna-ap/access/testing';
import { machine, ms, ratio, summarize, writeResults, type Summary } from './stats.ts';

const SELECT_JPKI = Uint8Array.from(Buffer.from('00a4040c0ad392f000260100000001', 'hex'));

async function apduRoundTrips(ch: CardChannel, n: number): Promise<Summary> {
  for (let i = 0; i < Math.min(200, n); i++) await ch.transmit(SELECT_JPKI); // warm-up
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await ch.transmit(SELECT_JPKI);
    t.push(performance.now() - s);
  }
  return summarize(t);
}

function runTool(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = performance.now();
    // Async: the card answers from this process's event loop.
    execFile(cmd, args, { timeout: 60_000 }, (err, _out, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`));
      else resolve(performance.now() - s);
    });
  });
}

const skip = await pcscSkipReason({ opensc: true });
const card = await freshCard();
const lines: string[] = [];
const say = (l: string) => {
  console.log(l);
  lines.push(l);
};

// In-process: the emulator behind the CardChannel interface, no reader stack.
const inproc = await apduRoundTrips(new InProcessChannel(card), 20_000);

if (skip) {
  console.log(`in-process SELECT: median ${ms(inproc.median)}, p99 ${ms(inproc.p99)}`);
  console.log(`skipping the PC/SC part: ${skip}`);
  process.exit(0);
}

const stack = await startPcscStack();
try {
  const bridge = await stack.insert(card, 0);
  const wasOn = platform() === 'linux' && (await loopbackQuickackState().catch(() => false));

  const measurePcsc = async (n: number) => {
    const ch = await PcscChannel.open({ reader: 0 });
    try {
      return await apduRoundTrips(ch, n);
    } finally {
      await ch.close();
    }
  };
  const on = wasOn ? await measurePcsc(3000) : undefined;
  let off: Summary | undefined;
  if (process.getuid?.() === 0 && platform() === 'linux') {
    // The kernel default, for comparison; the route is put back right after.
    // Root without CAP_NET_ADMIN (some containers) cannot change routes: then no comparison.
    const cleared = wasOn
      ? await clearLoopbackQuickack().then(
          () => true,
          () => false,
        )
      : true;
    try {
      if (cleared) off = await measurePcsc(40);
    } finally {
      if (wasOn) await ensureLoopbackQuickack();
    }
  } else if (!wasOn) {
    off = await measurePcsc(40);
  }

  // Reading the auth certificate (id 01, EF 000A), side by side, K runs each.
  const K = 10;
  const oursTimes: Record<string, number[]> = { extended: [], short: [] };
  const oursApdus: Record<string, number> = {};
  for (let i = 0; i < K; i++) {
    for (const [mode, max] of [
      ['extended', 65535],
      ['short', 256],
    ] as const) {
      const before = bridge.apduCount;
      const s = performance.now();
      const ch = await PcscChannel.open({ reader: 0, maxResponseLength: max });
      const c = new MynaClient(ch);
      await c.readCertificate('auth');
      await ch.close();
      oursTimes[mode]!.push(performance.now() - s);
      oursApdus[mode] = bridge.apduCount - before;
    }
  }
  // The read alone, on a channel already open (a fresh client each time, so it SELECTs the AP).
  const readOnly: number[] = [];
  {
    const ch = await PcscChannel.open({ reader: 0, maxResponseLength: 65535 });
    for (let i = 0; i < 100; i++) {
      const s = performance.now();
      await new MynaClient(ch).readCertificate('auth');
      readOnly.push(performance.now() - s);
    }
    await ch.close();
  }
  const toolTimes: number[] = [];
  let toolApdus = 0;
  for (let i = 0; i < K; i++) {
    const before = bridge.apduCount;
    toolTimes.push(
      await runTool('pkcs15-tool', ['--read-certificate', '01', '--output', '/dev/null']),
    );
    toolApdus = bridge.apduCount - before;
  }
  const cliTimes: number[] = [];
  let cliApdus = 0;
  for (let i = 0; i < 5; i++) {
    const before = bridge.apduCount;
    cliTimes.push(
      await runTool(process.execPath, ['bin/myna.mjs', 'read', '--reader', '0', '--cert', 'auth']),
    );
    cliApdus = bridge.apduCount - before;
  }
  const ext = summarize(oursTimes.extended!);
  const short = summarize(oursTimes.short!);
  const tool = summarize(toolTimes);
  const cli = summarize(cliTimes);
  const certLen = (await new MynaClient(new InProcessChannel(card)).readCertificate('auth')).length;
  // The same read in-process: what the reader stack adds on top of the card itself.
  const inprocRead: number[] = [];
  {
    const ch = new InProcessChannel(card);
    for (let i = 0; i < 1000; i++) {
      const s = performance.now();
      await new MynaClient(ch).readCertificate('auth');
      inprocRead.push(performance.now() - s);
    }
  }

  say(
    `Machine: ${machine()}. Command: \`npm run bench -- pcsc\` (as root: quickack toggled for the comparison).`,
  );
  say('');
  say('APDU round trip (SELECT JPKI AP, 15-byte command, 2-byte answer):');
  say('');
  say('| path | n | median | p99 |');
  say('|---|---|---|---|');
  say(
    `| in-process (InProcessChannel → Card) | ${inproc.n} | ${ms(inproc.median)} | ${ms(inproc.p99)} |`,
  );
  if (on) say(`| pcscd + vpcd, loopback quickack | ${on.n} | ${ms(on.median)} | ${ms(on.p99)} |`);
  if (off)
    say(
      `| pcscd + vpcd, kernel default (no quickack) | ${off.n} | ${ms(off.median)} | ${ms(off.p99)} |`,
    );
  say('');
  if (on)
    say(
      `- pcscd + vpcd with quickack costs ${ratio(on.median, inproc.median)} the in-process median.`,
    );
  if (on && off)
    say(`- quickack makes the PC/SC round trip ${ratio(off.median, on.median)} faster (median).`);
  if (!on) say(`- quickack not set: run \`${QUICKACK_COMMAND}\` as root (docs/pcsc.md).`);
  say('');
  say(
    `Reading the auth certificate (${certLen} bytes) through pcscd + vpcd, median of ${K} runs (CLI: 5):`,
  );
  say('');
  say('| reader | wall time | APDUs the card saw |');
  say('|---|---|---|');
  say(
    `| MynaClient, extended Le (open + read + close) | ${ms(ext.median)} | ${oursApdus.extended} |`,
  );
  say(
    `| MynaClient in-process (InProcessChannel; n=1000) | ${ms(summarize(inprocRead).median)} | 3 |`,
  );
  say(
    `| MynaClient, extended Le, read only (channel open; n=100) | ${ms(summarize(readOnly).median)} | 3 |`,
  );
  say(`| MynaClient, short APDUs only | ${ms(short.median)} | ${oursApdus.short} |`);
  say(`| \`pkcs15-tool --read-certificate 01\` (process) | ${ms(tool.median)} | ${toolApdus} |`);
  say(
    `| \`myna read --cert auth\` (process, incl. tsx start-up) | ${ms(cli.median)} | ${cliApdus} |`,
  );
  say('');
  say(
    `- MynaClient (extended) vs pkcs15-tool: ${ratio(tool.median, ext.median)} less time, ` +
      `${toolApdus} → ${oursApdus.extended} APDUs (pkcs15-tool's count includes its driver binding: ` +
      'probing SELECTs and the two empty VERIFYs).',
  );
  say(`- Date: ${new Date().toISOString().slice(0, 10)}.`);
  await writeResults(
    'pcsc',
    `## PC/SC: APDU latency and certificate read (bench/pcsc.bench.ts)\n\n${lines.join('\n')}`,
  );
} finally {
  await stack.stop();
}
