/** Every CLI verb. Add a module's array here to register its commands. */
import type { CliCommand } from '../command.ts';
import { cardCommands } from './card.ts';
import { demoCommands } from './demo.ts';
import { readersCommands } from './readers.ts';
import { insertCommands } from './insert.ts';
import { readCommands } from './read.ts';
import { serveCommands } from './serve.ts';
import { providerCommands } from './provider.ts';
import { apCommands } from './ap.ts';
import { operatorCommands } from './operator.ts';
import { pkiCommands } from './pki.ts';
import { feedCommands } from './feed.ts';
import { cardJobCommands } from './cardJobs.ts';

export const commands: readonly CliCommand[] = [
  ...cardCommands,
  ...demoCommands,
  ...readersCommands,
  ...insertCommands,
  ...readCommands,
  ...serveCommands,
  ...providerCommands,
  ...apCommands,
  ...operatorCommands,
  ...pkiCommands,
  ...feedCommands,
  ...cardJobCommands,
];
