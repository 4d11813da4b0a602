/**
 * A large chunk index (by default 2,000,000 chunks, ~500 GB of data, in 200
 * index files of format 3, as a repository has after 200 backups before a
 * compaction): opening it and its first lookup, against reading and hashing
 * the same files (`sha256sum`, what any reader of them must at least do);
 * then a refresh that reads one new file of 100 chunks and looks one up
 * (what a long-running TUI or job service does after each backup), against
 * opening the whole index again; and an agent backup of a small directory
 * into a repository holding that index (its packs left out: the backup only
 * reads the index) against the same backup into an empty repository.
 *
 * Usage: node --import tsx bench/index-large.ts [--chunks 2000000] [--files 200] [--rounds 5]
 */
import {createHash} from 'node:crypto';
import {cp, mkdir, mkdtemp, readdir, rm, writeFile} from 'node:fs/promises';
import {loadavg, tmpdir} from 'node:os';
import {join} from 'node:path';
import {parseArgs} from 'node:util';
import type {ChunkId, PackId} from '../source/engine/ids.js';
import {PLAIN_CODEC} from '../source/engine/repository/codec.js';
import {ChunkIndex, writeIndexFile, type IndexedPack} from '../source/engine/repository/index-store.js';
import type {BlobEntry} from '../source/engine/repository/pack.js';
import {FilesystemStorage} from '../source/engine/storage/filesystem.js';
import {CLI, printTable, run, type Row} from './common.js';

const {values} = parseArgs({
  options: {
    chunks: {type: 'string', default: '2000000'},
    files: {type: 'string', default: '200'},
    rounds: {type: 'string', default: '5'},
  },
});
const chunks = Number(values.chunks);
const files = Number(values.files);
const rounds = Number(values.rounds);
const hash = (s: string) => createHash('sha256').update(s).digest('hex');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const work = await mkdtemp(join(tmpdir(), 'backhaul-bench-index-large-'));
try {
  const storage = new FilesystemStorage(work);
  const target = {storage, codec: PLAIN_CODEC, config: {version: 2, indexFiles: 3 as const}};
  const perFile = Math.ceil(chunks / files);
  for (let f = 0, c = 0; f < files; f++) {
    const packs: IndexedPack[] = [];
    for (let end = Math.min(c + perFile, chunks); c < end;) {
      const blobs: BlobEntry[] = [];
      for (let i = 0; i < 64 && c < end; i++, c++)
        blobs.push([hash(`chunk ${c}`) as ChunkId, i * 150_000, 150_000, 266_000, 2]);
      packs.push({id: hash(`pack ${c}`) as PackId, blobs});
    }
    await writeIndexFile(target, packs);
  }
  const names = (await readdir(join(work, 'index'))).map(n => join(work, 'index', n));
  const probe = hash('chunk 12345');

  const opens: number[] = [];
  const hashes: number[] = [];
  const refreshes: number[] = [];
  for (let r = 0; r < rounds; r++) {
    hashes.push(run('sha256sum', names).seconds);
    let started = performance.now();
    const index = await ChunkIndex.load(storage);
    if (!index.has(probe)) throw new Error('a chunk of the index was not found');
    opens.push((performance.now() - started) / 1000);
    // One more backup's index file, read by a refresh, and a chunk of it looked up.
    const fresh = hash(`new chunk ${r}`);
    await writeIndexFile(target, [{id: hash(`new pack ${r}`) as PackId, blobs: [[fresh as ChunkId, 0, 10, 10, 0]]}]);
    started = performance.now();
    await index.refreshed(storage);
    if (!index.has(fresh) || !index.has(probe)) throw new Error('a chunk was not found after the refresh');
    refreshes.push((performance.now() - started) / 1000);
  }
  // An agent backup (the built CLI) of a small directory into a repository holding this index, and into an empty one.
  const small = join(work, 'small-data');
  await mkdir(small);
  for (let i = 0; i < 50; i++) await writeFile(join(small, `file-${i}`), `${hash(`file ${i}`).repeat(300)}\n`);
  const env = {XDG_CONFIG_HOME: join(work, 'config'), XDG_DATA_HOME: join(work, 'share')};
  const bh = (...args: string[]) => run(process.execPath, [CLI, ...args], env);
  bh('repo', 'add', 'large', join(work, 'large'));
  bh('repo', 'add', 'empty', join(work, 'empty'));
  await cp(join(work, 'index'), join(work, 'large', 'index'), {recursive: true});
  const intoLarge: number[] = [];
  const intoEmpty: number[] = [];
  for (let r = 0; r < rounds; r++)
    for (const [repo, times] of [
      ['large', intoLarge],
      ['empty', intoEmpty],
    ] as const)
      times.push(
        bh('agent', 'backup', '--repo', repo, '--job', `j${r}`, '--machine', 'm', '--kind', 'server', '--path', small)
          .seconds,
      );
  const ms = (s: number) => `${(s * 1000).toFixed(0)} ms`;
  const rows: Row[] = [
    {
      measure: `open the index (${chunks} chunks, ${files} files) and look a chunk up, median of ${rounds}`,
      backhaul: median(opens),
      reference: 'sha256sum of the same index files',
      referenceSeconds: median(hashes),
      note: `medians ${ms(median(opens))} vs ${ms(median(hashes))}`,
    },
    {
      measure: `refresh after one new index file, and look a chunk up, median of ${rounds}`,
      backhaul: median(refreshes),
      reference: 'opening the whole index again (the row above)',
      referenceSeconds: median(opens),
      note: `medians ${ms(median(refreshes))} vs ${ms(median(opens))}`,
    },
    {
      measure: `agent backup of 50 small files into a repository holding that index, median of ${rounds}`,
      backhaul: median(intoLarge),
      reference: 'the same backup into an empty repository',
      referenceSeconds: median(intoEmpty),
      note: `medians ${ms(median(intoLarge))} vs ${ms(median(intoEmpty))}`,
    },
  ];
  printTable(
    `A large chunk index (load average ${loadavg()
      .map(l => l.toFixed(2))
      .join(' ')})`,
    rows,
  );
} finally {
  await rm(work, {recursive: true, force: true});
}
