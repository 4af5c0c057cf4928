/**
 * `npm run door -w apps/staff-entry`: one door terminal on this machine's PC/SC
 * reader. Each Enter reads the card on the reader; at a secure room it asks for the
 * card AP PIN on the terminal (sent to the card only). Settings from the environment:
 *
 *   STAFF_SERVER (http://127.0.0.1:8392), STAFF_TERMINAL_TOKEN (from the admin page; required)
 *   STAFF_TOUCH_KEYS, STAFF_PIN_KEYS   the two key packages' files (mode 0600; required)
 *   STAFF_READER                       the PC/SC reader (index, name or part of it)
 */
import { createInterface } from 'node:readline/promises';
import { openCardReader, readKeyPackageFile } from '@myna-ap/access';
import { StaffError } from './errors.ts';
import { DoorTerminal } from './terminal.ts';

const env = process.env;

async function main(): Promise<void> {
  const token = env.STAFF_TERMINAL_TOKEN ?? '';
  if (!token || !env.STAFF_TOUCH_KEYS || !env.STAFF_PIN_KEYS) {
    console.error(
      'staff-entry door: STAFF_TERMINAL_TOKEN, STAFF_TOUCH_KEYS, STAFF_PIN_KEYS を設定してください / set STAFF_TERMINAL_TOKEN, STAFF_TOUCH_KEYS and STAFF_PIN_KEYS',
    );
    process.exit(2);
  }
  const terminal = new DoorTerminal({
    server: env.STAFF_SERVER ?? 'http://127.0.0.1:8392',
    token,
    touchKeys: await readKeyPackageFile(env.STAFF_TOUCH_KEYS),
    pinKeys: await readKeyPackageFile(env.STAFF_PIN_KEYS),
  });
  const door = await terminal.door();
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  console.log(
    `${door.name} (${door.doorId}, ${door.level === 'secure' ? 'セキュリティ区画' : '一般'})`,
  );
  const reader = env.STAFF_READER;
  for (;;) {
    await rl.question('カードを置いて Enter / put the card on the reader, Enter: ');
    const channel = await openCardReader(
      reader === undefined || reader === ''
        ? {}
        : { reader: /^\d+$/.test(reader) ? Number(reader) : reader },
    ).catch((e: unknown) => {
      console.error(String(e));
      return undefined;
    });
    if (!channel) continue;
    try {
      const a = await terminal.touch(channel, () => rl.question('カードAPのPIN / card AP PIN: '));
      console.log(`${a.opened ? '解錠 OPEN' : '拒否 REFUSED'} — ${a.message.ja} / ${a.message.en}`);
    } catch (e) {
      const t = e instanceof StaffError ? e.text : { ja: String(e), en: String(e) };
      console.log(`拒否 REFUSED — ${t.ja} / ${t.en}`);
    } finally {
      await channel.close().catch(() => {});
    }
  }
}

main().catch((e: unknown) => {
  const t = e instanceof StaffError ? e.text : { en: String(e), ja: String(e) };
  console.error(`staff-entry door: ${t.ja}\nstaff-entry door: ${t.en}`);
  process.exit(2);
});
