/**
 * Agent backup and copy throughput on a ~2 GiB mixed data set (tens of
 * thousands of small files, large random files, an ext4 image), each as a
 * ratio to the tool people use today, run in this script on the same data:
 *   backup full / after 1% change   vs  restic backup
 *   copy full                       vs  cp -a of the repository dir (and cp -a + sync), restic copy
 *   copy incremental (after 1%)     vs  rsync -a of the source repository into cp -a's copy of it
 *                                       (goal ≤ 1.5×), and rsync -a of the changed data tree
 *   copy no-op re-run               (absolute; goal < 0.3 s)
 *   repository size                 vs  restic's, after the full and after the 1% change
 * Usage: node --import tsx bench/backup-copy.ts [--size-gib 2] [--keep] [--only backup]
 * (`--only backup`: the two backup rows only, no copy measurements)
 */
import {existsSync, mkdirSync, rmSync} from 'node:fs';
import {loadavg} from 'node:os';
import {join} from 'node:path';
import {parseArgs} from 'node:util';
import {CLI, duBytes, gib, have, printTable, run, sh, type Row} from './common.js';

const {values} = parseArgs({
  options: {'size-gib': {type: 'string', default: '2'}, keep: {type: 'boolean'}, only: {type: 'string'}},
});
const copies = values.only !== 'backup';
const root = join(process.cwd(), '.bench');
const data = join(root, 'data');
const work = join(root, 'work');
const env = {
  XDG_CONFIG_HOME: join(work, 'config'),
  XDG_DATA_HOME: join(work, 'share'),
  RESTIC_PASSWORD: 'bench',
  BACKHAUL_PASSWORD: 'bench',
};

if (!have('restic') || !have('rsync')) sh('apt-get install -y -qq restic rsync >/dev/null 2>&1 || true');
if (!existsSync(join(data, 'dataset.json'))) {
  console.log(`Building the ${values['size-gib']} GiB data set in ${data} (once)...`);
  run(process.execPath, ['--import', 'tsx', 'bench/dataset.ts', data, '--size-gib', values['size-gib']!]);
}
rmSync(work, {recursive: true, force: true});
mkdirSync(work, {recursive: true});
const bh = (...args: string[]) => run(process.execPath, [CLI, ...args], env);
const primary = join(work, 'primary');
const secondary = join(work, 'secondary');
const rPrimary = join(work, 'restic-primary');
const rSecondary = join(work, 'restic-secondary');
bh('repo', 'add', 'primary', primary);
bh('repo', 'add', 'secondary', secondary);
// Its password: BACKHAUL_PASSWORD. A build without encryption (BENCH_CLI of an older tree) skips that row.
const canEncrypt = (() => {
  try {
    bh('repo', 'add', 'encrypted', join(work, 'encrypted'), '--encrypt');
    return true;
  } catch {
    return false;
  }
})();
run('restic', ['init', '-q', '-r', rPrimary], env);
run('restic', ['init', '-q', '-r', rSecondary, '--from-repo', rPrimary, '--copy-chunker-params'], {
  ...env,
  RESTIC_FROM_PASSWORD: 'bench',
});
run('sync', []);

// Both tools read the data from the page cache: whichever ran first would otherwise pay the disk reads.
const warmRepo = (dir: string) => sh(`find ${JSON.stringify(dir)} -type f -exec cat {} + > /dev/null`);
const warm = () => warmRepo(data);
const backup = () => {
  warm();
  const a = bh(
    'agent',
    'backup',
    '--repo',
    'primary',
    '--job',
    'bench',
    '--machine',
    'bench-files',
    '--kind',
    'server',
    '--path',
    join(data, 'files'),
    '--json',
  );
  const b = bh(
    'agent',
    'backup',
    '--repo',
    'primary',
    '--job',
    'bench-image',
    '--machine',
    'bench-image',
    '--kind',
    'server',
    '--disk',
    `disk=${join(data, 'disk.img')}`,
    '--json',
  );
  return {
    seconds: a.seconds + b.seconds,
    stored: JSON.parse(a.stdout).storedBytes + JSON.parse(b.stdout).storedBytes,
    logical: JSON.parse(a.stdout).logicalBytes + JSON.parse(b.stdout).logicalBytes,
  };
};
const resticBackup = () => (
  warm(),
  run('restic', ['backup', '-q', '-r', rPrimary, join(data, 'files'), join(data, 'disk.img')], env).seconds
);

const rows: Row[] = [];
const sizes: string[] = [];
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const recordSizes = (when: string) => {
  const [b, r] = [duBytes(primary), duBytes(rPrimary)];
  sizes.push(`| ${when} | ${mb(b)} | ${mb(r)} | ${(b / r).toFixed(3)} |`);
};
const full = backup();
const resticFull = resticBackup();
recordSizes('after the full backup');
rows.push({
  measure: `agent backup, full (${gib(full.logical)})`,
  backhaul: full.seconds,
  reference: 'restic backup',
  referenceSeconds: resticFull,
  note: `stored ${gib(full.stored)}`,
});

