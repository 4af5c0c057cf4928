import { startPcscStack } from '@myna-ap/transport';
import { freshCard } from './fixture.ts';
import { writeFileSync } from 'node:fs';
const stack = await startPcscStack();
const card = await freshCard();
await stack.insert(card, 0, {
  onApdu: (c, r) =>
    process.env.TRACE &&
    console.log(
      '>',
      Buffer.from(c).toString('hex'),
      '<',
      Buffer.from(r).toString('hex').slice(0, 40),
    ),
});
writeFileSync('/tmp/hold.ready', 'x');
process.on('SIGTERM', async () => {
  await stack.stop();
  process.exit(0);
});
setInterval(() => {}, 1000);
