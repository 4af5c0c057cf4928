#!/usr/bin/env node
// Every package follows one exports scheme, so that a run uses compiled JavaScript and
// tests and development use the TypeScript sources:
//   "exports": { ".": { "source": "./src/index.ts", "default": "./dist/index.js" } }
// (one such pair per entry point; an entry for tests only, such as "./testing", may be
// { "source": "./test/x.ts" } alone — it is never compiled nor run outside tests). `source` is the condition tests and tsc use
// (`--conditions=source`, tsconfig `customConditions`); `default` is what `node` gets.
// A browser app (vite.config.ts: the console) is bundled by Vite, not imported: it
// exports only "./package.json", by which a server finds its built dist/.
//   node scripts/check-packages.mjs         exit 1 and say what is wrong
//   node scripts/check-packages.mjs --fix   rewrite plain "./src/x.ts" exports into the scheme
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isViteApp, packageDirs } from './build.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The compiled file that matches a source entry: ./src/a/b.ts → ./dist/a/b.js. */
export function distOf(source) {
  return source.replace(/^\.\/src\//, './dist/').replace(/\.ts$/, '.js');
}

/** What is wrong with a browser app's manifest (empty when nothing is). */
export function appProblems(manifest) {
  const out = [];
  if (manifest.type !== 'module') out.push('"type" is not "module"');
  const exp = manifest.exports;
  if (JSON.stringify(exp) !== JSON.stringify({ './package.json': './package.json' })) {
    out.push(
      'a browser app (vite.config.ts) exports exactly { "./package.json": "./package.json" }',
    );
  }
  if (manifest.scripts?.build !== 'vite build') out.push('a browser app builds with "vite build"');
  return out;
}

/** What is wrong with one manifest's exports (empty when it follows the scheme). */
export function problems(manifest) {
  const out = [];
  const exp = manifest.exports;
  if (exp === null || typeof exp !== 'object' || Array.isArray(exp)) {
    return ['has no "exports" map (give at least ".")'];
  }
  if (manifest.type !== 'module') out.push('"type" is not "module"');
  for (const [key, target] of Object.entries(exp)) {
    const source = typeof target === 'object' && target !== null ? target.source : undefined;
    // A test-only entry (a shared test world for other packages' tests and benches)
    // has sources only: it is never part of a run.
    if (typeof source === 'string' && /^\.\/test\/.+\.ts$/.test(source)) {
      if (Object.keys(target).length !== 1) {
        out.push(`exports["${key}"] is test-only (./test/…) and must have only "source"`);
      }
      continue;
    }
    if (typeof source !== 'string' || !/^\.\/src\/.+\.ts$/.test(source)) {
      out.push(`exports["${key}"] has no "source": "./src/….ts"`);
      continue;
    }
    const keys = Object.keys(target);
    if (keys.length !== 2 || keys[0] !== 'source' || keys[1] !== 'default') {
      out.push(`exports["${key}"] must be exactly { "source", "default" } in that order`);
    }
    if (target.default !== distOf(source)) {
      out.push(`exports["${key}"].default must be "${distOf(source)}"`);
    }
  }
  return out;
}

/** The manifest with plain "./src/x.ts" targets rewritten into the scheme. */
export function fixed(manifest) {
  if (typeof manifest.exports !== 'object' || manifest.exports === null) return manifest;
  const exports = {};
  for (const [key, target] of Object.entries(manifest.exports)) {
    const source = typeof target === 'string' ? target : target?.source;
    exports[key] =
      typeof source === 'string' && /^\.\/src\/.+\.ts$/.test(source)
        ? { source, default: distOf(source) }
        : target;
  }
  return { ...manifest, exports };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const fix = process.argv.includes('--fix');
  let bad = 0;
  for (const dir of packageDirs()) {
    const file = join(dir, 'package.json');
    let manifest = JSON.parse(readFileSync(file, 'utf8'));
    if (fix) {
      const next = fixed(manifest);
      if (JSON.stringify(next) !== JSON.stringify(manifest)) {
        writeFileSync(file, JSON.stringify(next, null, 2) + '\n');
        console.error(`check-packages: rewrote ${relative(root, file)}`);
      }
      manifest = next;
    }
    if (isViteApp(dir)) {
      for (const p of appProblems(manifest)) {
        console.error(`check-packages: ${relative(root, file)}: ${p}`);
        bad++;
      }
      continue;
    }
    for (const p of problems(manifest)) {
      console.error(`check-packages: ${relative(root, file)}: ${p}`);
      bad++;
    }
  }
  if (bad > 0) {
    console.error(
      'check-packages: every package exports { "source": "./src/x.ts", "default": "./dist/x.js" }' +
        ' (`node scripts/check-packages.mjs --fix` rewrites plain "./src/x.ts" entries)',
    );
    process.exit(1);
  }
}
