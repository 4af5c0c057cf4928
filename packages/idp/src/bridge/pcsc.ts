/**
 * A PC/SC reader as the bridge's card source: the card is connected for each
 * operation (exclusive) and let go after it, so the holder may take it away
 * between two and other programs may use the reader.
 */
import { PcscChannel, chooseReader, listReaders, type CardChannel } from '@myna-ap/transport';
import type { CardSource } from './agent.ts';

export function pcscSource(reader?: string): CardSource {
  return {
    async open() {
      const info = chooseReader(await listReaders(), reader);
      // Extended Le only where it is known to work end to end (vpcd).
      const extended = info.name.startsWith('Virtual PCD');
      return PcscChannel.open({ reader: info.name, maxResponseLength: extended ? 65535 : 256 });
    },
    async release(channel: CardChannel) {
      await channel.close();
    },
  };
}
