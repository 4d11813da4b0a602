/**
 * Copy throughput to object storage: `backhaul copy` of a ~1 GiB repository to
 * a loopback Ceph RGW (started here, test/helpers/rgw.ts), against `rclone
 * copy` of the same repository directory to the same RGW (another bucket),
 * with rclone's default settings and with as many transfers in flight as
 * Backhaul uses (16). The two alternate, each going first in every other
 * round. Backhaul sends each pack whole with its id as the signed payload
 * hash, so RGW verifies its SHA-256 before storing it, then writes the index,
 * the records and the catalogue; rclone sends the files as they are (each
 * with a Content-MD5).
 *
 * Requests are counted on the server: RGW's access log (one `beast:` line per
 * request, at debug level 1) is filtered by bucket, so both tools are counted
 * the same way, with nothing in between that could slow either down.
 *
 * The source is a seeded data set (large random files and a few thousand
 * small ones) backed up once with `backhaul agent backup` into
 * .bench/s3/primary and reused by later runs.
 * Usage: node --import tsx bench/s3.ts [--size-mib 1024] [--rounds 2] [--keep]
 */
import {createCipheriv, createHash} from 'node:crypto';
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {loadavg} from 'node:os';
import {join} from 'node:path';
import {parseArgs} from 'node:util';
import {startRgw, type RgwServer} from '../test/helpers/rgw.js';
import {CLI, duBytes, gib, have, printTable, run, sh, type Row} from './common.js';

const {values} = parseArgs({
  options: {
    'size-mib': {type: 'string', default: '1024'},
    rounds: {type: 'string', default: '2'},
    keep: {type: 'boolean'},
  },
});
const sizeMiB = Number(values['size-mib']);
const rounds = Math.max(1, Number(values.rounds));
const MiB = 1 << 20;
const root = join(process.cwd(), '.bench', 's3');
const data = join(root, `data-${sizeMiB}`);
const primary = join(root, `primary-${sizeMiB}`);
const work = join(root, 'work');
const env = {XDG_CONFIG_HOME: join(work, 'config'), XDG_DATA_HOME: join(work, 'share')};

