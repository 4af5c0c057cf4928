/** Runs `myna …` in this process with a temporary environment; returns exit code and output. */
import { main } from '../src/main.ts';

export async function myna(args: string[], env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** `myna provider add` for the city the tests use (前橋市, seeds 000/003/004). */
export const ADD_MAEBASHI = [
  'provider',
  'add',
  '--id',
  'MAEBASHI',
  '--name',
  '前橋市',
  '--kind',
  'municipality',
  '--municipality-code',
  '102016',
  '--basis-ref',
  '前橋市条例第1号',
  '--basis-date',
  '2018-04-01',
  '--contact',
  '情報政策課',
];
