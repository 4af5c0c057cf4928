/** How a CLI verb is declared. Each file under commands/ exports an array of these. */
import type { ParseArgsConfig } from 'node:util';
import type { Text } from './i18n.ts';

export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export interface CliCommand {
  /** Words after `myna`, e.g. `['card', 'create']`. */
  readonly path: readonly string[];
  readonly summary: Text;
  /** Usage line shown by `--help`, after `myna <path>`. */
  readonly usage: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  /** Whether positional arguments are accepted. */
  readonly positionals?: boolean;
  run(args: { values: Record<string, unknown>; positionals: string[] }, io: CliIo): Promise<number>;
}

/** A user-facing failure: printed without a stack trace, exit code 1 (or `exitCode`). */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly text: Text;
  readonly exitCode: number;
  constructor(text: Text, exitCode = 1) {
    super(text.en);
    this.text = text;
    this.exitCode = exitCode;
  }
}
