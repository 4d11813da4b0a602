/**
 * Opening a repository's chunk index: index files of format 3 (binary rows,
 * looked up in place) against the same packs in format 2 (JSON), in the same
 * process, rounds alternating; then 120,000 lookups in each (the chunks of
 * two incremental points, each looked up in source and target). The index
 * files are written by Backhaul's own writer for packs of realistic shape
 * (64 chunks of ~260 KiB a pack; one index file per run of ~50 packs).
 *
 * Usage: node --import tsx bench/index-open.ts [--chunks 62000] [--rounds 5]
 */
import {createHash} from 'node:crypto';
import {mkdtemp, rm} from 'node:fs/promises';
import {loadavg, tmpdir} from 'node:os';
import {join} from 'node:path';
import {parseArgs} from 'node:util';
import type {ChunkId, PackId} from '../source/engine/ids.js';
import {PLAIN_CODEC} from '../source/engine/repository/codec.js';
import {ChunkIndex, writeIndexFile, type IndexedPack} from '../source/engine/repository/index-store.js';
import type {BlobEntry} from '../source/engine/repository/pack.js';
import {FilesystemStorage} from '../source/engine/storage/filesystem.js';
import {printTable, type Row} from './common.js';

const {values} = parseArgs({
  options: {chunks: {type: 'string', default: '62000'}, rounds: {type: 'string', default: '5'}},
});
const chunks = Number(values.chunks);
const rounds = Number(values.rounds);
const hash = (s: string) => createHash('sha256').update(s).digest('hex');

const work = await mkdtemp(join(tmpdir(), 'backhaul-bench-index-'));
try {
  const packs: IndexedPack[] = [];
  const ids: string[] = [];
  for (let c = 0; c < chunks; c += 64) {
    const blobs: BlobEntry[] = [];
    for (let i = c; i < Math.min(c + 64, chunks); i++) {
      const id = hash(`chunk ${i}`);
      ids.push(id);
      blobs.push([id as ChunkId, (i - c) * 150_000, 150_000, 266_000, 2]);
    }
    packs.push({id: hash(`pack ${c}`) as PackId, blobs});
  }
  const stores: Record<string, FilesystemStorage> = {};
  for (const [name, config] of [
    ['format 3', {version: 2, indexFiles: 3 as const}],
    ['format 2', {version: 2}],
  ] as const) {
    const storage = (stores[name] = new FilesystemStorage(join(work, name.replace(' ', ''))));
    for (let p = 0; p < packs.length; p += 50)
      await writeIndexFile({storage, codec: PLAIN_CODEC, config}, packs.slice(p, p + 50));
  }
  const probes = Array.from({length: 120_000}, (_, i) => ids[(i * 7919) % ids.length]!);
  const times: Record<string, {open: number[]; lookups: number[]}> = {
    'format 3': {open: [], lookups: []},
    'format 2': {open: [], lookups: []},
  };
  for (let r = 0; r < rounds; r++)
    for (const name of r % 2 === 0 ? ['format 3', 'format 2'] : ['format 2', 'format 3']) {
      const t0 = performance.now();
      const index = await ChunkIndex.load(stores[name]!);
      const t1 = performance.now();
      // Fresh strings, as ids read from manifests and trees are.
      let found = 0;
      for (const id of probes) if (index.has((' ' + id).slice(1))) found++;
      const t2 = performance.now();
      if (found !== probes.length) throw new Error(`${name}: ${found} of ${probes.length} found`);
      times[name]!.open.push((t1 - t0) / 1000);
      times[name]!.lookups.push((t2 - t1) / 1000);
    }
  const ms = (seconds: number) => `${(seconds * 1000).toFixed(1)} ms`;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rows: Row[] = [
    {
      measure: `open the index (${chunks} chunks, ${Math.ceil(packs.length / 50)} index files), median of ${rounds}`,
      backhaul: median(times['format 3']!.open),
      reference: 'the same packs in index files of format 2 (JSON)',
      referenceSeconds: median(times['format 2']!.open),
      note: `medians ${ms(median(times['format 3']!.open))} vs ${ms(median(times['format 2']!.open))}; best ${ms(Math.min(...times['format 3']!.open))} vs ${ms(Math.min(...times['format 2']!.open))}`,
    },
    {
      measure: `${probes.length} lookups, median of ${rounds}`,
      backhaul: median(times['format 3']!.lookups),
      reference: 'in the index loaded from format 2 (a map)',
      referenceSeconds: median(times['format 2']!.lookups),
      note: `medians ${ms(median(times['format 3']!.lookups))} vs ${ms(median(times['format 2']!.lookups))}`,
    },
  ];
  printTable(
    `Chunk index, format 3 vs format 2 (load average ${loadavg()
      .map(l => l.toFixed(2))
      .join(' ')})`,
    rows,
  );
} finally {
  await rm(work, {recursive: true, force: true});
}
