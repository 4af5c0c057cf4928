/**
 * OCSP at national scale: responses per second and latency of our responder
 * (`myna pki serve`, one worker per core, pre-signed RFC 5019 answers from a cache)
 * vs the `openssl ocsp` responder (`-index -port`, `-multi 2`), each in its own
 * process(es), with the same 1,000,000 revoked serials (MYNA_OCSP_N to change):
 * ours in the issuer directory's records, openssl's in a CA index.txt. The load
 * comes from a second process (this file run with `--load`: raw HTTP/1.1 POSTs on
 * loopback), the same requests for both, in two mixes:
 *  - lightweight (RFC 5019): clients of a working set of good and revoked
 *    certificates asking without a nonce, plus 2% unknown serials and 2% requests
 *    with a nonce (both signed on demand by ours);
 *  - nonce: every request with its own nonce, good / revoked / unknown in equal
 *    parts (every answer signed on demand, by both).
 * Runs are interleaved (ours, openssl, ours, openssl, …) and medians quoted: the
 * machine is shared. Writes bench/RESULTS.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { machine, ms, summarize, writeResults, type Summary } from './stats.ts';

const N = Number(process.env.MYNA_OCSP_N ?? 1_000_000);
const GOOD = 10_000; // issued, not revoked
const REQUESTS = Number(process.env.MYNA_OCSP_REQUESTS ?? 40_000);
const NONCE_REQUESTS = Number(process.env.MYNA_OCSP_NONCE_REQUESTS ?? 10_000);
const WORKING_SET = Number(process.env.MYNA_OCSP_WORKING_SET ?? 5_000); // good + as many revoked
const NONCE_WARMUP = 1_000;
const ROUNDS = Number(process.env.MYNA_OCSP_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.MYNA_OCSP_CONCURRENCY ?? 32);

const root = new URL('..', import.meta.url).pathname;

// ---------------------------------------------------------------------------
// The load generator (second process): `ocsp.bench.ts --load FILE PORT PATH C`.
// FILE holds the DER requests, each after a 2-byte big-endian length.

interface LoadResult {
  readonly n: number;
  readonly seconds: number;
  readonly latenciesMs: number[];
  readonly failures: number;
  readonly clientCpuMs: number;
  readonly firstFailure?: string;
}

/** An HTTP response of an OCSP responder: 200 and an OCSPResponse whose status is successful. */
function okResponse(all: Buffer, head: number): boolean {
  const bodyAt = head + 4;
  const at = all.indexOf(Buffer.of(0x0a, 0x01, 0x00), bodyAt);
  return (
    / 200$/.test(all.subarray(0, 12).toString('latin1')) &&
    all[bodyAt] === 0x30 &&
    at > bodyAt &&
    at <= bodyAt + 6
  );
}

