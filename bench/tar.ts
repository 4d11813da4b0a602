/**
 * Tar export, both ways in the same run: Backhaul's own writer (source/
 * engine/restore/tar-export.ts on tar.ts, shipped) against tar-stream
 * (bench/tar-stream-export.ts), exporting the same restore plan from the same
 * repository, rounds interleaved so load hits both alike. The plan is
 * header-heavy on purpose (many small files, some with long or non-ASCII
 * names) next to a few large files, so per-member and streaming costs show.
 *
 * The source is a seeded data set backed up once with `backhaul agent
 * backup` into .bench/tar/repo-FILES-MIB and reused by later runs.
 * Usage: node --import tsx bench/tar.ts [--files 20000] [--large-mib 256] [--rounds 5]
 */
import {createCipheriv, createHash} from 'node:crypto';
import {existsSync, mkdirSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {loadavg, userInfo} from 'node:os';
import {join} from 'node:path';
import {parseArgs} from 'node:util';
import {execa} from 'execa';
import {Repository} from '../source/engine/repository/repository.js';
import {planRestore} from '../source/engine/restore/plan.js';
import {writePlanToTar} from '../source/engine/restore/tar-export.js';
import {processWriter} from '../source/engine/restore/write-plan.js';
import {FilesystemStorage} from '../source/engine/storage/filesystem.js';
import {ensureBuilt} from '../test/helpers/cli.js';
import {CLI, run} from './common.js';
import {writePlanToTarStream} from './tar-stream-export.js';

const {values} = parseArgs({
  options: {
    files: {type: 'string', default: '20000'},
    'large-mib': {type: 'string', default: '256'},
    rounds: {type: 'string', default: '5'},
  },
});
const FILES = Number(values.files);
const LARGE_MIB = Number(values['large-mib']);
const ROUNDS = Math.max(1, Number(values.rounds));
const MiB = 1 << 20;
const root = join(process.cwd(), '.bench', 'tar');
const repoDir = join(root, `repo-${FILES}-${LARGE_MIB}`);

/** Deterministic incompressible bytes (AES-256-CTR keystream of a seed). */
function bytes(size: number, seed: string): Buffer {
  const key = createHash('sha256').update(`backhaul-bench-tar-${seed}`).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

/** FILES files of 0-8 KiB in 100 directories, some with long or non-ASCII names, and four large files. */
function buildDataSet(data: string): void {
  rmSync(data, {recursive: true, force: true});
  for (let i = 0; i < FILES; i++) {
    const dir = join(data, 'small', `dir-${String(i % 100).padStart(2, '0')}`);
    if (i < 100) mkdirSync(dir, {recursive: true});
    const name =
      i % 10 === 0
        ? `fichier-${i}-${'é'.repeat(20)}.dat`
        : i % 10 === 1
          ? `${'long-name-'.repeat(12)}${i}.dat`
          : `f${i}.dat`;
    writeFileSync(join(dir, name), bytes(((i * 2654435761) >>> 0) % (8 * 1024), `small-${i}`));
  }
  mkdirSync(join(data, 'large'), {recursive: true});
  for (let i = 0; i < 4; i++)
    writeFileSync(join(data, 'large', `blob-${i}.bin`), bytes((LARGE_MIB / 4) * MiB, `large-${i}`));
}

function ensureRepository(): void {
  if (existsSync(`${repoDir}.complete`)) return;
  console.log(`Building the source repository in ${repoDir} (once)...`);
  const data = join(root, 'data');
  const env = {XDG_CONFIG_HOME: join(root, 'config'), XDG_DATA_HOME: join(root, 'share')};
  buildDataSet(data);
  rmSync(repoDir, {recursive: true, force: true});
  rmSync(join(root, 'config'), {recursive: true, force: true});
  run(process.execPath, [CLI, 'repo', 'add', 'tar-bench', repoDir], env);
  run(
    process.execPath,
    [
      CLI,
      'agent',
      'backup',
      '--repo',
      'tar-bench',
      '--job',
      'bench-tar',
      '--machine',
      'bench-tar',
      '--kind',
      'server',
      '--path',
      data,
      '--json',
    ],
    env,
  );
  rmSync(data, {recursive: true, force: true});
  writeFileSync(`${repoDir}.complete`, new Date().toISOString());
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

ensureBuilt();
mkdirSync(root, {recursive: true});
ensureRepository();
const repo = await Repository.open(new FilesystemStorage(repoDir));
const [backup] = await repo.listBackups();
const [point] = await repo.listPoints(backup!.id);
const plan = await planRestore(repo, point!, {});
const request = {stamp: '', writer: processWriter(userInfo().username), keepOwners: false, keepSpecial: false};
const ways = {
  'Backhaul (tar.ts, shipped)': (path: string) => writePlanToTar(repo, plan.entries, path, request),
  'tar-stream': (path: string) => writePlanToTarStream(repo, plan.entries, path, request),
} as const;
const seconds: Record<string, number[]> = {};
const archiveBytes: Record<string, number> = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, exportTo] of Object.entries(ways)) {
    const path = join(root, `out-${round}.tar`);
    rmSync(path, {force: true});
    const started = performance.now();
    await exportTo(path);
    (seconds[name] ??= []).push((performance.now() - started) / 1000);
    archiveBytes[name] = statSync(path).size;
    if (round === 0) {
      const members = (await execa('tar', ['-tf', path], {maxBuffer: 1 << 28})).stdout.split('\n').length;
      console.log(
        `${name}: ${members.toLocaleString('en-US')} members, ${(archiveBytes[name]! / MiB).toFixed(1)} MiB (GNU tar reads it)`,
      );
    }
    rmSync(path, {force: true});
  }
}
const [shipped, tarStream] = Object.keys(ways).map(name => median(seconds[name]!));
console.log(
  `\n## Tar export of ${plan.files.toLocaleString('en-US')} files, ${(plan.bytes / MiB).toFixed(0)} MiB (${ROUNDS} rounds each, interleaved, load average ${loadavg()[0]!.toFixed(1)})\n`,
);
console.log('| writer | median | MiB/s | rounds |');
console.log('| --- | ---: | ---: | --- |');
for (const name of Object.keys(ways)) {
  const m = median(seconds[name]!);
  console.log(
    `| ${name} | ${m.toFixed(2)} s | ${(archiveBytes[name]! / MiB / m).toFixed(0)} | ${seconds[name]!.map(s => s.toFixed(2)).join(', ')} |`,
  );
}
console.log(
  `\nratio (tar-stream / Backhaul): ${(tarStream! / shipped!).toFixed(2)}× (above 1: Backhaul's writer is faster)`,
);
