/**
 * National-scale revocation check (地方認証PF CRL 方式): a full CRL of N revoked
 * serials (default 10,000,000; MYNA_CRL_N to change) signed by a real test CA.
 * Ours: load + index the DER, then look serials up and validate certificates.
 * Peer: `openssl verify -crl_check` with the same CRL and certificates, run side by
 * side. Writes bench/RESULTS.md.
 */
import {
  createPrivateKey,
  createSign,
  generateKeyPairSync,
  randomBytes,
  X509Certificate,
} from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CrlIndex, JpkiIssuer, parseCrl, validateWithCrl, verifyCrlSignature } from '@myna-ap/pki';
import { machine, ms, ratio, writeResults } from './stats.ts';

const N = Number(process.env.MYNA_CRL_N ?? 10_000_000);
const CERTS = 200; // certificates for the side-by-side validation
// openssl re-reads its CRL store per certificate: a few are enough to see the slope.
const OPENSSL_CERTS = 20;

// A full GC before each memory reading, so the figure is what stays alive (RSS alone
// also moves with freed buffers of the CRL build: it once "grew" by -750 MiB).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/**
 * JavaScript heap + ArrayBuffers (and other memory V8 is told of) after full GCs, in
 * bytes: repeated until it stops falling (one GC left 350 MiB of dead buffers counted).
 */
function liveBytes(): number {
  const read = () => {
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  };
  let last = read();
  for (let i = 0; i < 8; i++) {
    const now = read();
    if (last - now < 2 ** 20) return now;
    last = now;
  }
  return last;
}

function derLen(n: number): Buffer {
  if (n < 0x80) return Buffer.of(n);
  const b: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) b.unshift(v & 0xff);
  return Buffer.of(0x80 | b.length, ...b);
}
const tlv = (tag: number, body: Buffer) =>
  Buffer.concat([Buffer.of(tag), derLen(body.length), body]);

/** The CRL written straight into one buffer (a DER encoder per entry would dominate). */
function buildCrl(
  issuerName: Buffer,
  serials: Buffer,
  n: number,
  extra: Buffer[],
  caKeyPem: string,
): Buffer {
  const time = Buffer.from('261101000000Z');
  const entryLen = 2 + 2 + 17 + 2 + 13; // 30 L { 02 11 00 <16> 17 0D <13> }
  const revoked = Buffer.alloc(n * entryLen);
  let o = 0;
  for (let i = 0; i < n; i++) {
    revoked[o++] = 0x30;
    revoked[o++] = entryLen - 2;
    revoked[o++] = 0x02;
    revoked[o++] = 17;
    revoked[o++] = 0x00; // sign octet (every serial has its high bit set)
    serials.copy(revoked, o, i * 16, i * 16 + 16);
    o += 16;
    revoked[o++] = 0x17;
    revoked[o++] = 13;
    time.copy(revoked, o);
    o += 13;
  }
  const extras = Buffer.concat(
    extra.map((s) =>
      tlv(
        0x30,
        Buffer.concat([
          tlv(0x02, s[0]! & 0x80 ? Buffer.concat([Buffer.of(0), s]) : s),
          tlv(0x17, time),
        ]),
      ),
    ),
  );
  const alg = Buffer.from('300d06092a864886f70d01010b0500', 'hex');
  const crlNumber = Buffer.from('a00e300c300a0603551d140403020101', 'hex');
  const tbs = tlv(
    0x30,
    Buffer.concat([
      Buffer.from('020101', 'hex'),
      alg,
      issuerName,
      tlv(0x17, time),
      tlv(0x17, Buffer.from('361101000000Z')),
      tlv(0x30, Buffer.concat([revoked, extras])),
      crlNumber,
    ]),
  );
  const sig = createSign('sha256').update(tbs).sign(caKeyPem);
  return tlv(0x30, Buffer.concat([tbs, alg, tlv(0x03, Buffer.concat([Buffer.of(0), sig]))]));
}

