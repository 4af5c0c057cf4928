/**
 * Every CLI verb, loaded lazily: `myna --help` and `myna <group> --help` read only
 * the manifest (manifest.ts) and import no command module — so no server, database or
 * X.509 library is loaded to print help. A command's module is imported when it runs.
 * Add a module here to register its commands, then `npm run cli-manifest`.
 */
import type { CliCommand } from '../command.ts';

export const commandModules = {
  card: async () => (await import('./card.ts')).cardCommands,
  demo: async () => (await import('./demo.ts')).demoCommands,
  readers: async () => (await import('./readers.ts')).readersCommands,
  insert: async () => (await import('./insert.ts')).insertCommands,
  read: async () => (await import('./read.ts')).readCommands,
  serve: async () => (await import('./serve.ts')).serveCommands,
  provider: async () => (await import('./provider.ts')).providerCommands,
  ap: async () => (await import('./ap.ts')).apCommands,
  operator: async () => (await import('./operator.ts')).operatorCommands,
  pki: async () => (await import('./pki.ts')).pkiCommands,
  feed: async () => (await import('./feed.ts')).feedCommands,
  client: async () => (await import('./client.ts')).clientCommands,
  cardJobs: async () => (await import('./cardJobs.ts')).cardJobCommands,
  idp: async () => (await import('./idp.ts')).idpCommands,
  bridge: async () => (await import('./bridge.ts')).bridgeCommands,
  terminal: async () => (await import('./terminalAgent.ts')).terminalAgentCommands,
  audit: async () => (await import('./audit.ts')).auditCommands,
} satisfies Record<string, () => Promise<readonly CliCommand[]>>;

export type CommandModule = keyof typeof commandModules;

/** What help needs of a command, without importing it. */
export interface CommandEntry {
  readonly path: readonly string[];
  readonly summary: CliCommand['summary'];
  readonly usage: string;
  readonly module: CommandModule;
}

/** The manifest entries of every module, in registration order (what manifest.ts holds). */
export async function loadManifest(): Promise<CommandEntry[]> {
  const out: CommandEntry[] = [];
  for (const [module, load] of Object.entries(commandModules) as [
    CommandModule,
    () => Promise<readonly CliCommand[]>,
  ][]) {
    for (const c of await load()) {
      out.push({ path: c.path, summary: c.summary, usage: c.usage, module });
    }
  }
  return out;
}

/** The command an entry names, imported now. */
export async function loadCommand(entry: CommandEntry): Promise<CliCommand> {
  const cmds = await commandModules[entry.module]();
  const cmd = cmds.find((c) => c.path.join(' ') === entry.path.join(' '));
  if (!cmd) throw new Error(`cli: ${entry.module} has no command "${entry.path.join(' ')}"`);
  return cmd;
}
