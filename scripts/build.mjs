#!/usr/bin/env node
// Compiles every package's TypeScript sources (packages/*/src/**/*.ts) to JavaScript in
// packages/*/dist, with source maps, so that `myna` and the servers start without
// compiling at run time. `npm ci` runs it (the root `prepare` script); tests and
// development keep running the sources through tsx (the `source` export condition).
//   node scripts/build.mjs           build every package
//   node scripts/build.mjs --check   exit 1 when a package's dist is missing or older
//                                    than its sources (nothing written)
//
// Each file is transpiled on its own (the sources are `isolatedModules`); type checking
// is `npm run typecheck`'s job. `./x.ts` imports become `./x.js`
// (rewriteRelativeImportExtensions). dist/ mirrors src/ at the same depth, so paths made
// from import.meta.url (e.g. loader's migrations) resolve the same from both.
//
// A browser app (a package with a vite.config.ts: the operator console) is not
// transpiled file by file: `vite build` bundles it into its dist/, after the others.
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Written last by a build; its mtime says when the package's dist was made. */
const STAMP = '.built';

/** Every `packages/<name>` and `apps/<name>` (business systems) that has a src/ folder. */
export function packageDirs() {
  return ['packages', 'apps']
    .map((d) => join(root, d))
    .filter((dir) => existsSync(dir))
    .flatMap((dir) =>
      readdirSync(dir)
        .sort()
        .map((name) => join(dir, name)),
    )
    .filter((p) => {
      try {
        return statSync(join(p, 'src')).isDirectory();
      } catch {
        return false;
      }
    });
}

/** A package Vite bundles for the browser (it has a vite.config.ts). */
export function isViteApp(pkg) {
  return existsSync(join(pkg, 'vite.config.ts'));
}

function sourceFiles(dir, out = [], every = false) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(p, out, every);
    else if (every || (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))) out.push(p);
  }
  return out;
}

/** What a package's dist is made from. */
function inputsOf(pkg) {
  if (!isViteApp(pkg)) return [join(pkg, 'package.json'), ...sourceFiles(join(pkg, 'src'))];
  // A browser app: every file under src/ (styles too), its page and its config.
  return [
    join(pkg, 'package.json'),
    join(pkg, 'index.html'),
    join(pkg, 'vite.config.ts'),
    ...sourceFiles(join(pkg, 'src'), [], true),
  ].filter((f) => existsSync(f));
}

/** `vite build` of one browser app, quietly (its own config says where to). */
async function viteBuild(pkg) {
  const { build: bundle } = await import('vite');
  await bundle({ root: pkg, configFile: join(pkg, 'vite.config.ts'), logLevel: 'warn' });
  writeFileSync(join(pkg, 'dist', STAMP), new Date().toISOString() + '\n');
}

/** The packages whose dist is missing or older than one of their sources. */
export function stalePackages() {
  const stale = [];
  for (const pkg of packageDirs()) {
    let built;
    try {
      built = statSync(join(pkg, 'dist', STAMP)).mtimeMs;
    } catch {
      stale.push(pkg);
      continue;
    }
    const newest = Math.max(...inputsOf(pkg).map((f) => statSync(f).mtimeMs));
    if (newest > built) stale.push(pkg);
  }
  return stale;
}

export async function build() {
  const { default: ts } = await import('typescript');
  const options = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    verbatimModuleSyntax: true,
    isolatedModules: true,
    rewriteRelativeImportExtensions: true,
    sourceMap: true,
  };
  let count = 0;
  for (const pkg of packageDirs().filter((p) => !isViteApp(p))) {
    const src = join(pkg, 'src');
    const dist = join(pkg, 'dist');
    // A file removed from src/ must not live on in dist/.
    rmSync(dist, { recursive: true, force: true });
    for (const file of sourceFiles(src)) {
      const out = join(dist, relative(src, file)).replace(/\.ts$/, '.js');
      const name = out.slice(dirname(out).length + 1);
      const r = ts.transpileModule(readFileSync(file, 'utf8'), {
        compilerOptions: options,
        fileName: file,
        reportDiagnostics: true,
      });
      if (r.diagnostics?.length) {
        const msg = ts.formatDiagnostics(r.diagnostics, {
          getCanonicalFileName: (f) => f,
          getCurrentDirectory: () => root,
          getNewLine: () => '\n',
        });
        throw new Error(`build: ${relative(root, file)}\n${msg}`);
      }
      mkdirSync(dirname(out), { recursive: true });
      // The map points back at the real source file, so stack traces name src/….
      const map = JSON.parse(r.sourceMapText);
      map.sources = [relative(dirname(out), file)];
      writeFileSync(out + '.map', JSON.stringify(map));
      writeFileSync(
        out,
        r.outputText.replace(/\/\/# sourceMappingURL=.*$/m, `//# sourceMappingURL=${name}.map`),
      );
      count++;
    }
    writeFileSync(join(dist, STAMP), new Date().toISOString() + '\n');
  }
  // Browser apps last: they may import the others' compiled entries.
  for (const pkg of packageDirs().filter(isViteApp)) {
    await viteBuild(pkg);
    count++;
  }
  return count;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--check')) {
    const stale = stalePackages();
    for (const p of stale) console.error(`build: ${relative(root, p)}/dist is missing or stale`);
    process.exit(stale.length === 0 ? 0 : 1);
  }
  const t0 = performance.now();
  const n = await build();
  console.error(`build: ${n} files → packages/*/dist in ${Math.round(performance.now() - t0)} ms`);
}
