/**
 * A throwaway one-node Ceph cluster (monitor + memstore OSD + radosgw) that
 * answers S3 on 127.0.0.1, for tests that need a real object store.
 *
 * Guarantees:
 * - every path lives in a fresh temp dir and every port is picked free, so
 *   several test files (run in parallel) each get their own cluster;
 * - daemons run in the foreground (`-f`) as children of this process, are
 *   killed by `stop()`, on process exit, and by the kernel if we die
 *   (`setpriv --pdeathsig KILL`, where available);
 * - a failed start throws with the failing daemon's log tail, never hangs.
 * The settings below follow /work/shared/reference/ceph-rgw-loopback.md;
 * each one was found necessary there.
 */
import type {ChildProcess} from 'node:child_process';
import {randomUUID} from 'node:crypto';
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync} from 'node:fs';
import {createServer, type AddressInfo} from 'node:net';
import {join} from 'node:path';
import {execa} from 'execa';

export interface RgwServer {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** How long the start took, in ms (monitor, OSD, radosgw, user). */
  startMs: number;
  /** When each step finished, in ms since the start: where the time goes. */
  phasesMs: Record<string, number>;
  dir: string;
  stop(): Promise<void>;
}

export interface RgwOptions {
  /** Give up on the whole start after this long. */
  timeoutMs?: number;
  /** RAM the memstore OSD may fill. */
  memstoreBytes?: number;
}

const BINARIES = ['monmaptool', 'ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'ceph'];
const PATH_DIRS = (process.env.PATH ?? '/usr/bin:/bin').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin']);
const which = (bin: string) => PATH_DIRS.map(d => join(d, bin)).find(p => existsSync(p));

/** Ceph binaries that are not installed. */
export function missingCephBinaries(): string[] {
  return BINARIES.filter(b => !which(b));
}

/**
 * Why the RGW tests cannot run here, or undefined if they should. Only a
 * non-root user without Ceph skips; as root (CI) missing binaries are a
 * failure that `startRgw` reports with the fix.
 */
export function rgwSkipReason(): string | undefined {
  const missing = missingCephBinaries();
  if (missing.length === 0 || process.getuid?.() === 0) return undefined;
  return `Ceph is not installed (missing ${missing.join(', ')}) and we are not root; run \`sudo npm run rgw\` to enable the real-S3 tests.`;
}

interface Daemon {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  output: string[];
}
const live = new Set<{daemons: Daemon[]; dir: string}>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const cluster of live) {
      for (const d of cluster.daemons) d.child.kill('SIGKILL');
      rmSync(cluster.dir, {recursive: true, force: true});
    }
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Removes the dirs of clusters whose test process was killed (its daemons died with it). */
function sweepStaleDirs(): void {
  for (const name of readdirSync('/tmp').filter(n => n.startsWith('bh-rgw-'))) {
    const dir = join('/tmp', name);
    const owner = Number(existsSync(join(dir, 'owner.pid')) ? readFileSync(join(dir, 'owner.pid'), 'utf8') : NaN);
    if (Number.isInteger(owner) && !alive(owner)) rmSync(dir, {recursive: true, force: true});
  }
}