function run(cmd: string, args: string[]): Promise<{ ms: number; out: string; code: number }> {
  return new Promise((resolve) => {
    const s = performance.now();
    execFile(cmd, args, { maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({
        ms: performance.now() - s,
        out: stdout + stderr,
        code: err ? ((err as { code?: number }).code ?? 1) : 0,
      }),
    );
  });
}

const loadStart = loadavg()[0]!.toFixed(1);
const dir = await mkdtemp(join(tmpdir(), 'myna-crl-bench-'));
try {
  const issuer = await JpkiIssuer.init(join(dir, 'pki'));
  const caKey = createPrivateKey({
    key: await readFile(join(dir, 'pki', 'keys', 'sign-ca.p8')),
    format: 'der',
    type: 'pkcs8',
  }).export({
    format: 'pem',
    type: 'pkcs8',
  }) as string;
  const caCert = new X509Certificate(issuer.signCaCertificate);
  // The issuer Name DER, taken from the CA certificate itself.
  const x509 = await import('@peculiar/x509');
  const name = Buffer.from(
    new x509.X509Certificate(issuer.signCaCertificate).subjectName.toArrayBuffer(),
  );

  // Certificates: half revoked (in the CRL), half good.
  const pub = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
  const holder = {
    name: '番号 花子',
    address: '東京都千代田区千代田1番1号',
    birthDate: '1990-01-01',
    sex: '2',
  } as const;
  const certs: Uint8Array[] = [];
  for (let i = 0; i < CERTS; i++) {
    certs.push(
      (await issuer.issueCardCertificates({ authPublicKey: pub, signPublicKey: pub, holder })).sign,
    );
  }
  const revokedCerts = certs
    .slice(0, CERTS / 2)
    .map((c) => Buffer.from(new X509Certificate(c).serialNumber, 'hex'));

  let t = performance.now();
  const serials = randomBytes(N * 16);
  // DER INTEGERs are minimal: with the high bit set, the 00 sign octet is required.
  for (let i = 0; i < N; i++) serials[i * 16] = serials[i * 16]! | 0x80;
  const der = buildCrl(name, serials, N, revokedCerts, caKey);
  const buildMs = performance.now() - t;
  const crlFile = join(dir, 'big.crl');
  await writeFile(crlFile, der);
  console.log(
    `CRL: ${N.toLocaleString()} entries, ${(der.length / 2 ** 20).toFixed(0)} MiB, built in ${ms(buildMs)}`,
  );

  // Ours: verify the signature, build the index.
  t = performance.now();
  const info = parseCrl(der);
  if (!verifyCrlSignature(info, caCert.publicKey)) throw new Error('CRL signature does not verify');
  const verifyMs = performance.now() - t;
  const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
  const live0 = liveBytes();
  const rss0 = process.memoryUsage().rss;
  const cpu = process.cpuUsage();
  t = performance.now();
  const idx = CrlIndex.fromCrl(der);
  const indexMs = performance.now() - t;
  const indexCpuMs = cpuMs(process.cpuUsage(cpu));
  // RSS right after the build includes its garbage: the peak the build needs, roughly.
  const rssGrowth = (process.memoryUsage().rss - rss0) / 2 ** 20;
  const liveGrowth = (liveBytes() - live0) / 2 ** 20;
  console.log(
    `ours: signature ${ms(verifyMs)}, index ${ms(indexMs)} (CPU ${ms(indexCpuMs)}), ${(idx.byteSize / 2 ** 20).toFixed(0)} MiB of arrays, ${liveGrowth.toFixed(0)} MiB live after GC, RSS +${rssGrowth.toFixed(0)} MiB, load ${loadavg()[0]!.toFixed(1)}`,
  );

  // Lookups: 100,000 revoked and 100,000 absent serials, each copied into one
  // query buffer first (as a verifier holds the serial it just parsed), so the
  // figure is the index's, not the cost of reaching 100,000 scattered test objects.
  const L = 100_000;
  const hitKeys = new Uint8Array(L * 16);
  for (let i = 0; i < L; i++) {
    const k = Math.floor(Math.random() * N);
    hitKeys.set(serials.subarray(k * 16, k * 16 + 16), i * 16);
  }
  const missKeys = new Uint8Array(randomBytes(L * 16));
  const q = new Uint8Array(16);
  const timeLookups = (keys: Uint8Array): { ns: number; cpuNs: number; found: number } => {
    let found = 0;
    const c = process.cpuUsage();
    const s = performance.now();
    for (let i = 0; i < L; i++) {
      for (let k = 0; k < 16; k++) q[k] = keys[i * 16 + k]!;
      if (idx.has(q)) found++;
    }
    return {
      ns: ((performance.now() - s) * 1e6) / L,
      cpuNs: (cpuMs(process.cpuUsage(c)) * 1e6) / L,
      found,
    };
  };
  timeLookups(hitKeys); // warm-up
  const hit = timeLookups(hitKeys);
  const miss = timeLookups(missKeys);
  if (hit.found !== L || miss.found !== 0)
    throw new Error(`lookup found ${hit.found}/${L} and ${miss.found} false`);
  const hitNs = hit.ns;
  const missNs = miss.ns;
  console.log(
    `ours: lookup ${hitNs.toFixed(0)} ns (revoked), ${missNs.toFixed(0)} ns (absent); CPU ${hit.cpuNs.toFixed(0)} / ${miss.cpuNs.toFixed(0)} ns`,
  );

  // Ours: full validation (chain signatures + lookup) of the same certificates.
  const trust = { root: issuer.rootCertificate, cas: [issuer.signCaCertificate] };
  t = performance.now();
  let revokedSeen = 0;
  for (const c of certs) if (validateWithCrl(c, trust, idx).status === 'revoked') revokedSeen++;
  const oursPerCert = (performance.now() - t) / CERTS;
  if (revokedSeen !== CERTS / 2)
    throw new Error(`expected ${CERTS / 2} revoked, saw ${revokedSeen}`);

  // Peer: openssl verify -crl_check, one process for all the certificates (the CRL loads once).
  const chain = join(dir, 'chain.pem');
  await writeFile(chain, issuer.chainPem());
  const files: string[] = [];
  for (let i = 0; i < CERTS; i++) {
    const f = join(dir, `c${i}.pem`);
    await writeFile(f, new X509Certificate(certs[i]!).toString());
    files.push(f);
  }
  const one = await run('openssl', [
    'verify',
    '-crl_check',
    '-CAfile',
    chain,
    '-CRLfile',
    crlFile,
    files[0]!,
  ]);
  const all = await run('openssl', [
    'verify',
    '-crl_check',
    '-CAfile',
    chain,
    '-CRLfile',
    crlFile,
    ...files.slice(0, OPENSSL_CERTS),
  ]);
  // one verdict per file: count the files openssl failed for a revoked certificate
  const opensslRevoked = new Set(all.out.match(/c\d+\.pem: verification failed/g) ?? []).size;
  if (process.env.MYNA_BENCH_DEBUG) console.log(one.out, all.out.slice(0, 2000));
  const opensslPerCert = (all.ms - one.ms) / (OPENSSL_CERTS - 1);
  console.log(
    `openssl: one certificate ${ms(one.ms)} (CRL load included), ${OPENSSL_CERTS} in ${ms(all.ms)} → ${ms(opensslPerCert)} per further certificate; revoked seen ${opensslRevoked}`,
  );
  const ours100k = verifyMs + indexMs + oursPerCert * 100_000;
  const openssl100k = one.ms + opensslPerCert * 99_999;

  await writeResults(
    'crl',
    `## Revocation check against a ${N.toLocaleString()}-entry CRL (bench/crl.bench.ts)

Machine: ${machine()}; load average ${loadStart} at the start, ${loadavg()[0]!.toFixed(1)} at the end (a shared machine: wall-clock figures grow with the load; the CPU time of this process is given beside them). Command: \`npm run bench -- crl\` (MYNA_CRL_N=${N}). Date: ${new Date().toISOString().slice(0, 10)}.

CRL: ${N.toLocaleString()} revoked serials (16 bytes each) + ${CERTS / 2} of our certificates, ${(der.length / 2 ** 20).toFixed(0)} MiB DER, signed by the test 署名用 CA.

| step | ours (CrlIndex) | openssl verify -crl_check |
|---|---|---|
| load: signature check | ${ms(verifyMs)} | — |
| load: parse + index | ${ms(indexMs)} wall, ${ms(indexCpuMs)} CPU | ${ms(one.ms)} (one certificate, load included) |
| memory (812 MiB of arrays before the 4-byte slots) | ${(idx.byteSize / 2 ** 20).toFixed(0)} MiB of arrays; heap + buffers alive grew ${liveGrowth.toFixed(0)} MiB (after full GCs); RSS ${rssGrowth >= 0 ? '+' : ''}${rssGrowth.toFixed(0)} MiB over the build (garbage included) | — |
| lookup of a serial (\`has\`) | ${hitNs.toFixed(0)} ns revoked / ${missNs.toFixed(0)} ns absent (CPU ${hit.cpuNs.toFixed(0)} / ${miss.cpuNs.toFixed(0)} ns) | — |
| validate one certificate (chain + lookup) | ${ms(oursPerCert)} | ${ms(opensslPerCert)} per further certificate in one process |
| 100,000 certificates (load + 100,000 checks, extrapolated from ${CERTS}) | ${ms(ours100k)} | ${ms(openssl100k)} |

- Ours vs openssl for 100,000 certificates: ${ratio(openssl100k, ours100k)} faster.
- Ours found the ${CERTS / 2} revoked certificates among ${CERTS}; openssl found ${opensslRevoked} among its ${OPENSSL_CERTS} (the first ${OPENSSL_CERTS} are all revoked ones).
`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
