// The environment that makes every node process (a test, and each process it starts —
// `myna`, a server child) run the TypeScript sources: the `source` export condition
// (packages' exports map it to src/….ts) and tsx to load them. Set in NODE_OPTIONS, so
// no test can run a stale packages/*/dist by accident.
const TSX = import.meta.resolve('tsx');

export function sourceEnv(env) {
  const options = env.NODE_OPTIONS ?? '';
  if (options.includes('--conditions=source')) return env;
  return { ...env, NODE_OPTIONS: `${options} --conditions=source --import=${TSX}`.trim() };
}
