/** Every CLI verb. Add a module's array here to register its commands. */
import type { CliCommand } from '../command.ts';

export const commands: readonly CliCommand[] = [];