/** Deterministic incompressible bytes (AES-256-CTR keystream of a seed). */
function bytes(size: number, seed: string): Buffer {
  const key = createHash('sha256').update(`backhaul-bench-s3-${seed}`).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

/** ~85% in large files, the rest in 1-64 KiB files: a server's mix, at a size that fits in RAM-backed RGW. */
function buildDataSet(): void {
  rmSync(data, {recursive: true, force: true});
  const large = Math.floor((sizeMiB * 0.85) / 5);
  mkdirSync(join(data, 'large'), {recursive: true});
  for (let i = 0; i < 5; i++) writeFileSync(join(data, 'large', `blob-${i}.bin`), bytes(large * MiB, `large-${i}`));
  let small = (sizeMiB - large * 5) * MiB;
  for (let i = 0; small > 0; i++) {
    const dir = join(data, 'small', String(i % 64).padStart(2, '0'));
    if (i < 64) mkdirSync(dir, {recursive: true});
    const size = 1024 + (((i * 2654435761) >>> 0) % (63 * 1024));
    writeFileSync(join(dir, `f${i}.dat`), bytes(size, `small-${i}`));
    small -= size;
  }
}

function ensureSource(): void {
  const marker = join(primary, '.bench-complete');
  if (existsSync(marker)) return;
  console.log(`Building the ${sizeMiB} MiB source repository in ${primary} (once)...`);
  buildDataSet();
  rmSync(primary, {recursive: true, force: true});
  rmSync(work, {recursive: true, force: true});
  run(process.execPath, [CLI, 'repo', 'add', 'primary', primary], env);
  run(
    process.execPath,
    [
      CLI,
      'agent',
      'backup',
      '--repo',
      'primary',
      '--job',
      'bench-s3',
      '--machine',
      'bench-s3',
      '--kind',
      'server',
      '--path',
      data,
      '--json',
    ],
    env,
  );
  rmSync(data, {recursive: true, force: true}); // the repository is what gets copied
  writeFileSync(marker, new Date().toISOString());
}

/** Requests RGW served for a bucket so far, from its access log. */
function requestsFor(server: RgwServer, bucket: string): number {
  const log = readFileSync(join(server.dir, 'log', 'client.rgw.a.log'), 'utf8');
  const line = new RegExp(`beast: \\S+: \\S+ - \\S+ \\[[^\\]]+\\] "[A-Z]+ /${bucket.replace(/\W/g, '\\$&')}[/? ]`, 'g');
  return log.match(line)?.length ?? 0;
}

/** Waits until the access log stops growing (RGW writes it asynchronously). */
async function settledRequests(server: RgwServer, bucket: string): Promise<number> {
  let last = -1;
  for (;;) {
    await new Promise(r => setTimeout(r, 500));
    const now = requestsFor(server, bucket);
    if (now === last) return now;
    last = now;
  }
}

if (!have('rclone')) sh('apt-get install -y -qq --no-install-recommends rclone >/dev/null 2>&1 || true');
if (!have('rclone')) {
  console.log('\n## S3 copy\n\nrclone is not installed and could not be installed; skipped.');
  process.exit(0);
}
ensureSource();
const repoBytes = duBytes(primary);
rmSync(work, {recursive: true, force: true});
mkdirSync(work, {recursive: true});
// RAM-backed: every copy stays in memory until the end (deleted objects are reclaimed only hours later).
const server = await startRgw({memstoreBytes: Math.max(4 * 2 ** 30, repoBytes * (2 * rounds + 2))});
try {
  const keys = {AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey};
  const bh = (...args: string[]) => run(process.execPath, [CLI, ...args], {...env, ...keys});
  bh('repo', 'add', 'primary', primary);
  const rclone = {
    RCLONE_CONFIG_RGW_TYPE: 's3',
    RCLONE_CONFIG_RGW_PROVIDER: 'Ceph',
    RCLONE_CONFIG_RGW_ENDPOINT: server.endpoint,
    RCLONE_CONFIG_RGW_ACCESS_KEY_ID: server.accessKeyId,
    RCLONE_CONFIG_RGW_SECRET_ACCESS_KEY: server.secretAccessKey,
    RCLONE_CONFIG_RGW_REGION: server.region,
    RCLONE_CONFIG: '/dev/null',
    AWS_CA_BUNDLE: '', // a CA bundle from the environment makes rclone's SDK refuse its own HTTP transport (and this is plain HTTP)
  };
  run('sync', []);
  // Both tools then read the source from the page cache: the first run must not pay for a cold disk.
  sh(`find '${primary}' -type f -exec cat {} + > /dev/null`);

  // Alternating rounds, best of each: the machines this runs on are shared and noisy. Which tool goes
  // first alternates too: RGW's memstore only grows during the run, and a fuller one can be slower.
  const bhRuns: {seconds: number; requests: number; sent: number}[] = [];
  const rcRuns: {seconds: number; requests: number}[] = [];
  const backhaulRound = async (round: number) => {
    const bucket = `bench-backhaul-${round}`;
    bh('repo', 'add', `s3-${round}`, `s3://${bucket}/repo`, '--endpoint', server.endpoint);
    const copy = bh('copy', '--from', 'primary', '--to', `s3-${round}`, '--points', 'all', '--json');
    bhRuns.push({
      seconds: copy.seconds,
      requests: await settledRequests(server, bucket),
      sent: JSON.parse(copy.stdout).transferredBytes,
    });
  };
  const rcloneRound = async (round: number) => {
    const rc = run('rclone', ['copy', primary, `rgw:bench-rclone-${round}/repo`], rclone);
    rcRuns.push({seconds: rc.seconds, requests: await settledRequests(server, `bench-rclone-${round}`)});
  };
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? [backhaulRound, rcloneRound] : [rcloneRound, backhaulRound];
    for (const step of order) await step(round);
  }
  const rc16 = run(
    'rclone',
    ['copy', '--transfers', '16', '--checkers', '16', primary, 'rgw:bench-rclone-t16/repo'],
    rclone,
  );
  const rc16Requests = await settledRequests(server, 'bench-rclone-t16');
  const noop = bh('copy', '--from', 'primary', '--to', 's3-1', '--points', 'all', '--json');
  const verify = bh('verify', '--repo', 's3-1', '--json');

  const best = <T extends {seconds: number}>(runs: T[]) => runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const times = (runs: {seconds: number}[]) => runs.map(r => r.seconds.toFixed(1)).join(', ');
  const median = (runs: {seconds: number}[]) => {
    const sorted = runs.map(r => r.seconds).sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  const perGiB = (n: number, bytes: number) => (n / (bytes / 2 ** 30)).toFixed(0);
  const bhBest = best(bhRuns);
  const rcBest = best(rcRuns);
  const rows: Row[] = [
    {
      measure: `copy to RGW, full (${gib(repoBytes)} repository; best of ${rounds})`,
      backhaul: bhBest.seconds,
      reference: 'rclone copy (defaults: 4 transfers)',
      referenceSeconds: rcBest.seconds,
      note: `the server checks every pack's SHA-256; runs: backhaul ${times(bhRuns)} s, rclone ${times(rcRuns)} s; ${(bhBest.sent / MiB / bhBest.seconds).toFixed(0)} MiB/s`,
    },
    {
      measure: `copy to RGW, full (median of ${rounds})`,
      backhaul: median(bhRuns),
      reference: 'rclone copy (defaults: 4 transfers)',
      referenceSeconds: median(rcRuns),
    },
    {
      measure: 'copy to RGW, full',
      backhaul: bhBest.seconds,
      reference: 'rclone copy --transfers 16 (one run)',
      referenceSeconds: rc16.seconds,
    },
    {
      measure: 'copy to RGW, no-op re-run',
      backhaul: noop.seconds,
      reference: '(none)',
      referenceSeconds: 0,
      note: `transferred ${JSON.parse(noop.stdout).transferredBytes} bytes`,
    },
    {
      measure: 'verify of the S3 copy (reads every pack)',
      backhaul: verify.seconds,
      reference: '(none)',
      referenceSeconds: 0,
      note: JSON.parse(verify.stdout).ok ? 'ok' : 'DAMAGED',
    },
  ];
  printTable(
    `Copy to S3 (loopback Ceph RGW, memstore; ratio > 1: Backhaul is faster; load average at the end ${loadavg()
      .map(l => l.toFixed(2))
      .join(' ')})`,
    rows,
  );
  console.log("\n| S3 requests (from RGW's access log) | backhaul copy | rclone copy | rclone copy --transfers 16 |");
  console.log('| --- | ---: | ---: | ---: |');
  console.log(`| in all | ${bhBest.requests} | ${rcBest.requests} | ${rc16Requests} |`);
  console.log(
    `| per GiB copied | ${perGiB(bhBest.requests, bhBest.sent)} | ${perGiB(rcBest.requests, repoBytes)} | ${perGiB(rc16Requests, repoBytes)} |`,
  );
  console.log(`\nRGW started in ${(server.startMs / 1000).toFixed(1)} s.`);
} finally {
  await server.stop();
  if (!values.keep) rmSync(work, {recursive: true, force: true});
}
