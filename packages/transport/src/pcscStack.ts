/**
 * Brings up the real smart-card stack on this machine for tests, benchmarks and
 * `myna card insert`: pcscd with vsmartcard's vpcd driver, and emulated cards
 * in its virtual readers. pcscd is one per machine, so every user of this
 * module takes a machine-wide lock first (test files run in parallel).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { tmpdir } from 'node:os';
import { TransportError } from './errors.ts';
import type { EmulatedCard } from './inProcess.ts';
import { listReaders, type ReaderInfo } from './pcsc.ts';
import { loadPcscBinding } from './pcscBinding.ts';
import { ensureLoopbackQuickack, type QuickackResult } from './loopback.ts';
import { VpcdBridge, type VpcdBridgeOptions } from './vpcdBridge.ts';

export function findExecutable(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin']);
  for (const d of dirs) {
    const p = join(d, name);
    if (d && existsSync(p)) return p;
  }
  return undefined;
}

/** The vpcd driver named by pcsc-lite's reader.conf.d, if installed. */
export function findVpcdDriver(confDir = '/etc/reader.conf.d'): string | undefined {
  if (!existsSync(confDir)) return undefined;
  for (const f of readdirSync(confDir)) {
    const text = readFileSync(join(confDir, f), 'utf8');
    const lib = /^\s*LIBPATH\s+(\S*vpcd\S*)/m.exec(text)?.[1];
    if (lib && existsSync(lib)) return lib;
  }
  return undefined;
}

/** What is missing for the pcscd-based tests, as one line; `undefined` when all is there. */
export async function missingPcscPrerequisites(
  opts: { opensc?: boolean } = {},
): Promise<string | undefined> {
  const missing: string[] = [];
  if (!findExecutable('pcscd')) missing.push('pcscd');
  if (!findVpcdDriver()) missing.push('vsmartcard-vpcd');
  if (opts.opensc && !findExecutable('pkcs15-tool')) missing.push('opensc');
  try {
    await loadPcscBinding();
  } catch {
    missing.push('smartcard npm binding (libpcsclite-dev)');
  }
  return missing.length > 0 ? `missing: ${missing.join(', ')}` : undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every few ms until it returns a value; rejects after `timeoutMs`. */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  for (;;) {
    let v: T | undefined;
    try {
      v = await probe();
    } catch {
      v = undefined;
    }
    if (v !== undefined) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(delay);
    delay = Math.min(delay * 2, 100);
  }
}

const LOCK_DIR = join(tmpdir(), 'myna-pcscd.lock');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Machine-wide mutual exclusion (atomic mkdir; a dead holder's lock is taken over). */
export async function acquireStackLock(timeoutMs = 180_000): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await mkdir(LOCK_DIR);
      await writeFile(join(LOCK_DIR, 'pid'), String(process.pid));
      return () => rm(LOCK_DIR, { recursive: true, force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(await readFile(join(LOCK_DIR, 'pid'), 'utf8').catch(() => 'NaN'));
      if (Number.isInteger(pid) && !alive(pid)) {
        await rm(LOCK_DIR, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`pcscd lock ${LOCK_DIR} held by pid ${pid}`);
      await sleep(50);
    }
  }
}

async function virtualReaders(): Promise<ReaderInfo[] | undefined> {
  const rs = (await listReaders()).filter((r) => r.name.startsWith('Virtual PCD'));
  return rs.length > 0 ? rs : undefined;
}

export interface PcscStack {
  /** True when this stack started pcscd (and will stop it); false when one was running. */
  readonly startedPcscd: boolean;
  readonly quickack: QuickackResult;
  /** Puts `card` into virtual reader N and waits until PC/SC sees it with its ATR. */
  insert(card: EmulatedCard, reader?: number, options?: VpcdBridgeOptions): Promise<VpcdBridge>;
  /** Takes a card out and waits until PC/SC sees the reader empty. */
  eject(bridge: VpcdBridge): Promise<void>;
  /** Stops and starts pcscd (only one this stack started), as a system update would. */
  restartPcscd(): Promise<void>;
  /** Ejects every card, stops pcscd if we started it, releases the lock. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Takes the machine lock, applies the loopback quickack route when root, and
 * starts `pcscd -f -a` unless one is running (never `-x`: it exits when idle).
 * Waits by polling the PC/SC API for the virtual readers, not by sleeping.
 */
export async function startPcscStack(): Promise<PcscStack> {
  const release = await acquireStackLock();
  let child: ChildProcess | undefined;
  const bridges = new Set<VpcdBridge>();
  let stopped = false;
  try {
    const quickack = await ensureLoopbackQuickack();
    const running = await virtualReaders().catch(() => undefined);
    if (!running) child = await spawnPcscd();
    const stack: PcscStack = {
      startedPcscd: child !== undefined,
      quickack,
      async restartPcscd() {
        if (!child) throw new Error('pcscd was not started by this stack');
        await stopChild(child);
        child = await spawnPcscd();
        // Bridges reconnect by themselves; wait until pcscd sees their cards again.
        for (const b of bridges) {
          const name = `Virtual PCD 00 ${String(b.port - 35963).padStart(2, '0')}`;
          await pollUntil(`card back in ${name}`, async () =>
            (await listReaders()).find((r) => r.name === name && r.present && r.atr),
          );
        }
      },
      async insert(card, reader = 0, options = {}) {
        const bridge = new VpcdBridge(card, { ...options, reader });
        await bridge.start();
        bridges.add(bridge);
        const name = `Virtual PCD 00 ${String(reader).padStart(2, '0')}`;
        await pollUntil(`card in ${name}`, async () =>
          (await listReaders()).find((r) => r.name === name && r.present && r.atr),
        );
        return bridge;
      },
      async eject(bridge) {
        const name = `Virtual PCD 00 ${String(bridge.port - 35963).padStart(2, '0')}`;
        bridge.stop();
        bridges.delete(bridge);
        await pollUntil(`empty ${name}`, async () =>
          (await listReaders()).find((r) => r.name === name && !r.present),
        );
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        for (const b of bridges) b.stop();
        bridges.clear();
        await stopChild(child);
        await release();
      },
    };
    return stack;
  } catch (e) {
    for (const b of bridges) b.stop();
    await stopChild(child);
    await release();
    throw e instanceof TransportError
      ? e
      : new Error(`PC/SC stack: ${(e as Error).message}`, { cause: e });
  }
}

/** Starts `pcscd -f -a` and waits (polling the PC/SC API) for vpcd's readers. */
async function spawnPcscd(): Promise<ChildProcess> {
  const pcscd = findExecutable('pcscd');
  if (!pcscd) throw new Error('pcscd not installed');
  const child = spawn(pcscd, ['-f', '-a'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`pcscd exited (${code}) at start: ${stderr.trim()}`)),
    ),
  );
  exited.catch(() => undefined);
  try {
    await Promise.race([pollUntil('pcscd virtual readers', virtualReaders), exited]);
  } catch (e) {
    await stopChild(child);
    throw e;
  }
  return child;
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 3000);
  await done;
  clearTimeout(t);
}

/**
 * For test files: `undefined` when the PC/SC stack can run here; otherwise a
 * one-line skip reason, except under CI (`CI` set), where a missing piece is a
 * failure: the interop tests must not silently vanish there.
 */
export async function pcscSkipReason(opts: { opensc?: boolean } = {}): Promise<string | undefined> {
  const missing = await missingPcscPrerequisites(opts);
  if (missing === undefined) return undefined;
  if (process.env.CI) throw new Error(`CI must run the PC/SC tests, but ${missing}`);
  return `PC/SC stack not available (${missing})`;
}