function requestBytes(port: number, path: string, body: Buffer, keepAlive: boolean): Buffer {
  return Buffer.concat([
    Buffer.from(
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/ocsp-request\r\nContent-Length: ${body.length}\r\nConnection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n`,
    ),
    body,
  ]);
}

/** One request (its bytes made beforehand) on its own connection, read until the server closes it. */
function post(port: number, wire: Buffer): Promise<{ ms: number; ok: boolean; why?: string }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const chunks: Buffer[] = [];
    const s = connect({ port, host: '127.0.0.1', noDelay: true }, () => {
      s.write(wire);
    });
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', (e) => resolve({ ms: performance.now() - t0, ok: false, why: e.message }));
    s.on('close', () => {
      const t = performance.now() - t0;
      const all = Buffer.concat(chunks);
      const head = all.indexOf('\r\n\r\n');
      const ok = head > 0 && okResponse(all, head);
      resolve({ ms: t, ok, ...(ok ? {} : { why: all.subarray(0, 80).toString('latin1') }) });
    });
  });
}

/**
 * A keep-alive connection: requests one after another, each answer read by its
 * Content-Length; reconnects when the server closes the connection.
 */
class KeptConnection {
  #socket: Socket | undefined;
  #buf: Buffer = Buffer.alloc(0);
  #waiting: ((r: { ok: boolean; why?: string }) => void) | undefined;
  constructor(readonly port: number) {}

  #open(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const s = connect({ port: this.port, host: '127.0.0.1', noDelay: true }, () => resolve(s));
      s.once('error', reject);
      s.on('data', (c: Buffer) => {
        this.#buf = this.#buf.length ? Buffer.concat([this.#buf, c]) : c;
        this.#parse();
      });
      s.on('close', () => {
        if (this.#socket === s) this.#socket = undefined;
        const w = this.#waiting;
        this.#waiting = undefined;
        w?.({ ok: false, why: 'closed' });
      });
    });
  }

  #parse(): void {
    const head = this.#buf.indexOf('\r\n\r\n');
    if (head < 0) return;
    const m = /content-length: *(\d+)/i.exec(this.#buf.subarray(0, head).toString('latin1'));
    const len = Number(m?.[1] ?? 0);
    if (this.#buf.length < head + 4 + len) return;
    const all = this.#buf.subarray(0, head + 4 + len);
    const ok = okResponse(all, head);
    const h = all.subarray(0, head).toString('latin1');
    const closes =
      /connection: *close/i.test(h) ||
      (h.startsWith('HTTP/1.0') && !/connection: *keep-alive/i.test(h));
    this.#buf = this.#buf.subarray(head + 4 + len);
    if (closes) {
      this.#socket?.destroy();
      this.#socket = undefined;
    }
    const w = this.#waiting;
    this.#waiting = undefined;
    w?.(ok ? { ok } : { ok, why: all.subarray(0, 80).toString('latin1') });
  }

  async post(wire: Buffer): Promise<{ ms: number; ok: boolean; why?: string }> {
    const t0 = performance.now();
    this.#socket ??= await this.#open();
    this.#buf = Buffer.alloc(0);
    const r = await new Promise<{ ok: boolean; why?: string }>((resolve) => {
      this.#waiting = resolve;
      this.#socket!.write(wire);
    });
    return { ms: performance.now() - t0, ...r };
  }
}

async function loadMain(
  file: string,
  port: number,
  path: string,
  concurrency: number,
  warmup: number,
  keepAlive: boolean,
) {
  const raw = await readFile(file);
  const reqs: Buffer[] = [];
  for (let p = 0; p < raw.length;) {
    const n = raw.readUInt16BE(p);
    // the whole HTTP request made here, not per request timed: the load generator
    // shares the cores with the responder, and its CPU is the measurement's floor
    reqs.push(requestBytes(port, path, raw.subarray(p + 2, p + 2 + n), keepAlive));
    p += 2 + n;
  }
  const run = async (list: Buffer[]): Promise<LoadResult> => {
    const latenciesMs: number[] = [];
    let failures = 0;
    let firstFailure: string | undefined;
    let next = 0;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const worker = async () => {
      const conn = keepAlive ? new KeptConnection(port) : undefined;
      while (next < list.length) {
        const body = list[next++]!;
        const r = conn ? await conn.post(body) : await post(port, body);
        if (r.ok) latenciesMs.push(r.ms);
        else {
          failures++;
          firstFailure ??= r.why;
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const cpu = process.cpuUsage(cpu0);
    return {
      n: list.length,
      seconds: (performance.now() - t0) / 1000,
      latenciesMs,
      failures,
      clientCpuMs: (cpu.user + cpu.system) / 1000,
      ...(firstFailure ? { firstFailure } : {}),
    };
  };
  await run(reqs.slice(0, warmup));
  // The parent reads the server's CPU time now, so that it covers the timed requests
  // only (the warm-up signs every answer of the working set), then says go.
  process.stdout.write('warm\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  const result = await run(reqs.slice(warmup));
  process.stdout.write(JSON.stringify(result) + '\n');
  process.stdin.destroy();
}

// ---------------------------------------------------------------------------
// The benchmark (first process).

function childOutput(p: ChildProcess, until: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${until}: ${out}`)),
      timeoutMs,
    );
    const on = (d: Buffer) => {
      out += d;
      const m = until.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] ?? m[0]);
      }
    };
    p.stdout?.on('data', on);
    p.stderr?.on('data', on);
    p.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before ${until}: ${out}`));
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address() as { port: number };
      srv.close(() => resolve(a.port));
    });
  });
}

/** RSS (MiB) and CPU time (ms, user + system) of a process and its children, from /proc. */
async function usage(pid: number): Promise<{ rssMiB: number; cpuMs: number }> {
  const { readdir } = await import('node:fs/promises');
  let rssMiB = 0;
  let cpuMs = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => undefined);
    if (!stat) continue;
    const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    // f[1] = ppid (field 4); f[11], f[12] = utime, stime (fields 14, 15)
    if (Number(entry) !== pid && Number(f[1]) !== pid) continue;
    cpuMs += ((Number(f[11]) + Number(f[12])) * 1000) / 100; // USER_HZ = 100 on Linux
    const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
    rssMiB += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  }
  return { rssMiB, cpuMs };
}

/** Ends a server this benchmark started: its process group when it leads one (openssl -multi). */
function stop(p: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  try {
    process.kill(-p.pid!, signal);
  } catch {
    p.kill(signal);
  }
}

interface Measured {
  readonly name: string;
  readonly startMs: number;
  readonly rps: number;
  readonly lat: Summary;
  readonly rssMiB: number;
  readonly cpuPerReqMs: number;
  readonly clientCpuPerReqMs: number;
  readonly failures: number;
}

/** Runs the load generator; `warm` is awaited after the warm-up, before the timed requests. */
function runLoad(
  reqFile: string,
  port: number,
  path: string,
  warmup: number,
  keepAlive: boolean,
  warm: () => Promise<void>,
): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        new URL(import.meta.url).pathname,
        '--load',
        reqFile,
        String(port),
        path,
        String(CONCURRENCY),
        String(warmup),
        keepAlive ? '1' : '0',
      ],
      { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    let out = '';
    let warmed = false;
    p.stdout.on('data', (d) => {
      out += d;
      if (!warmed && out.startsWith('warm\n')) {
        warmed = true;
        out = out.slice(5);
        void warm().then(() => p.stdin.write('go\n'));
      }
    });
    p.on('exit', (code) => {
      if (code !== 0) reject(new Error(`load generator exited ${code}`));
      else resolve(JSON.parse(out) as LoadResult);
    });
  });
}

async function benchMain() {
  const loadStart = loadavg()[0]!.toFixed(1);
  const { JpkiIssuer } = await import('@myna-ap/pki');
  const dir = await mkdtemp(join(tmpdir(), 'myna-ocsp-bench-'));
  const children: ChildProcess[] = [];
  try {
    const pkiDir = join(dir, 'pki');
    const issuer = await JpkiIssuer.init(pkiDir);
    const signCa = issuer.signCaCertificate;
    const caCert = new X509Certificate(signCa);
    const notAfter = new Date(Date.now() + 5 * 365 * 86_400_000);

    // The same serials for both: N revoked, GOOD issued and not revoked.
    const t = performance.now();
    const serial = (): string => {
      const b = randomBytes(16);
      b[0] = (b[0]! & 0x7f) | 0x01;
      return b.toString('hex');
    };
    const revoked: string[] = Array.from({ length: N }, serial);
    const good: string[] = Array.from({ length: GOOD }, serial);
    const yymmdd = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
    const revokedAt = new Date(Date.now() - 86_400_000);
    const issuedLines = createWriteStream(join(pkiDir, 'issued.jsonl'), { flags: 'a' });
    const revLines = createWriteStream(join(pkiDir, 'revocations.jsonl'), { flags: 'a' });
    const index = createWriteStream(join(dir, 'index.txt'));
    const write = (s: NodeJS.WritableStream, line: string) =>
      s.write(line) ? undefined : new Promise((r) => s.once('drain', r));
    const iso = notAfter.toISOString();
    for (const s of good) {
      await write(
        issuedLines,
        `{"serial":"${s}","kind":"sign","notBefore":"${revokedAt.toISOString()}","notAfter":"${iso}","issuedAt":"${revokedAt.toISOString()}"}\n`,
      );
      await write(index, `V\t${yymmdd(notAfter)}\t\t${s.toUpperCase()}\tunknown\t/CN=${s}\n`);
    }
    const revIso = revokedAt.toISOString();
    for (const s of revoked) {
      await write(
        issuedLines,
        `{"serial":"${s}","kind":"sign","notBefore":"${revIso}","notAfter":"${iso}","issuedAt":"${revIso}"}\n`,
      );
      await write(
        revLines,
        `{"serial":"${s}","kind":"sign","reason":"lost","revokedAt":"${revIso}"}\n`,
      );
      await write(
        index,
        `R\t${yymmdd(notAfter)}\t${yymmdd(revokedAt)},keyCompromise\t${s.toUpperCase()}\tunknown\t/CN=${s}\n`,
      );
    }
    await Promise.all([issuedLines, revLines, index].map((s) => new Promise((r) => s.end(r))));
    await writeFile(join(dir, 'index.txt.attr'), 'unique_subject = no\n');
    console.log(
      `index: ${N.toLocaleString()} revoked + ${GOOD.toLocaleString()} good serials, written in ${ms(performance.now() - t)}`,
    );

    // openssl's files: the CA, the responder certificate and its key (PEM).
    await writeFile(join(dir, 'sign-ca.pem'), caCert.toString());
    await writeFile(
      join(dir, 'ocsp-sign.pem'),
      new X509Certificate(issuer.certificate('ocsp-sign')).toString(),
    );
    const key = createPrivateKey({
      key: await readFile(join(pkiDir, 'keys', 'ocsp-sign.p8')),
      format: 'der',
      type: 'pkcs8',
    });
    await writeFile(join(dir, 'ocsp-sign.key'), key.export({ format: 'pem', type: 'pkcs8' }), {
      mode: 0o600,
    });
    await writeFile(join(dir, 'chain.pem'), issuer.chainPem());

    // The requests (encoded by pkijs, independent of our responder's DER code).
    type Kind = 'good' | 'revoked' | 'unknown';
    interface Req {
      readonly kind: Kind;
      readonly serial: string;
      readonly nonce: boolean;
    }
    const ws = Math.min(WORKING_SET, GOOD, N);
    const wsGood = good.slice(0, ws);
    const wsRevoked = Array.from({ length: ws }, (_, i) => revoked[(i * 7919) % N]!);
    const pick = (list: readonly string[]) => list[Math.floor(Math.random() * list.length)]!;
    // Lightweight: every working-set certificate once (warm-up), then the mix.
    const light: Req[] = [];
    for (let i = 0; i < ws; i++) {
      light.push({ kind: 'good', serial: wsGood[i]!, nonce: false });
      light.push({ kind: 'revoked', serial: wsRevoked[i]!, nonce: false });
    }
    const lightWarmup = light.length;
    for (let i = 0; i < REQUESTS; i++) {
      const r = i % 50;
      light.push(
        r === 0
          ? { kind: 'unknown', serial: serial(), nonce: false }
          : r === 1
            ? { kind: 'good', serial: pick(wsGood), nonce: true }
            : r % 2 === 0
              ? { kind: 'good', serial: pick(wsGood), nonce: false }
              : { kind: 'revoked', serial: pick(wsRevoked), nonce: false },
      );
    }
    const nonceMix: Req[] = [];
    for (let i = 0; i < NONCE_WARMUP + NONCE_REQUESTS; i++) {
      const kind = (['good', 'revoked', 'unknown'] as const)[i % 3]!;
      nonceMix.push({
        kind,
        serial:
          kind === 'good'
            ? good[i % GOOD]!
            : kind === 'revoked'
              ? revoked[(i * 7919) % N]!
              : serial(),
        nonce: true,
      });
    }
    // What the check asks first: one of each kind without a nonce, one with.
    const checks: Req[] = [
      { kind: 'good', serial: good[0]!, nonce: false },
      { kind: 'revoked', serial: revoked[0]!, nonce: false },
      { kind: 'unknown', serial: serial(), nonce: false },
      { kind: 'good', serial: good[1]!, nonce: true },
      { kind: 'revoked', serial: revoked[1]!, nonce: true },
    ];
    const buildRequests = async (caDer: Uint8Array, list: readonly Req[], file: string) => {
      const caPki = pkijs.Certificate.fromBER(caDer);
      const nameHash = new Uint8Array(
        await crypto.subtle.digest('SHA-1', caPki.subject.toSchema().toBER(false)),
      );
      const keyHash = new Uint8Array(
        await crypto.subtle.digest(
          'SHA-1',
          caPki.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView,
        ),
      );
      const parts: Buffer[] = [];
      for (const r of list) {
        const req = new pkijs.OCSPRequest();
        req.tbsRequest.requestList = [
          new pkijs.Request({
            reqCert: new pkijs.CertID({
              hashAlgorithm: new pkijs.AlgorithmIdentifier({
                algorithmId: '1.3.14.3.2.26',
                algorithmParams: new asn1js.Null(),
              }),
              issuerNameHash: new asn1js.OctetString({ valueHex: nameHash }),
              issuerKeyHash: new asn1js.OctetString({ valueHex: keyHash }),
              serialNumber: new asn1js.Integer({ valueHex: Buffer.from(r.serial, 'hex') }),
            }),
          }),
        ];
        if (r.nonce) {
          req.tbsRequest.requestExtensions = [
            new pkijs.Extension({
              extnID: '1.3.6.1.5.5.7.48.1.2',
              extnValue: new asn1js.OctetString({ valueHex: randomBytes(16) }).toBER(false),
            }),
          ];
        }
        const der = Buffer.from(req.toSchema(true).toBER(false));
        const len = Buffer.alloc(2);
        len.writeUInt16BE(der.length);
        parts.push(len, der);
      }
      await writeFile(file, Buffer.concat(parts));
    };
    const t1 = performance.now();
    const files = {
      light: join(dir, 'light.bin'),
      nonce: join(dir, 'nonce.bin'),
      check: join(dir, 'check.bin'),
    };
    await buildRequests(signCa, light, files.light);
    await buildRequests(signCa, nonceMix, files.nonce);
    await buildRequests(signCa, checks, files.check);
    console.log(
      `requests: ${(light.length + nonceMix.length).toLocaleString()} built in ${ms(performance.now() - t1)}`,
    );

    /** The check requests answered and verified: status, nonce echoed when sent, signature. */
    let firstAnswerAt = 0;
    const check = async (port: number, path: string) => {
      const raw = await readFile(files.check);
      let p = 0;
      for (let i = 0; i < checks.length; i++) {
        const n = raw.readUInt16BE(p);
        const der = raw.subarray(p + 2, p + 2 + n);
        p += 2 + n;
        const res = await fetch(`http://127.0.0.1:${port}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/ocsp-request' },
          body: der,
        });
        const body = new Uint8Array(await res.arrayBuffer());
        if (i === 0) firstAnswerAt = performance.now();
        const resp = pkijs.OCSPResponse.fromBER(body);
        const basic = pkijs.BasicOCSPResponse.fromBER(
          resp.responseBytes!.response.valueBlock.valueHexView,
        );
        const tag = (basic.tbsResponseData.responses[0]!.certStatus as asn1js.BaseBlock).idBlock
          .tagNumber;
        const want = { good: 0, revoked: 1, unknown: 2 }[checks[i]!.kind];
        if (tag !== want)
          throw new Error(`port ${port}: ${checks[i]!.kind} request answered with status [${tag}]`);
        const nonce = basic.tbsResponseData.responseExtensions?.find(
          (e) => e.extnID === '1.3.6.1.5.5.7.48.1.2',
        );
        if (checks[i]!.nonce) {
          const reqNonce =
            pkijs.OCSPRequest.fromBER(der).tbsRequest.requestExtensions![0]!.extnValue.valueBlock
              .valueHexView;
          if (
            !nonce ||
            Buffer.compare(
              Buffer.from(nonce.extnValue.valueBlock.valueHexView),
              Buffer.from(reqNonce),
            ) !== 0
          ) {
            throw new Error(`port ${port}: nonce not echoed`);
          }
        }
        const signer = new X509Certificate(
          new Uint8Array(basic.certs![0]!.toSchema().toBER(false)),
        );
        const { createVerify } = await import('node:crypto');
        if (
          !createVerify('sha256')
            .update(basic.tbsResponseData.tbsView)
            .verify(signer.publicKey, basic.signature.valueBlock.valueHexView)
        ) {
          throw new Error(`port ${port}: signature does not verify`);
        }
      }
    };

    const measure = async (
      name: string,
      start: () => Promise<{ proc: ChildProcess; port: number; path: string }>,
      file: string,
      warmup: number,
      keepAlive: boolean,
    ): Promise<Measured> => {
      const t0 = performance.now();
      const { proc, port, path } = await start();
      await check(port, path); // its first request is the first answer
      const startMs = firstAnswerAt - t0;
      let before = { rssMiB: 0, cpuMs: 0 };
      const r = await runLoad(file, port, path, warmup, keepAlive, async () => {
        before = await usage(proc.pid!);
      });
      const after = await usage(proc.pid!);
      stop(proc);
      await new Promise((resolve) =>
        proc.exitCode === null ? proc.once('exit', resolve) : resolve(0),
      );
      const m: Measured = {
        name,
        startMs,
        rps: r.latenciesMs.length / r.seconds,
        lat: summarize(r.latenciesMs),
        rssMiB: after.rssMiB,
        cpuPerReqMs: (after.cpuMs - before.cpuMs) / r.n,
        clientCpuPerReqMs: r.clientCpuMs / r.n,
        failures: r.failures,
      };
      console.log(
        `${name}: start ${ms(startMs)}, ${m.rps.toFixed(0)} responses/s, median ${ms(m.lat.median)}, p99 ${ms(m.lat.p99)}, server CPU ${ms(m.cpuPerReqMs)}/response, client ${ms(m.clientCpuPerReqMs)}, RSS ${m.rssMiB.toFixed(0)} MiB, load ${loadavg()[0]!.toFixed(1)}, failures ${r.failures}${r.firstFailure ? ` (${JSON.stringify(r.firstFailure)})` : ''}`,
      );
      if (r.failures > 0) throw new Error(`${name}: ${r.failures} failed requests`);
      return m;
    };

    const serveOurs = (workers: number) => async () => {
      const proc = spawn(
        process.execPath,
        [
          join(root, 'bin', 'myna.mjs'),
          'pki',
          'serve',
          '--dir',
          pkiDir,
          '--port',
          '0',
          '--workers',
          String(workers),
        ],
        { cwd: root, env: { ...process.env, MYNA_LANG: 'en' } },
      );
      children.push(proc);
      const url = await childOutput(proc, /serving at (http:\/\/[\d.]+:\d+)/, 600_000);
      return { proc, port: Number(new URL(url).port), path: '/ocsp' };
    };
    const serveOpenssl = (multi: number) => async () => {
      const port = await freePort();
      const proc = spawn(
        'openssl',
        [
          'ocsp',
          '-index',
          join(dir, 'index.txt'),
          '-port',
          String(port),
          '-rsigner',
          join(dir, 'ocsp-sign.pem'),
          '-rkey',
          join(dir, 'ocsp-sign.key'),
          '-CA',
          join(dir, 'sign-ca.pem'),
          '-rmd',
          'sha256',
          '-resp_key_id',
          '-nmin',
          '60',
          ...(multi > 1 ? ['-multi', String(multi)] : []),
        ],
        // (-multi makes itself a process group leader, forking the responders into it;
        // started detached it cannot, and exits)
        { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      children.push(proc);
      // Not a probing connect: openssl serves one connection at a time and would
      // wait on an empty probe before anything else.
      await childOutput(proc, /ACCEPT \S+ PID=\d+/, 600_000);
      return { proc, port, path: '/' };
    };

    const cores = availableParallelism();
    // One connection per request for the comparison: what OCSP clients (openssl's
    // among them) do, and what openssl's responder is built for (each process serves
    // one connection at a time). Keep-alive for ours only, as a further row.
    const contenders = [
      {
        name: `ours (myna pki serve, ${cores} workers)`,
        start: serveOurs(cores),
        keepAlive: false,
      },
      { name: 'openssl ocsp -multi 2', start: serveOpenssl(2), keepAlive: false },
      { name: 'ours, 1 process', start: serveOurs(1), keepAlive: false },
      { name: 'openssl ocsp', start: serveOpenssl(1), keepAlive: false },
      {
        name: `ours (${cores} workers), keep-alive connections`,
        start: serveOurs(cores),
        keepAlive: true,
      },
    ];
    type Mix = 'light' | 'nonce';
    const runs = new Map<string, Measured[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const mix of ['light', 'nonce'] as Mix[]) {
        for (const c of contenders) {
          // the single-process rows once per mix: the 2-core ones are the comparison
          if (round > 0 && c !== contenders[0] && c !== contenders[1]) continue;
          const m = await measure(
            `${c.name} [${mix}]`,
            c.start,
            files[mix],
            mix === 'light' ? lightWarmup : NONCE_WARMUP,
            c.keepAlive,
          );
          const key = `${c.name}|${mix}`;
          runs.set(key, [...(runs.get(key) ?? []), m]);
        }
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const row = (name: string, mix: Mix) => {
      const ms_ = runs.get(`${name}|${mix}`)!;
      const rps = ms_.map((m) => m.rps);
      return {
        name,
        runs: ms_.length,
        rps: median(rps),
        range: `${Math.min(...rps).toFixed(0)}–${Math.max(...rps).toFixed(0)}`,
        median: median(ms_.map((m) => m.lat.median)),
        p99: median(ms_.map((m) => m.lat.p99)),
        cpu: median(ms_.map((m) => m.cpuPerReqMs)),
        client: median(ms_.map((m) => m.clientCpuPerReqMs)),
        rss: median(ms_.map((m) => m.rssMiB)),
        startMs: median(ms_.map((m) => m.startMs)),
      };
    };
    const table = (mix: Mix) =>
      contenders
        .map((c) => row(c.name, mix))
        .map(
          (r) =>
            `| ${r.name} | ${r.runs} | ${r.rps.toFixed(0)} (${r.range}) | ${ms(r.median)} | ${ms(r.p99)} | ${ms(r.cpu)} | ${ms(r.client)} | ${r.rss.toFixed(0)} MiB | ${ms(r.startMs)} |`,
        )
        .join('\n');
    const oursName = contenders[0]!.name;
    const multiName = contenders[1]!.name;
    // Ratios per round (ours and openssl measured one after the other), then their median.
    const pairRatio = (mix: Mix) => {
      const a = runs.get(`${oursName}|${mix}`)!;
      const b = runs.get(`${multiName}|${mix}`)!;
      const rs = a.map((m, i) => m.rps / b[i]!.rps);
      return { median: median(rs), all: rs.map((r) => r.toFixed(2) + '×').join(', ') };
    };
    const lightRatio = pairRatio('light');
    const nonceRatio = pairRatio('nonce');
    const lightOurs = row(oursName, 'light');
    const lightMulti = row(multiName, 'light');
    const keptName = contenders[4]!.name;
    const lightKept = row(keptName, 'light');
    // the keep-alive row runs in the first round only: against that round's openssl
    const keptRatio =
      runs.get(`${keptName}|light`)![0]!.rps / runs.get(`${multiName}|light`)![0]!.rps;
    // On two shared cores the load generator's CPU is spent beside the responder's:
    // a responder costing nothing would still be held to this ratio.
    const ceiling = (lightMulti.cpu + lightMulti.client) / lightOurs.client;
    const header = `| responder | runs | responses/s, median (range) | latency median | p99 | server CPU per timed response (all its processes) | client CPU per request | RSS after | start → first answer |
|---|---|---|---|---|---|---|---|---|`;
    await writeResults(
      'ocsp',
      `## OCSP responder: ours vs \`openssl ocsp\` with a ${N.toLocaleString()}-entry index (bench/ocsp.bench.ts)

Machine: ${machine()}; load average ${loadStart} at the start, ${loadavg()[0]!.toFixed(1)} at the end (the machine is shared with other work: figures move with it, so runs are interleaved — ours, openssl, ours, openssl — and medians quoted). Command: \`MYNA_OCSP_REQUESTS=${REQUESTS} MYNA_OCSP_NONCE_REQUESTS=${NONCE_REQUESTS} npm run bench -- ocsp\` (MYNA_OCSP_N=${N}, ${ROUNDS} rounds, ${CONCURRENCY} requests in flight, one connection per request unless the row says keep-alive). Date: ${new Date().toISOString().slice(0, 10)}.

Same index for both: ${N.toLocaleString()} revoked + ${GOOD.toLocaleString()} good serials of the test 署名用 CA (ours: issued.jsonl + revocations.jsonl of the issuer directory; openssl: index.txt). Same request files for both (SHA-1 CertIDs; pkijs encodes them). Every answer is signed (RSA-2048, SHA-256) by the delegated responder key from a software key file. Load from a second process on loopback; latency is request sent → response read. Before the timed requests each responder answers a check of each kind (status, nonce echoed when sent, signature verified).

### Lightweight mix (RFC 5019): ${REQUESTS.toLocaleString()} requests after a warm-up of ${lightWarmup.toLocaleString()}

Clients of ${ws.toLocaleString()} good and ${ws.toLocaleString()} revoked certificates (a working set drawn from the index) ask without a nonce, as RFC 5019 clients do; 2% ask about an unknown serial (a new one each time) and 2% send a nonce — ours signs those two on demand. The warm-up asks each working-set certificate once: ours signs it then and serves the pre-signed answer until its status changes or half its validity has passed (re-signed in the background; never served within a minute of its nextUpdate). openssl signs every answer.

${header}
${table('light')}

- **Ours (${cores} workers) vs openssl ocsp -multi 2: ${lightRatio.median.toFixed(2)}× the responses per second** (median of the per-round ratios ${lightRatio.all}); our p99 ${ms(lightOurs.p99)}.
- Ours (${cores} workers) on keep-alive connections vs openssl ocsp -multi 2 (one connection per request, what its responder serves): ${keptRatio.toFixed(2)}× (first round); p99 ${ms(lightKept.p99)}.
- Ceiling of the one-connection-per-request ratio here: the load generator runs on the same two cores, and a new connection costs it ${ms(lightOurs.client)} of CPU per request against ours; (openssl's ${ms(lightMulti.cpu)} + its client's ${ms(lightMulti.client)}) / ${ms(lightOurs.client)} = ${ceiling.toFixed(1)}× is what a responder costing nothing would reach.

### Nonce mix: ${NONCE_REQUESTS.toLocaleString()} requests after ${NONCE_WARMUP.toLocaleString()} warm-up, each with its own nonce

Good, revoked and unknown in equal parts, every request with a fresh 16-byte nonce: no answer can be pre-signed, so this is the cost of signing on demand (both responders sign each answer).

${header}
${table('nonce')}

- Ours (${cores} workers) vs openssl ocsp -multi 2: ${nonceRatio.median.toFixed(2)}× the responses per second (per round: ${nonceRatio.all}).
- Ours: \`myna pki serve --workers ${cores}\` is ${cores} node:cluster worker processes on one listening socket (the kernel spreads the connections); each tails the issuer directory's records before every answer, so a \`myna pki revoke\` from another process is answered revoked at once (packages/cli/test/pki.test.ts, packages/pki/test/ocspCache.test.ts). The single-process row is \`--workers 1\`. \`openssl ocsp -multi 2\` is two forked responders.
`,
    );
  } finally {
    for (const c of children) if (c.exitCode === null) stop(c, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--load') {
  const [, , , file, port, path, c, warmup, keepAlive] = process.argv;
  await loadMain(file!, Number(port), path!, Number(c), Number(warmup), keepAlive === '1');
} else {
  await benchMain();
}