// The rsync mirror of the data set before the change, for the incremental copy reference.
const mirror = join(work, 'mirror');
if (copies) {
  run('rsync', ['-a', join(data, 'files') + '/', mirror + '/']);
  run('cp', ['--sparse=always', join(data, 'disk.img'), join(work, 'mirror.img')]);

  // Each copy starts with nothing left to write back from before (the backups above leave dirty pages),
  // and with the primary in the page cache for every tool (its packs were written past the cache).
  run('sync', []);
  warmRepo(primary);
  const copyFull = bh('copy', '--from', 'primary', '--to', 'secondary', '--points', 'all', '--json');
  const cpTarget = join(work, 'cp-copy');
  run('sync', []);
  const cp = run('cp', ['-a', primary, cpTarget]);
  // Backhaul's copy is durable when it ends (fsync before each index and manifest); cp -a's is not.
  run('sync', []);
  const cpSynced = (() => {
    const started = performance.now();
    run('cp', ['-a', primary, join(work, 'cp-copy-synced')]);
    run('sync', []);
    return (performance.now() - started) / 1000;
  })();
  rmSync(join(work, 'cp-copy-synced'), {recursive: true, force: true});
  run('sync', []);
  warmRepo(rPrimary);
  const resticCopy = run('restic', ['copy', '-q', '-r', rSecondary, '--from-repo', rPrimary], {
    ...env,
    RESTIC_FROM_PASSWORD: 'bench',
  });
  const copied = JSON.parse(copyFull.stdout);
  rows.push({
    measure: `copy, full (${gib(duBytes(primary))} repository)`,
    backhaul: copyFull.seconds,
    reference: 'cp -a of the repository',
    referenceSeconds: cp.seconds,
    note: `verifies every chunk; transferred ${gib(copied.transferredBytes)}`,
  });
  rows.push({
    measure: 'copy, full',
    backhaul: copyFull.seconds,
    reference: 'cp -a + sync (durable, like Backhaul)',
    referenceSeconds: cpSynced,
  });
  rows.push({
    measure: 'copy, full',
    backhaul: copyFull.seconds,
    reference: 'restic copy',
    referenceSeconds: resticCopy.seconds,
  });

  // Into an encrypted target: every chunk decrypted-free (plain source), re-identified (HMAC), compressed and sealed.
  if (canEncrypt) {
    run('sync', []);
    warmRepo(primary);
    const copyEncrypted = bh('copy', '--from', 'primary', '--to', 'encrypted', '--points', 'all', '--json');
    rows.push({
      measure: 'copy, full, into an encrypted target',
      backhaul: copyEncrypted.seconds,
      reference: 'cp -a of the repository',
      referenceSeconds: cp.seconds,
      note: `${(copyEncrypted.seconds / copyFull.seconds).toFixed(2)}x the plain copy's time`,
    });
  }
}

run(process.execPath, ['--import', 'tsx', 'bench/dataset.ts', data, '--mutate']);
const incr = backup();
const resticIncr = resticBackup();
recordSizes('after the 1% change');
rows.push({
  measure: 'agent backup after 1% change',
  backhaul: incr.seconds,
  reference: 'restic backup',
  referenceSeconds: resticIncr,
  note: `stored ${gib(incr.stored)}`,
});

if (copies) {
  run('sync', []);
  warmRepo(primary);
  const copyIncr = bh('copy', '--from', 'primary', '--to', 'secondary', '--points', 'all', '--json');
  // The same change as repository files: rsync of the source repository into cp -a's copy of it (made before the change).
  run('sync', []);
  warmRepo(primary);
  const rsyncRepo = run('rsync', ['-a', primary + '/', join(work, 'cp-copy') + '/']);
  rows.push({
    measure: 'copy, incremental after 1% change',
    backhaul: copyIncr.seconds,
    reference: "rsync -a of the source repository into cp -a's copy (goal: ratio ≥ 0.67, i.e. ≤ 1.5× its time)",
    referenceSeconds: rsyncRepo.seconds,
    note: `transferred ${gib(JSON.parse(copyIncr.stdout).transferredBytes)}`,
  });
  const rsyncFiles = run('rsync', ['-a', join(data, 'files') + '/', mirror + '/']);
  const rsyncImage = run('rsync', [
    '-a',
    '--inplace',
    '--no-whole-file',
    join(data, 'disk.img'),
    join(work, 'mirror.img'),
  ]);
  rows.push({
    measure: 'copy, incremental after 1% change',
    backhaul: copyIncr.seconds,
    reference: 'rsync -a of the changed tree',
    referenceSeconds: rsyncFiles.seconds + rsyncImage.seconds,
    note: `transferred ${gib(JSON.parse(copyIncr.stdout).transferredBytes)}`,
  });

  const noop = bh('copy', '--from', 'primary', '--to', 'secondary', '--points', 'all', '--json');
  rows.push({
    measure: 'copy, no-op re-run',
    backhaul: noop.seconds,
    reference: '(none; goal < 0.3 s)',
    referenceSeconds: 0,
    note: `transferred ${JSON.parse(noop.stdout).transferredBytes} bytes`,
  });
}

printTable(
  `Agent backup and copy (ratio > 1: Backhaul is faster; load average at the end ${loadavg()
    .map(l => l.toFixed(2))
    .join(' ')})`,
  rows,
);
console.log('\n| repository size (du -sb) | Backhaul | restic | Backhaul / restic |');
console.log('| --- | ---: | ---: | ---: |');
for (const line of sizes) console.log(line);
if (!values.keep) rmSync(work, {recursive: true, force: true});
