/**
 * Reads per second of the card AP access module: a type C user ID (no keys) and
 * a type D card AP (serial, mutual authentication, VERIFY of the system-fixed
 * PIN, the level-33 encrypted read), in process and through pcscd + vpcd, each
 * read a new connection as a touch at a counter is. Beside them, the peer for
 * the type C read over PC/SC: `opensc-tool` sending the same SELECT and READ
 * BINARY (one process per read, as a script would). Load average printed: the
 * machine is shared. Writes bench/RESULTS.md.
 */
import { execFile } from 'node:child_process';
import { loadavg, platform } from 'node:os';
import {
  InProcessChannel,
  clearLoopbackQuickack,
  ensureLoopbackQuickack,
  loopbackQuickackState,
  pcscSkipReason,
  startPcscStack,
  type CardChannel,
} from '@myna-ap/transport';
import { connectCardAp, openCardReader, type CardApReadOptions } from '@myna-ap/access';
import { TEST_CARD_AP_AID, TEST_USER_ID, cardWithCardAps } from '@myna-ap/access/testing';
import { machine, ms, ratio, summarize, writeResults, type Summary } from './stats.ts';

const SECONDS = Number(process.env.MYNA_ACCESS_BENCH_SECONDS ?? 3);
const load = () => loadavg()[0]!.toFixed(1);
const loadAtStart = load();

interface Rate {
  readonly reads: number;
  readonly perSecond: number;
  readonly each: Summary;
  readonly apdus: number;
}

/** Reads for `seconds` (at least 5), a new connection each, after a short warm-up. */
async function rate(ch: CardChannel, o: CardApReadOptions, seconds: number): Promise<Rate> {
  let apdus = 0;
  for (let i = 0; i < 5; i++) await connectCardAp(ch, o);
  const t: number[] = [];
  const start = performance.now();
  while (t.length < 5 || performance.now() - start < seconds * 1000) {
    const s = performance.now();
    const c = await connectCardAp(ch, o);
    t.push(performance.now() - s);
    if (c.userId !== TEST_USER_ID) throw new Error(`read ${c.userId}`);
    apdus = c.apduCount;
  }
  const total = performance.now() - start;
  return { reads: t.length, perSecond: (t.length * 1000) / total, each: summarize(t), apdus };
}

function openscRead(aid: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = performance.now();
    const select = `00:A4:04:0C:${(aid.length / 2).toString(16).padStart(2, '0')}:${aid.match(/../g)!.join(':')}`;
    execFile(
      'opensc-tool',
      ['--reader', '0', '-s', select, '-s', '00:B0:00:00:00'],
      { timeout: 60_000 },
      (err, out, stderr) => {
        if (err) reject(new Error(`opensc-tool: ${stderr || err.message}`));
        else if (!out.toUpperCase().includes(TEST_USER_ID.match(/../g)!.join(' ')))
          reject(new Error(`opensc-tool read no user ID:\n${out}`));
        else resolve(performance.now() - s);
      },
    );
  });
}

const { card, keyPackages } = await cardWithCardAps();
const C: CardApReadOptions = { aid: TEST_CARD_AP_AID.C };
const D: CardApReadOptions = { aid: TEST_CARD_AP_AID.D, keyPackage: keyPackages.D };

const inproc = new InProcessChannel(card);
const inC = await rate(inproc, C, SECONDS);
const inD = await rate(inproc, D, SECONDS);

const row = (path: string, what: string, r: Rate) =>
  `| ${path} | ${what} | ${r.perSecond.toFixed(0)} | ${ms(r.each.median)} | ${ms(r.each.p99)} | ${r.apdus} | ${r.reads} |`;
const rows = [
  row('in process', 'type C user ID', inC),
  row('in process', 'type D (channel, level 33)', inD),
];
const notes: string[] = [];

const skip = await pcscSkipReason({ opensc: true });
if (skip) {
  notes.push(`- PC/SC part skipped: ${skip}.`);
} else {
  const stack = await startPcscStack();
  let setQuickack = false;
  try {
    await stack.insert(card, 0);
    const on = platform() === 'linux' && (await loopbackQuickackState().catch(() => false));
    if (!on && process.getuid?.() === 0 && platform() === 'linux') {
      await ensureLoopbackQuickack();
      setQuickack = true;
    }
    const quick = on || setQuickack;
    const ch = await openCardReader({ reader: 0 });
    let pcC: Rate;
    let pcD: Rate;
    try {
      pcC = await rate(ch, C, SECONDS);
      pcD = await rate(ch, D, SECONDS);
    } finally {
      await ch.close();
    }
    const tool: number[] = [];
    for (let i = 0; i < 2; i++) await openscRead(TEST_CARD_AP_AID.C);
    const t0 = performance.now();
    while (tool.length < 5 || performance.now() - t0 < SECONDS * 1000) {
      tool.push(await openscRead(TEST_CARD_AP_AID.C));
    }
    const toolSum = summarize(tool);
    const toolRate = (tool.length * 1000) / (performance.now() - t0);
    const via = `pcscd + vpcd${quick ? ', quickack' : ''}`;
    rows.push(row(via, 'type C user ID', pcC), row(via, 'type D (channel, level 33)', pcD));
    rows.push(
      `| ${via} | type C, \`opensc-tool -s SELECT -s READ\` (a process per read) | ${toolRate.toFixed(0)} | ${ms(toolSum.median)} | ${ms(toolSum.p99)} | 2 | ${tool.length} |`,
    );
    notes.push(
      `- Type C over PC/SC: ours ${ratio(pcC.perSecond, toolRate)} the reads/s of opensc-tool (which starts a process and binds a driver per read); in process ${ratio(inC.perSecond, pcC.perSecond)} the PC/SC rate.`,
      `- Type D costs ${ratio(inC.perSecond, inD.perSecond)} type C in process and ${ratio(pcC.perSecond, pcD.perSecond)} over PC/SC: ${pcD.apdus} APDUs (SELECT with FCI, the 共通カードAP's serial, SELECT, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, VERIFY, two encrypted 200-byte READ BINARY) against ${pcC.apdus}, and the SCP03 cryptography. No peer reads a type D card AP (its channel is ours).`,
    );
    if (!quick)
      notes.push('- Loopback quickack not set: PC/SC figures carry delayed ACKs (docs/pcsc.md).');
  } finally {
    if (setQuickack) await clearLoopbackQuickack().catch(() => {});
    await stack.stop();
  }
}

const md = [
  '## Card AP access module: reads per second (bench/access.bench.ts)',
  '',
  `Machine: ${machine()}; load average ${loadAtStart} at the start, ${load()} at the end (a shared machine: rates fall as the load rises). Command: \`npm run bench -- access\` (${SECONDS} s per row, MYNA_ACCESS_BENCH_SECONDS). Date: ${new Date().toISOString().slice(0, 10)}.`,
  '',
  'Each read is a new connection, as a touch at a counter is: `connectCardAp` from the first SELECT to the user ID (type D: the whole 255-byte card AP).',
  '',
  '| path | read | reads/s | median | p99 | APDUs | reads |',
  '|---|---|---|---|---|---|---|',
  ...rows,
  '',
  ...notes,
].join('\n');
console.log(md);
await writeResults('access', md);
