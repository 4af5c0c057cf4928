/** `myna card insert`, `myna readers` and `myna read --reader` through pcscd + vpcd. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCardImage, saveCardImage } from '@myna-ap/card';
import { listReaders, pcscSkipReason, pollUntil, startPcscStack } from '@myna-ap/transport';
import { main } from '../src/main.ts';
import { insertCard } from '../src/commands/insert.ts';
import { issued } from '@myna-ap/access/testing';

const skip = await pcscSkipReason();

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  process.env.MYNA_LANG = 'en';
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test(
  'card insert keeps the card in the reader, readers/read see it, writes are saved',
  { skip },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'myna-insert-'));
    const stack = await startPcscStack();
    const ac = new AbortController();
    let done: Promise<void> | undefined;
    try {
      const path = join(dir, 'my.card');
      await saveCardImage(path, (await issued()).image);
      const lines: string[] = [];
      let ready!: () => void;
      const isReady = new Promise<void>((r) => (ready = r));
      const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
      done = insertCard(path, { reader: 1, signal: ac.signal, io, onReady: () => ready() });
      await isReady;
      // The bridge is connected; pcscd notices the card on its next poll of the reader.
      await pollUntil('card in reader 1', async () =>
        (await listReaders()).find((r) => r.index === 1 && r.present),
      );

      const readers = await cli(['readers']);
      assert.equal(readers.code, 0, readers.err);
      assert.match(
        readers.out,
        /1 +Virtual PCD 00 01 +card +3BE000FF8131FE4514 \(My Number Card\)/,
      );
      const read = await cli(['read', '--reader', 'Virtual PCD 00 01', '--pin', '1234']);
      assert.equal(read.code, 0, read.err);
      assert.match(read.out, /address: 東京都千代田区千代田1番1号/);
      const wrong = await cli(['read', '--reader', '1', '--pin', '0000']);
      assert.equal(wrong.code, 1);
      assert.match(wrong.err, /2 tries left/);
      const empty = await cli(['read', '--reader', '0']);
      assert.equal(empty.code, 1);
      assert.match(empty.err, /no card in reader Virtual PCD 00 00/);

      ac.abort();
      await done;
      assert.ok(lines.some((l) => /card is in the reader/.test(l)));
      assert.ok(lines.some((l) => /card removed/.test(l)));
      // The wrong PIN reached the file when the card counted it down.
      assert.equal((await loadCardImage(path)).text.pins['0011']?.triesLeft, 2);
      assert.equal((await cli(['read', '--reader', '1'])).code, 1);
    } finally {
      ac.abort(); // never leave the card in: its reconnect loop would keep the process alive
      await done?.catch(() => undefined);
      await stack.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
);
