/**
 * OCSP at national scale: responses per second and latency of our responder
 * (`myna pki serve`) vs the `openssl ocsp` responder (`-index -port`), each in its
 * own process, with the same 1,000,000 revoked serials (MYNA_OCSP_N to change):
 * ours in the issuer directory's records, openssl's in a CA index.txt. The load
 * comes from a second process (this file run with `--load`: raw HTTP/1.1 POSTs on
 * loopback, one connection per request as OCSP clients do), the same request mix
 * for both: good, revoked and unknown serials in equal parts, each with its own
 * nonce. Writes bench/RESULTS.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { makeSoftHsmToken, softHsmUnavailable } from '@myna-ap/pki/testing';
import { machine, ms, ratio, summarize, writeResults, type Summary } from './stats.ts';

const N = Number(process.env.MYNA_OCSP_N ?? 1_000_000);
const GOOD = 10_000; // issued, not revoked
const REQUESTS = Number(process.env.MYNA_OCSP_REQUESTS ?? 20_000);
const WARMUP = 1_000;
const CONCURRENCY = Number(process.env.MYNA_OCSP_CONCURRENCY ?? 16);
const root = new URL('..', import.meta.url).pathname;

// ---------------------------------------------------------------------------
// The load generator (second process): `ocsp.bench.ts --load FILE PORT PATH C`.
// FILE holds the DER requests, each after a 2-byte big-endian length.

interface LoadResult {
  readonly n: number;
  readonly seconds: number;
  readonly latenciesMs: number[];
  readonly failures: number;
  readonly firstFailure?: string;
}

function post(
  port: number,
  path: string,
  body: Buffer,
): Promise<{ ms: number; ok: boolean; why?: string }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const chunks: Buffer[] = [];
    const s = connect({ port, host: '127.0.0.1', noDelay: true }, () => {
      s.write(
        Buffer.concat([
          Buffer.from(
            `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/ocsp-request\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
          ),
          body,
        ]),
      );
    });
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', (e) => resolve({ ms: performance.now() - t0, ok: false, why: e.message }));
    s.on('close', () => {
      const t = performance.now() - t0;
      const all = Buffer.concat(chunks);
      const head = all.indexOf('\r\n\r\n');
      const status = all.subarray(0, 12).toString('latin1');
      const bodyAt = head + 4;
      // 200, and an OCSPResponse whose responseStatus is successful (0)
      const ok =
        / 200$/.test(status) &&
        head > 0 &&
        all[bodyAt] === 0x30 &&
        all.indexOf(Buffer.of(0x0a, 0x01, 0x00), bodyAt) > bodyAt &&
        all.indexOf(Buffer.of(0x0a, 0x01, 0x00), bodyAt) <= bodyAt + 6;
      resolve({ ms: t, ok, ...(ok ? {} : { why: all.subarray(0, 80).toString('latin1') }) });
    });
  });
}

async function loadMain(file: string, port: number, path: string, concurrency: number) {
  const raw = await readFile(file);
  const reqs: Buffer[] = [];
  for (let p = 0; p < raw.length;) {
    const n = raw.readUInt16BE(p);
    reqs.push(raw.subarray(p + 2, p + 2 + n));
    p += 2 + n;
  }
  const run = async (list: Buffer[]): Promise<LoadResult> => {
    const latenciesMs: number[] = [];
    let failures = 0;
    let firstFailure: string | undefined;
    let next = 0;
    const t0 = performance.now();
    const worker = async () => {
      while (next < list.length) {
        const r = await post(port, path, list[next++]!);
        if (r.ok) latenciesMs.push(r.ms);
        else {
          failures++;
          firstFailure ??= r.why;
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return {
      n: list.length,
      seconds: (performance.now() - t0) / 1000,
      latenciesMs,
      failures,
      ...(firstFailure ? { firstFailure } : {}),
    };
  };
  await run(reqs.slice(0, WARMUP));
  const result = await run(reqs.slice(WARMUP));
  process.stdout.write(JSON.stringify(result));
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
  readonly failures: number;
}

function runLoad(reqFile: string, port: number, path: string): Promise<LoadResult> {
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
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    p.stdout.on('data', (d) => (out += d));
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

    // The requests: one third each good / revoked / unknown, each with a fresh nonce
    // (encoded by pkijs, independent of our responder's DER code).
    const total = WARMUP + REQUESTS;
    const kinds: ('good' | 'revoked' | 'unknown')[] = [];
    for (let i = 0; i < total; i++) kinds.push((['good', 'revoked', 'unknown'] as const)[i % 3]!);
    const buildRequests = async (caDer: Uint8Array, file: string) => {
      const t0 = performance.now();
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
      for (let i = 0; i < total; i++) {
        const kind = kinds[i]!;
        const s =
          kind === 'good'
            ? good[i % GOOD]!
            : kind === 'revoked'
              ? revoked[(i * 7919) % N]!
              : serial();
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
              serialNumber: new asn1js.Integer({ valueHex: Buffer.from(s, 'hex') }),
            }),
          }),
        ];
        req.tbsRequest.requestExtensions = [
          new pkijs.Extension({
            extnID: '1.3.6.1.5.5.7.48.1.2',
            extnValue: new asn1js.OctetString({ valueHex: randomBytes(16) }).toBER(false),
          }),
        ];
        const der = Buffer.from(req.toSchema(true).toBER(false));
        const len = Buffer.alloc(2);
        len.writeUInt16BE(der.length);
        parts.push(len, der);
      }
      await writeFile(file, Buffer.concat(parts));
      console.log(`requests: ${total.toLocaleString()} built in ${ms(performance.now() - t0)}`);
    };
    const reqFile = join(dir, 'requests.bin');
    await buildRequests(signCa, reqFile);

    /** One request of each kind, answered and checked: status, nonce echoed, signature. */
    let firstAnswerAt = 0;
    const check = async (port: number, path: string, file: string) => {
      const raw = await readFile(file);
      let p = 0;
      for (let i = 0; i < 3; i++) {
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
        const want = { good: 0, revoked: 1, unknown: 2 }[kinds[i]!];
        if (tag !== want)
          throw new Error(`port ${port}: ${kinds[i]} request answered with status [${tag}]`);
        const reqNonce =
          pkijs.OCSPRequest.fromBER(der).tbsRequest.requestExtensions![0]!.extnValue.valueBlock
            .valueHexView;
        const nonce = basic.tbsResponseData.responseExtensions?.find(
          (e) => e.extnID === '1.3.6.1.5.5.7.48.1.2',
        );
        if (
          !nonce ||
          Buffer.compare(
            Buffer.from(nonce.extnValue.valueBlock.valueHexView),
            Buffer.from(reqNonce),
          ) !== 0
        ) {
          throw new Error(`port ${port}: nonce not echoed`);
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
      file: string = reqFile,
    ): Promise<Measured> => {
      const t0 = performance.now();
      const { proc, port, path } = await start();
      await check(port, path, file); // its first request is the first answer
      const startMs = firstAnswerAt - t0;
      const before = await usage(proc.pid!);
      const r = await runLoad(file, port, path);
      const after = await usage(proc.pid!);
      stop(proc);
      const m: Measured = {
        name,
        startMs,
        rps: r.latenciesMs.length / r.seconds,
        lat: summarize(r.latenciesMs),
        rssMiB: after.rssMiB,
        cpuPerReqMs: (after.cpuMs - before.cpuMs) / r.n,
        failures: r.failures,
      };
      console.log(
        `${name}: start ${ms(startMs)}, ${m.rps.toFixed(0)} responses/s, median ${ms(m.lat.median)}, p99 ${ms(m.lat.p99)}, server CPU ${ms(m.cpuPerReqMs)}/response, RSS ${m.rssMiB.toFixed(0)} MiB, failures ${r.failures}${r.firstFailure ? ` (${JSON.stringify(r.firstFailure)})` : ''}`,
      );
      if (r.failures > 0) throw new Error(`${name}: ${r.failures} failed requests`);
      return m;
    };

    const serveOurs = (pki: string, env: NodeJS.ProcessEnv) => async () => {
      const proc = spawn(
        process.execPath,
        [join(root, 'bin', 'myna.mjs'), 'pki', 'serve', '--dir', pki, '--port', '0'],
        { cwd: root, env: { ...env, MYNA_LANG: 'en' } },
      );
      children.push(proc);
      const url = await childOutput(proc, /serving at (http:\/\/[\d.]+:\d+)/, 600_000);
      return { proc, port: Number(new URL(url).port), path: '/ocsp' };
    };
    const ours = await measure('ours (myna pki serve)', serveOurs(pkiDir, process.env));

    // The production path: the same records, the responder key in a SoftHSM2 token.
    let oursP11: Measured | undefined;
    const noHsm = softHsmUnavailable();
    if (noHsm) {
      console.log(`ours with SoftHSM2: skipped (${noHsm})`);
    } else {
      const token = makeSoftHsmToken('myna-bench');
      const p11Dir = join(dir, 'pki-p11');
      const p11 = await JpkiIssuer.init(p11Dir, {
        pkcs11: { module: token.module, token: token.label, pin: token.pin },
      });
      await p11.close();
      for (const f of ['issued.jsonl', 'revocations.jsonl']) {
        await copyFile(join(pkiDir, f), join(p11Dir, f));
      }
      const p11Requests = join(dir, 'requests-p11.bin');
      await buildRequests(p11.signCaCertificate, p11Requests);
      const env = {
        ...process.env,
        SOFTHSM2_CONF: token.env.SOFTHSM2_CONF,
        MYNA_PKCS11_PIN: token.pin,
      };
      oursP11 = await measure(
        'ours, responder key in SoftHSM2 (PKCS#11)',
        serveOurs(p11Dir, env),
        p11Requests,
      );
    }
    const opensslRuns: Measured[] = [];
    for (const multi of [1, 2]) {
      opensslRuns.push(
        await measure(`openssl ocsp${multi > 1 ? ` -multi ${multi}` : ''}`, async () => {
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
        }),
      );
    }

    const [one, multi] = opensslRuns as [Measured, Measured];
    const row = (m: Measured) =>
      `| ${m.name} | ${ms(m.startMs)} | ${m.rps.toFixed(0)} | ${ms(m.lat.median)} | ${ms(m.lat.p99)} | ${ms(m.cpuPerReqMs)} | ${m.rssMiB.toFixed(0)} MiB |`;
    await writeResults(
      'ocsp',
      `## OCSP responder: ours vs \`openssl ocsp\` with a ${N.toLocaleString()}-entry index (bench/ocsp.bench.ts)

Machine: ${machine()}; load average ${loadStart} at the start, ${loadavg()[0]!.toFixed(1)} at the end (other work on the machine shows here). Command: \`npm run bench -- ocsp\` (MYNA_OCSP_N=${N}, ${REQUESTS.toLocaleString()} requests after ${WARMUP.toLocaleString()} warm-up, ${CONCURRENCY} in flight). Date: ${new Date().toISOString().slice(0, 10)}.

Same index for both: ${N.toLocaleString()} revoked + ${GOOD.toLocaleString()} good serials of the test 署名用 CA (ours: issued.jsonl + revocations.jsonl of the issuer directory; openssl: index.txt). Same requests: good / revoked / unknown in equal parts, SHA-1 CertID, a 16-byte nonce each; every answer is signed (RSA-2048, SHA-256) by the delegated responder key from a software key file (in the SoftHSM2 row: generated in the token, signing there; its own CA, so its own requests of the same mix and serials). Load from a second process on loopback, one connection per request; latency is request sent → response read.

| responder | start → first answer (ours incl. ~0.8 s of tsx start-up) | responses/s | median | p99 | server CPU per response (all its processes) | RSS after (all its processes) |
|---|---|---|---|---|---|---|
${row(ours)}
${oursP11 ? row(oursP11) + '\n' : ''}${row(one)}
${row(multi)}

- Ours vs openssl ocsp (one process): ${ratio(ours.rps, one.rps)} the responses per second; p99 ${ms(ours.lat.p99)} vs ${ms(one.lat.p99)}; server CPU per response ${ratio(ours.cpuPerReqMs, one.cpuPerReqMs)} openssl's.
- Ours vs openssl ocsp -multi 2: ${ratio(ours.rps, multi.rps)} the responses per second.${oursP11 ? `\n- Ours with the key in SoftHSM2 vs a software key: ${ratio(oursP11.rps, ours.rps)} the responses per second.` : ''}
- Both answered every request of the mix correctly (checked: status, nonce echoed, signature) and none failed.
- Ours is one Node process: the event loop parses, looks up and writes each answer, and the RSA signature runs on libuv's thread pool; \`openssl ocsp -multi 2\` is two forked responders.
`,
    );
  } finally {
    for (const c of children) if (c.exitCode === null) stop(c, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--load') {
  const [, , , file, port, path, c] = process.argv;
  await loadMain(file!, Number(port), path!, Number(c));
} else {
  await benchMain();
}
