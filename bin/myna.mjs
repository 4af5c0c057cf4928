#!/usr/bin/env node
// The `myna` command. Runs the compiled JavaScript in packages/*/dist, which `npm ci`
// builds (the root `prepare` script; `npm run build` again by hand). When sources are
// newer than their build, or a dist is missing, it builds first, so an edit is never
// run stale. Under the `source` export condition (`node --conditions=source`, as the
// tests run it) it runs the TypeScript sources through tsx instead.

// `myna … | head`: a closed pipe ends the command quietly, as other CLI tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}
// Stack traces name the TypeScript sources (dist/ carries source maps).
process.setSourceMapsEnabled(true);

const entry = import.meta.resolve('@myna-ap/cli');
if (entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
} else {
  const { stalePackages, build } = await import('../scripts/build.mjs');
  const stale = stalePackages();
  if (stale.length > 0) {
    process.stderr.write(
      'myna: packages/*/dist is missing or older than the sources; building it (npm run build) …\n' +
        'myna: packages/*/dist がないかソースより古いため、ビルドします (npm run build) …\n',
    );
    try {
      await build();
    } catch (e) {
      process.stderr.write(
        `myna: the build failed — run \`npm ci\` in ${new URL('..', import.meta.url).pathname}\n` +
          `myna: ビルドに失敗しました。\`npm ci\` を実行してください\n${e?.message ?? e}\n`,
      );
      process.exit(1);
    }
  }
}
const { main } = await import('@myna-ap/cli');
process.exitCode = await main(process.argv.slice(2));
