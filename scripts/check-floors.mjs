#!/usr/bin/env node
// Checks that every import in the workspace keeps the floors of docs/architecture.md
// and that every package's manifest says what its code imports. The table in
// docs/architecture.md is the one place the floors are written; this script reads
// it from there, so the doc and the check cannot drift apart.
//
//   node scripts/check-floors.mjs          exit 1 and a line per breach
//
// What it checks, per package under packages/* (and apps/*):
//   1. src/ imports only the @myna-ap packages its row allows (subpaths such as
//      `loader/contract` are allowed one by one);
//   2. test/ imports its own package, what src may import, and packages of its own
//      or a lower floor, plus the emulator (`card`) and test worlds (`x/testing`) —
//      never a higher floor (no low-level test drives the CLI);
//   3. no relative import leaves the package (`../../apdu/src/…`), and bench/
//      reaches packages only through their public entry points;
//   4. the manifest is honest: a value import in src is a dependency, a test import
//      is at least a devDependency, and every @myna-ap dependency is imported by src
//      (for its values, or for types its own public types expose).
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative, dirname, resolve, sep } from 'node:path';
import { builtinModules } from 'node:module';

const root = resolve(new URL('..', import.meta.url).pathname);
const SCOPE = '@myna-ap/';

/** The floors table of docs/architecture.md: package → { floor, allowed imports }. */
export function readFloors(markdown) {
  const floors = new Map();
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => /^\|\s*floor\s*\|\s*package\s*\|/.test(l));
  if (start < 0) throw new Error('docs/architecture.md has no "| floor | package |" table');
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    const [floor, pkg, , mayImport = ''] = cells;
    const name = /`([^`]+)`/.exec(pkg ?? '')?.[1];
    if (!name || !/^\d+$/.test(floor ?? '')) throw new Error(`floors table: bad row ${line}`);
    const allowed = [...mayImport.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    floors.set(name, { floor: Number(floor), allowed, everything: /everything/.test(mayImport) });
  }
  return floors;
}

function filesUnder(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) filesUnder(p, out);
    else if (/\.(ts|tsx|mts|mjs|js)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every module specifier a file imports, and whether the import is for types only. */
export function importsOf(source) {
  const found = [];
  const stripped = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const statement =
    /(?:^|[;\n])\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]/g;
  for (const m of stripped.matchAll(statement)) {
    const typeOnly =
      Boolean(m[2]) || /^\{\s*(type\s+[\w$]+\s*(as\s+[\w$]+)?\s*,?\s*)+\}$/.test(m[3]);
    found.push({ spec: m[4], typeOnly });
  }
  for (const m of stripped.matchAll(/(?:^|[;\n])\s*import\s+['"]([^'"]+)['"]/g)) {
    found.push({ spec: m[1], typeOnly: false });
  }
  for (const m of stripped.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    found.push({ spec: m[1], typeOnly: false });
  }
  // Finding a package's files (the CLI serves the console's built assets) uses it too.
  for (const m of stripped.matchAll(/\bimport\.meta\.resolve\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    found.push({ spec: m[1], typeOnly: false });
  }
  return found;
}

/** `@myna-ap/loader/contract` → { pkg: 'loader', sub: 'loader/contract' }; a library → its package name. */
function target(spec) {
  if (spec.startsWith(SCOPE)) {
    const rest = spec.slice(SCOPE.length);
    const [pkg, ...sub] = rest.split('/');
    return { internal: true, pkg, sub: sub.length ? `${pkg}/${sub.join('/')}` : pkg };
  }
  const parts = spec.split('/');
  return { internal: false, pkg: spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0] };
}

const isBuiltin = (spec) => spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]);

export function check() {
  const floors = readFloors(readFileSync(join(root, 'docs/architecture.md'), 'utf8'));
  const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const rootDev = new Set(Object.keys(rootManifest.devDependencies ?? {}));
  const problems = [];
  const packageDirs = ['packages', 'apps']
    .filter((d) => existsSync(join(root, d)))
    .flatMap((d) => readdirSync(join(root, d)).map((n) => join(root, d, n)))
    .filter((p) => existsSync(join(p, 'package.json')));

  for (const dir of packageDirs) {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const name = manifest.name.startsWith(SCOPE)
      ? manifest.name.slice(SCOPE.length)
      : manifest.name;
    const row = floors.get(name) ?? floors.get(`apps/*`);
    const where = relative(root, dir);
    if (!floors.get(name) && !where.startsWith('apps' + sep)) {
      problems.push(
        `${where}: package ${name} has no row in the floors table of docs/architecture.md`,
      );
      continue;
    }
    const deps = new Set([
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.optionalDependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
    ]);
    const devDeps = new Set(Object.keys(manifest.devDependencies ?? {}));
    const usedBySrc = new Set();
    const allowedFor = (t) =>
      row.everything || row.allowed.includes(t.sub) || row.allowed.includes(t.pkg);

    for (const part of ['src', 'test']) {
      for (const file of filesUnder(join(dir, part))) {
        const rel = relative(root, file);
        for (const { spec, typeOnly } of importsOf(readFileSync(file, 'utf8'))) {
          if (isBuiltin(spec)) continue;
          if (spec.startsWith('.')) {
            const to = resolve(dirname(file), spec);
            if (!to.startsWith(dir + sep))
              problems.push(`${rel}: relative import ${spec} leaves ${where}`);
            continue;
          }
          const t = target(spec);
          if (t.internal && t.pkg === name) {
            if (part === 'src') problems.push(`${rel}: imports its own package by name (${spec})`);
            continue;
          }
          if (t.internal) {
            const other = floors.get(t.pkg);
            if (!other) {
              problems.push(`${rel}: imports ${spec}, which has no row in the floors table`);
              continue;
            }
            if (part === 'src' && !allowedFor(t)) {
              problems.push(`${rel}: ${name} (floor ${row.floor}) may not import ${t.sub}`);
            }
            if (part === 'test' && !allowedFor(t)) {
              const testOnly = t.pkg === 'card' || t.sub.endsWith('/testing');
              if (!testOnly && other.floor > row.floor) {
                problems.push(
                  `${rel}: a test of ${name} (floor ${row.floor}) imports ${t.sub} (floor ${other.floor})`,
                );
              }
            }
          }
          const declaredRun = deps.has(spec) || deps.has(`${SCOPE}${t.pkg}`) || deps.has(t.pkg);
          const declaredDev =
            devDeps.has(`${SCOPE}${t.pkg}`) ||
            devDeps.has(t.pkg) ||
            (part === 'test' && rootDev.has(t.pkg));
          const depName = t.internal ? `${SCOPE}${t.pkg}` : t.pkg;
          if (part === 'src') usedBySrc.add(depName);
          if (part === 'src' && !typeOnly) {
            if (!declaredRun)
              problems.push(
                `${rel}: imports ${spec} but ${where}/package.json has no dependency ${depName}`,
              );
          } else if (!declaredRun && !declaredDev) {
            problems.push(
              `${rel}: imports ${spec} but ${where}/package.json does not list ${depName}`,
            );
          }
        }
      }
    }
    for (const dep of deps) {
      if (dep.startsWith(SCOPE) && !usedBySrc.has(dep)) {
        problems.push(
          `${where}/package.json: depends on ${dep}, but src never imports it (make it a devDependency or drop it)`,
        );
      }
    }
  }

  for (const file of filesUnder(join(root, 'bench'))) {
    for (const { spec } of importsOf(readFileSync(file, 'utf8'))) {
      if (
        spec.startsWith('.') &&
        /(^|\/)packages\//.test(resolve(dirname(file), spec).slice(root.length))
      ) {
        problems.push(
          `${relative(root, file)}: reaches into a package (${spec}); import its public entry point`,
        );
      }
    }
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const problems = check();
  if (problems.length > 0) {
    console.error(`check-floors: ${problems.length} breach(es) of docs/architecture.md`);
    for (const p of problems) console.error(`  ${p}`);
    process.exit(1);
  }
  console.log('check-floors: every import keeps the floors of docs/architecture.md');
}
