// Issue 9's rule "SQL lives in store/ only": card operations, routes and domain rules
// take decided values from store functions and never query the database themselves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

const SRC = new URL('../src/', import.meta.url).pathname;
const SQL = /\b(SELECT\s+[\w*,\s.()]+\s+FROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b/i;

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sourceFiles(p)));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('no SQL statement outside src/store/ (and the migrations)', async () => {
  const offenders: string[] = [];
  for (const file of await sourceFiles(SRC)) {
    const rel = relative(SRC, file);
    if (rel.startsWith('store/') || rel.startsWith('migrations')) continue;
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines.forEach((line, i) => {
      if (SQL.test(line)) offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(offenders, []);
});

test('the pattern finds the statements it is meant to find', () => {
  for (const s of [
    "'SELECT id FROM operators'",
    'SELECT * FROM audit_log',
    'INSERT INTO cards (id)',
    'UPDATE audit_head SET seq = $1',
    'delete from instances',
  ])
    assert.match(s, SQL);
  assert.doesNotMatch('SELECT the area SD and open its channel', SQL);
});
