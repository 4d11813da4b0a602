/**
 * For retention tests: a source directory that changes between backups,
 * and the contents of a restore point read back through the repository
 * (every chunk checked against its id), to compare with what the source
 * held when the point was made.
 */
import {createHash} from 'node:crypto';
import * as fs from 'node:fs/promises';
import {join} from 'node:path';
import {pathsDisk, runBackup} from '../../source/engine/agent/backup.js';
import type {BackupId} from '../../source/engine/ids.js';
import type {Repository} from '../../source/engine/repository/repository.js';
import {randomBuffer} from './cli.js';

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** name → SHA-256 of every file directly in `dir`, as one sorted string. */
export async function sourceState(dir: string): Promise<string> {
  const names = (await fs.readdir(dir)).sort();
  const lines = await Promise.all(names.map(async n => `${n} ${sha(await fs.readFile(join(dir, n)))}`));
  return lines.join('\n');
}

/** The same for a restore point's files, read back chunk by chunk. */
export async function pointState(repo: Repository, backup: BackupId, point: string): Promise<string> {
  const manifest = await repo.getPoint(backup, point);
  const lines: string[] = [];
  for (const node of manifest.nodes)
    for (const disk of node.disks)
      for await (const batch of repo.readTreeBatches(disk))
        for (const e of batch) {
          if (e.type !== 'file') continue;
          const parts = await Promise.all((e.chunks ?? []).map(id => repo.readChunk(id)));
          lines.push(`${e.path.split('/').pop()} ${sha(Buffer.concat(parts))}`);
        }
  return lines.sort().join('\n');
}

/**
 * `runs` backups of `src`, `hours` apart from `start` (a simulated clock):
 * before each, one of its files is rewritten, so every point differs and
 * old data becomes garbage once its points go. Returns the state of the
 * source at each point, by point id. `after` runs after each backup.
 */
export async function changingBackups(
  repo: Repository,
  src: string,
  options: {runs: number; start: string; hours: number; files?: number; size?: number; seed?: number},
  after?: (run: number) => Promise<void>,
): Promise<Map<string, string>> {
  const files = options.files ?? 4;
  const size = options.size ?? 300_000;
  const seed = options.seed ?? 1;
  await fs.mkdir(src, {recursive: true});
  for (let f = 0; f < files; f++) await fs.writeFile(join(src, `f${f}.bin`), randomBuffer(size, seed * 1000 + f));
  const states = new Map<string, string>();
  for (let run = 0; run < options.runs; run++) {
    await fs.writeFile(join(src, `f${run % files}.bin`), randomBuffer(size, seed * 1000 + 100 + run));
    const time = new Date(Date.parse(options.start) + run * options.hours * 3_600_000);
    const point = await runBackup(repo, {
      job: 'j',
      machine: 'm1',
      kind: 'server',
      owner: 'root',
      nodes: [{name: 'm1', disks: [pathsDisk([src])]}],
      time,
    });
    states.set(point.id, await sourceState(src));
    await after?.(run);
  }
  return states;
}

/** Bytes of every pack in a directory repository. */
export async function packBytes(dir: string): Promise<number> {
  let total = 0;
  for (const sub of await fs.readdir(join(dir, 'data')).catch(() => [] as string[]))
    for (const name of await fs.readdir(join(dir, 'data', sub)))
      if (!name.includes('.tmp-')) total += (await fs.stat(join(dir, 'data', sub, name))).size;
  return total;
}
