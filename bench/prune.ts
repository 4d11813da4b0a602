/**
 * Prune of a repository with 30 % garbage, against `restic prune` on the
 * same data in the same run. The data set is 7 files of incompressible bytes
 * (total --size-mib); both tools back it up, then back it up again after 3
 * of the files were rewritten, twice more unchanged, and forget every point
 * but the last 3 (`--keep-last 3`): the first versions of those 3 files,
 * 3/10 of what is stored, are garbage. Then each tool's prune is timed, and
 * the stored bytes before and after are printed. restic keeps its default
 * (repack packs more than 5 % unused); Backhaul its own (20 %).
 * Usage: node --import tsx bench/prune.ts [--size-mib 512]
 */
import {createCipheriv, createHash} from 'node:crypto';
import {mkdirSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {parseArgs} from 'node:util';
import {CLI, duBytes, gib, have, printTable, run, sh} from './common.js';

const {values} = parseArgs({options: {'size-mib': {type: 'string', default: '512'}}});
const sizeMiB = Number(values['size-mib']);
const MiB = 1 << 20;
const FILES = 7;
const REWRITTEN = 3;
const work = join(process.cwd(), '.bench', 'prune');
const data = join(work, 'data');
const env = {
  XDG_CONFIG_HOME: join(work, 'config'),
  XDG_DATA_HOME: join(work, 'share'),
  RESTIC_PASSWORD: 'bench',
  RESTIC_CACHE_DIR: join(work, 'restic-cache'),
};
if (!have('restic')) sh('apt-get install -y -qq restic >/dev/null 2>&1 || true');
const bh = (...args: string[]) => run(process.execPath, [CLI, ...args], env);

/** Deterministic incompressible bytes (AES-256-CTR keystream of a seed). */
function bytes(size: number, seed: string): Buffer {
  const key = createHash('sha256').update(`backhaul-bench-prune-${seed}`).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

rmSync(work, {recursive: true, force: true});
mkdirSync(data, {recursive: true});
const repo = join(work, 'backhaul');
const restic = join(work, 'restic');
bh('repo', 'add', 'bench', repo);
run('restic', ['init', '-q', '-r', restic], env);
const fileSize = Math.floor((sizeMiB * MiB) / FILES);
for (let i = 0; i < FILES; i++) writeFileSync(join(data, `f${i}.bin`), bytes(fileSize, `v1-${i}`));
const backupBoth = () => {
  bh('agent', 'backup', '--repo', 'bench', '--job', 'bench', '--machine', 'host', '--kind', 'server', '--path', data);
  run('restic', ['backup', '-q', '-r', restic, data], env);
};
backupBoth();
for (let i = 0; i < REWRITTEN; i++) writeFileSync(join(data, `f${i}.bin`), bytes(fileSize, `v2-${i}`));
for (let round = 0; round < 3; round++) backupBoth();
bh('forget', '--repo', 'bench', '--keep-last', '3');
run('restic', ['forget', '-q', '-r', restic, '--keep-last', '3'], env);
run('sync', []);

const before = {backhaul: duBytes(join(repo, 'data')), restic: duBytes(join(restic, 'data'))};
const ours = bh('prune', '--repo', 'bench', '--json');
const theirs = run('restic', ['prune', '-q', '-r', restic], env);
const afterBytes = {backhaul: duBytes(join(repo, 'data')), restic: duBytes(join(restic, 'data'))};
const result = JSON.parse(ours.stdout) as {packsDeleted: number; packsRepacked: number; bytesFreed: number};
printTable(`Prune, ${REWRITTEN}/${FILES + REWRITTEN} of the stored data garbage (${sizeMiB} MiB data set)`, [
  {
    measure: 'prune after forget --keep-last 3',
    backhaul: ours.seconds,
    reference: 'restic prune',
    referenceSeconds: theirs.seconds,
    note:
      `packs: backhaul ${gib(before.backhaul)} → ${gib(afterBytes.backhaul)} ` +
      `(${result.packsDeleted} deleted, ${result.packsRepacked} repacked); ` +
      `restic ${gib(before.restic)} → ${gib(afterBytes.restic)}`,
  },
]);
// Both must still hold every kept point.
bh('verify', '--repo', 'bench');
run('restic', ['check', '-q', '-r', restic], env);
rmSync(work, {recursive: true, force: true});
