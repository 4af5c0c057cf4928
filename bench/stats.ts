/** Small statistics and reporting helpers shared by the benchmarks. */
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, release } from 'node:os';

export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly p99: number;
  readonly min: number;
}

/** Median, 99th percentile and minimum of samples (any unit). */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new RangeError('no samples');
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { n: s.length, median: at(0.5), p99: at(0.99), min: s[0]! };
}

/** Milliseconds with a sensible number of digits. */
export function ms(x: number): string {
  if (x >= 100) return `${x.toFixed(0)} ms`;
  if (x >= 1) return `${x.toFixed(2)} ms`;
  if (x >= 0.01) return `${x.toFixed(3)} ms`;
  return `${(x * 1000).toFixed(2)} µs`;
}

export function ratio(a: number, b: number): string {
  const r = a / b;
  return r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(2)}×`;
}

/** Machine line for RESULTS.md: figures mean little without it. */
export function machine(): string {
  const c = cpus();
  return `${c[0]?.model.trim() ?? 'cpu'} ×${c.length}, Linux ${release()}, Node ${process.version}`;
}

/**
 * Replaces this benchmark's section of bench/RESULTS.md (between
 * `<!-- name:start -->` and `<!-- name:end -->`), keeping every other section.
 */
export async function writeResults(name: string, markdown: string): Promise<void> {
  const path = new URL('./RESULTS.md', import.meta.url);
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch {
    text = '# Benchmark results\n\nWritten by `npm run bench`; each section by one benchmark.\n';
  }
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  text =
    a >= 0 && b > a
      ? text.slice(0, a) + block + text.slice(b + end.length)
      : `${text.trimEnd()}\n\n${block}\n`;
  await writeFile(path, text);
}