async function freePorts(count: number): Promise<number[]> {
  // Hold all of them open at once so the kernel cannot hand out one twice.
  const servers = await Promise.all(
    Array.from(
      {length: count},
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map(s => (s.address() as AddressInfo).port);
  await Promise.all(servers.map(s => new Promise(r => s.close(r))));
  return ports;
}

function cephConf(dir: string, fsid: string, [p1, p2, rgw]: number[], memstoreBytes: number): string {
  return `[global]
fsid = ${fsid}
mon host = [v2:127.0.0.1:${p2},v1:127.0.0.1:${p1}]
mon initial members = a
public addr = 127.0.0.1
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
ms client mode = crc
ms mon cluster mode = crc
ms cluster mode = crc
ms service mode = crc
ms mon service mode = crc
keyring = /dev/null
run dir = ${dir}/run
admin socket = ${dir}/run/$name.$pid.asok
pid file = ${dir}/run/$name.pid
log file = ${dir}/log/$name.log
mon cluster log file = ${dir}/log/cluster.log
mon data = ${dir}/mon/$id
mon data avail crit = 0
mon data avail warn = 0
osd data = ${dir}/osd/$id
osd objectstore = memstore
memstore device bytes = ${memstoreBytes}
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
osd crush chooseleaf type = 0
paxos propose interval = 0.05
paxos min wait = 0.01
osd memory target = 939524096
osd op num shards = 1
osd op num threads per shard = 2
# Fail fast when another process took a port (the default waits 3 x 5 s); startRgw then retries on new ports.
ms bind retry count = 1
ms bind retry delay = 1

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:${rgw} tcp_nodelay=1
rgw data = ${dir}/rgw
`;
}

function tail(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function readLog(dir: string, name: string): string {
  const path = join(dir, 'log', `${name}.log`);
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

function logTail(dir: string, name: string): string {
  const path = join(dir, 'log', `${name}.log`);
  return existsSync(path) ? `--- ${path} (tail) ---\n${tail(readLog(dir, name))}` : `(no log at ${path})`;
}

async function run(bin: string, args: string[], timeoutMs: number): Promise<string> {
  const r = await execa(bin, args, {
    stdin: 'ignore',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 16 << 20,
    stripFinalNewline: false,
    reject: false,
  });
  if (r.failed) throw new Error(`\`${bin} ${args.join(' ')}\` failed: ${r.shortMessage}\n${tail(r.stderr)}`);
  return r.stdout;
}

function startDaemon(name: string, bin: string, args: string[]): Daemon {
  const setpriv = which('setpriv');
  const [cmd, argv] = setpriv ? [setpriv, ['--pdeathsig', 'KILL', '--', which(bin)!, ...args]] : [which(bin)!, args];
  const child = execa(cmd, argv, {stdin: 'ignore', buffer: false, reject: false});
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>(resolve => {
    child.once('exit', code => resolve(code));
    child.once('error', e => {
      output.push(String(e));
      resolve(-1);
    });
  });
  return {name, child, exited, output};
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

function deathOf(daemons: Daemon[], dir: string, what: string): Promise<never> {
  return Promise.race(daemons.map(d => d.exited.then(() => d))).then(dead => {
    throw new Error(
      `${dead.name} exited (code ${dead.child.exitCode}) while waiting for ${what}.\n${tail(dead.output.join(''))}\n${logTail(dir, dead.name)}`,
    );
  });
}

/** `step`, unless a daemon dies first (then its log says why, at once). */
function guarded<T>(step: Promise<T>, daemons: Daemon[], dir: string, what: string): Promise<T> {
  const death = deathOf(daemons, dir, what);
  death.catch(() => {});
  return Promise.race([step, death]);
}

/** Polls `ready` until it is true; fails early if a daemon exits, or at the deadline. */
async function waitFor(
  what: string,
  ready: () => Promise<boolean>,
  daemons: Daemon[],
  deadline: number,
  dir: string,
): Promise<void> {
  let died: unknown;
  deathOf(daemons, dir, what).catch(e => (died = e));
  for (;;) {
    if (died) throw died;
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) {
      const last = daemons[daemons.length - 1]!;
      throw new Error(`Timed out waiting for ${what}.\n${logTail(dir, last.name)}`);
    }
    await sleep(100);
  }
}

async function httpAnswers(port: number): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${port}/`, {signal: AbortSignal.timeout(2000)});
  await res.arrayBuffer();
  return true;
}

async function stopDaemons(daemons: Daemon[]): Promise<void> {
  // Reverse start order: radosgw, then OSD, then monitor.
  for (const d of [...daemons].reverse()) {
    if (d.child.exitCode !== null || d.child.signalCode !== null) continue;
    d.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      d.exited.then(() => true),
      new Promise<boolean>(r => (timer = setTimeout(r, 3000, false))),
    ]);
    clearTimeout(timer);
    if (!done) {
      d.child.kill('SIGKILL');
      await d.exited;
    }
  }
}

async function startOnce(options: RgwOptions): Promise<RgwServer> {
  const started = Date.now();
  const phasesMs: Record<string, number> = {};
  const phase = (what: string) => (phasesMs[what] = Date.now() - started);
  const deadline = started + (options.timeoutMs ?? 60_000);
  const left = () => Math.max(1000, deadline - Date.now());
  // Short base path: admin sockets are Unix sockets (108-byte path limit).
  sweepStaleDirs();
  const dir = mkdtempSync('/tmp/bh-rgw-');
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  for (const sub of ['run', 'log', 'mon', 'osd', 'rgw']) mkdirSync(join(dir, sub));
  const cluster = {daemons: [] as Daemon[], dir};
  live.add(cluster);
  installExitHook();
  const stop = async () => {
    await stopDaemons(cluster.daemons);
    live.delete(cluster);
    rmSync(dir, {recursive: true, force: true});
  };
  try {
    const ports = await freePorts(3);
    const conf = join(dir, 'ceph.conf');
    const fsid = randomUUID();
    writeFileSync(conf, cephConf(dir, fsid, ports, options.memstoreBytes ?? 4 * 1024 ** 3));
    const monmap = join(dir, 'monmap');
    await run(
      which('monmaptool')!,
      [
        '--create',
        '--clobber',
        '--fsid',
        fsid,
        '--addv',
        'a',
        `[v2:127.0.0.1:${ports[1]},v1:127.0.0.1:${ports[0]}]`,
        monmap,
      ],
      left(),
    );
    await run(which('ceph-mon')!, ['-c', conf, '-i', 'a', '--mkfs', '--monmap', monmap], left());
    phase('mon mkfs');
    cluster.daemons.push(startDaemon('mon.a', 'ceph-mon', ['-c', conf, '-i', 'a', '-f']));

    const ceph = (...args: string[]) =>
      run(which('ceph')!, ['-c', conf, '--connect-timeout', String(Math.ceil(left() / 1000)), ...args], left());
    const osdUuid = randomUUID();
    const osdId = (await guarded(ceph('osd', 'new', osdUuid), cluster.daemons, dir, 'the monitor')).trim();
    phase('osd new');
    mkdirSync(join(dir, 'osd', osdId));
    await run(which('ceph-osd')!, ['-c', conf, '-i', osdId, '--mkfs', '--osd-uuid', osdUuid], left());
    phase('osd mkfs');
    cluster.daemons.push(startDaemon(`osd.${osdId}`, 'ceph-osd', ['-c', conf, '-i', osdId, '-f']));
    await waitFor(
      'the OSD to come up',
      async () => JSON.parse(await ceph('osd', 'stat', '-f', 'json')).num_up_osds >= 1,
      cluster.daemons,
      deadline,
      dir,
    );

    phase('osd up');
    cluster.daemons.push(startDaemon('client.rgw.a', 'radosgw', ['-c', conf, '-n', 'client.rgw.a', '-f']));
    await waitFor(
      `radosgw to answer on port ${ports[2]}`,
      () => httpAnswers(ports[2]!),
      cluster.daemons,
      deadline,
      dir,
    );

    phase('rgw answers');
    const accessKeyId = 'BACKHAUL' + randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase();
    const secretAccessKey = randomUUID().replace(/-/g, '') + randomUUID().replace(/-/g, '').slice(0, 8);
    await guarded(
      run(
        which('radosgw-admin')!,
        [
          '-c',
          conf,
          'user',
          'create',
          '--uid=backhaul',
          '--display-name=Backhaul tests',
          `--access-key=${accessKeyId}`,
          `--secret-key=${secretAccessKey}`,
        ],
        left(),
      ),
      cluster.daemons,
      dir,
      'the S3 user',
    );
    const startMs = phase('user created');
    return {
      endpoint: `http://127.0.0.1:${ports[2]}`,
      accessKeyId,
      secretAccessKey,
      region: 'us-east-1',
      startMs,
      phasesMs,
      dir,
      stop,
    };
  } catch (e) {
    const logs = (e as Error).message.includes('--- ')
      ? ''
      : '\n' + cluster.daemons.map(d => logTail(dir, d.name)).join('\n');
    const portRace = cluster.daemons.some(d => /Address already in use/.test(readLog(dir, d.name)));
    await stop();
    throw Object.assign(new Error(`Could not start the test Ceph RGW: ${(e as Error).message}${logs}`), {portRace});
  }
}

/**
 * Starts a cluster. Retries once with new ports when a daemon lost a port
 * race with another process (another test file starting its own cluster).
 */
export async function startRgw(options: RgwOptions = {}): Promise<RgwServer> {
  const missing = missingCephBinaries();
  if (missing.length > 0) {
    throw new Error(
      `Ceph is not installed (missing ${missing.join(', ')}); the real-S3 tests need it. Run \`npm run rgw\` (as root) to install it.`,
    );
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (e) {
      if (!(e as {portRace?: boolean}).portRace || attempt >= 3) throw e;
    }
  }
}

/**
 * One cluster per test file, started on first use and stopped when the
 * process is done with it. Call at module level; `get()` in tests.
 */
export function rgwForThisFile(options: RgwOptions = {}): {get(): Promise<RgwServer>; stop(): Promise<void>} {
  let server: Promise<RgwServer> | undefined;
  return {
    get: () => (server ??= startRgw(options)),
    async stop() {
      if (!server) return;
      const s = await server.catch(() => undefined);
      server = undefined;
      await s?.stop();
    },
  };
}
