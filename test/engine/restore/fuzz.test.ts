/**
 * Fuzzing every restore mode with generated malformed manifests and records
 * (issue 13's acceptance): a seeded generator mutates a small sound point —
 * its tree lines (paths, types, modes, owners, times, sizes, chunk lists,
 * symlink targets, duplicates, entries beneath files and symlinks, garbage
 * lines) and its manifest (nodes, disks, names, ids, whole-record garbage) —
 * and each of the 1,000+ points is restored four ways: plain to a directory,
 * plain to an archive, delegated to a directory and delegated to an archive
 * (for `nobody`, through the dropped writer). Every run must either succeed
 * or fail with a typed error (never exit 1), write nothing outside its
 * destination (a symlink leading out is planted in every destination), and
 * leave nothing half-written: no temporary file, no file that is not one of
 * the backup's contents whole, no archive from a failed export.
 * Needs root and the user nobody (CI has both).
 */
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import * as fs from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {pathToFileURL} from 'node:url';
import {after, before, test} from 'node:test';
import {BackhaulError} from '../../../source/engine/errors.js';
import {newBackupId, type ChunkId} from '../../../source/engine/ids.js';
import {backupKey, pointKey, Repository} from '../../../source/engine/repository/repository.js';
import {RepositoryWriter} from '../../../source/engine/repository/writer.js';
import {delegatedRestore} from '../../../source/engine/restore/delegated.js';
import {useWriterBundle} from '../../../source/engine/restore/writer-client.js';
import {restorePoint} from '../../../source/engine/restore/restore.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {mapLimit} from '../../../source/engine/util/concurrency.js';
import {asRoot, contextFor} from './crafted.js';

// FUZZ_CASES lowers the count for a quick local run; the suite runs 1,000.
const CASES = Number(process.env['FUZZ_CASES'] ?? 1000);
const nobody = spawnSync('id', ['-u', 'nobody'], {encoding: 'utf8'}).stdout.trim();
const skip = process.getuid?.() !== 0 || !nobody ? 'needs root and the user nobody' : false;

let work: string;
let bundleDir: string | undefined;
let repo: Repository;
const backupId = newBackupId();
const contents = new Map<string, Buffer>();
let c1: ChunkId;
let c2: ChunkId;
const absent = createHash('sha256').update('never stored').digest('hex') as ChunkId;
const savedPath = process.env['PATH'];
const savedState = process.env['BACKHAUL_STATE_DIR'];

/** The restore writer bundled with the shipped bundle's options into a private directory others can read. */
async function writerBundle(): Promise<string> {
  const out = await fs.mkdtemp(join(tmpdir(), 'backhaul-fuzz-writer-'));
  bundleDir = out;
  await fs.chmod(out, 0o755); // the writer drops to nobody before it loads its lazily imported chunks
  const {build} = await import('esbuild');
  const {bundleOptions} = await import(pathToFileURL(join(process.cwd(), 'scripts', 'bundle.mjs')).href);
  const options = bundleOptions(out);
  await build({...options, entryPoints: {'restore-writer': options.entryPoints['restore-writer']}});
  return join(out, 'restore-writer.js');
}

/** mulberry32: the same cases on every run, so a failure can be replayed by its number. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Entry = Record<string, unknown>;
const MTIME = Date.parse('2026-02-03T04:05:06Z');

function soundTree(): Entry[] {
  return [
    {path: 'd', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtimeMs: MTIME, size: 0},
    {
      path: 'd/f',
      type: 'file',
      mode: 0o4755,
      uid: 1,
      gid: 1,
      mtimeMs: MTIME,
      size: contents.get(c1)!.length,
      chunks: [c1],
    },
    {path: 'd/l', type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtimeMs: MTIME, size: 0, target: 'f'},
    {
      path: 'g',
      type: 'file',
      mode: 0o644,
      uid: 0,
      gid: 0,
      mtimeMs: MTIME,
      size: contents.get(c2)!.length,
      chunks: [c2],
    },
  ];
}

const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;

const FIELD_MUTATIONS: Record<string, unknown[]> = {
  path: [
    '../x',
    '/etc/evil',
    'a//b',
    '.',
    '..',
    'a/./b',
    'x\0y',
    'n'.repeat(300),
    `${'a/'.repeat(1100)}x`,
    '',
    123,
    null,
    ['a'],
    'esc/planted',
    'd/l/evil',
    'g/evil',
  ],
  type: ['fifo', 'hardlink', 7, null, 'FILE', 'socket'],
  mode: [-1, '0644', 1e12, 0.5, null, 0o104755, 0o7777, 0o6777],
  uid: [-1, '0', 2 ** 40, 1.5, null],
  gid: [-1, '0', 2 ** 40, 1.5, null],
  mtimeMs: [1e20, '2020', -1e20, null, 'NaN', 8.64e15 + 1],
  size: [-5, 1, 1e30, '3', null, 0, 100_000],
  chunks: [['zz'], [absent], 'abc', [null], 'C2', 'C1C1', [], null],
  target: ['', 'a\0b', 'x'.repeat(5000), 5, null, '/etc/shadow', '../../../..'],
};

const GARBAGE_LINES = ['{', 'null', '[]', '"str"', '{"path":', '\u0000\u0001', '{"path":"z","type":"file"}', '42'];

function mutateTree(r: () => number): string[] {
  const entries = soundTree();
  const lines: (string | undefined)[] = [];
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const kind = r();
    if (kind < 0.7) {
      const e = pick(r, entries);
      const field = pick(r, Object.keys(FIELD_MUTATIONS));
      let value = pick(r, FIELD_MUTATIONS[field]!);
      if (value === 'C2') value = [c2];
      if (value === 'C1C1') value = [c1, c1];
      if (r() < 0.1) delete e[field];
      else e[field] = value;
    } else if (kind < 0.8) {
      entries.push({...pick(r, entries)}); // a duplicate
    } else if (kind < 0.9) {
      entries.push({
        path: pick(r, ['g/evil', 'd/l/evil', 'esc/planted', 'd/f/x']),
        type: 'file',
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtimeMs: MTIME,
        size: 1,
        chunks: [c2],
      });
    } else {
      lines.push(pick(r, GARBAGE_LINES));
    }
  }
  const out = entries.map(e => JSON.stringify(e));
  for (const l of lines) out.splice(Math.floor(r() * (out.length + 1)), 0, l!);
  return out;
}

function mutateManifest(r: () => number, manifest: Record<string, any>): unknown {
  const choice = Math.floor(r() * 14);
  const disk = manifest.nodes[0].disks[0];
  switch (choice) {
    case 0:
      return null;
    case 1:
      return [];
    case 2:
      return {...manifest, nodes: null};
    case 3:
      return {...manifest, nodes: [null]};
    case 4:
      return {
        ...manifest,
        nodes: [{...manifest.nodes[0], name: pick(r, ['lnk/sub', '..', '', 'a\0b', 'n'.repeat(300)])}],
      };
    case 5:
      return {
        ...manifest,
        nodes: [{...manifest.nodes[0], disks: [{...disk, name: pick(r, ['lnk/sub', '..', '.', ''])}]}],
      };
    case 6:
      return {...manifest, nodes: [{...manifest.nodes[0], disks: [{...disk, kind: pick(r, ['tape', 'image', null])}]}]};
    case 7:
      return {
        ...manifest,
        nodes: [{...manifest.nodes[0], disks: [{...disk, tree: pick(r, ['x', [absent], null, [c1]])}]}],
      };
    case 8:
      return {
        ...manifest,
        nodes: [
          {
            ...manifest.nodes[0],
            disks: [
              {
                ...disk,
                kind: 'image',
                image: pick(r, [
                  {size: -1, chunks: [c1]},
                  {size: 3, chunks: [c1]},
                  {size: contents.get(c1)!.length, chunks: [absent]},
                  null,
                ]),
              },
            ],
          },
        ],
      };
    case 9:
      return {...manifest, nodes: [manifest.nodes[0], manifest.nodes[0]]};
    case 10:
      return {...manifest, id: 'p000000000000'};
    case 11:
      return {...manifest, backupId: 'b000000000000'};
    case 12:
      return {...manifest, time: pick(r, ['yesterday', 5, null])};
    default:
      return {...manifest, format: 99};
  }
}

before(
  async () => {
    if (skip) return;
    // 2,000 delegated runs each start a writer: from a bundle of this source built as the shipped one is,
    // not through tsx's loader, which would be most of the test's time. Built here, alone: waiting for the
    // shared test bundle could wait on other files' builds.
    useWriterBundle(await writerBundle());
    // In memory (tmpfs): each delegated run appends an audit entry, and its fsyncs would be most of the test's time.
    work = await fs.mkdtemp('/dev/shm/backhaul-fuzz-');
    process.env['BACKHAUL_STATE_DIR'] = join(work, 'state');
    await fs.chmod(work, 0o1777); // nobody creates the delegated destinations here
    const storage = new FilesystemStorage(join(work, 'repo'));
    const created = await Repository.create(storage);
    const writer = await RepositoryWriter.begin(created, 'fuzz');
    const b1 = Buffer.from('first file, which also is setuid\n');
    const b2 = Buffer.alloc(70_000, 7);
    c1 = await writer.addChunk(b1);
    c2 = await writer.addChunk(b2);
    contents.set(c1, b1).set(c2, b2);
    const record = {
      format: 1,
      id: backupId,
      job: 'fuzz',
      machine: 'fuzz-pc',
      kind: 'workstation',
      owner: 'root',
      access: null,
      createdAt: new Date(MTIME).toISOString(),
      nodes: [{name: 'fuzz-pc', disks: [{name: 'files', kind: 'files', shared: false}]}],
    };
    const r = prng(13);
    const manifests: Array<[string, unknown]> = [];
    for (let i = 0; i < CASES; i++) {
      const id = `p${String(i).padStart(12, '0')}`;
      const treeOnly = r() < 0.6;
      const tree = await writer.addChunk(
        Buffer.from((treeOnly ? mutateTree(r) : soundTree().map(e => JSON.stringify(e))).join('\n') + '\n'),
      );
      const manifest = {
        format: 1,
        id,
        backupId,
        time: new Date(MTIME + i * 1000).toISOString(),
        type: 'full',
        nodes: [
          {
            name: 'fuzz-pc',
            disks: [{name: 'files', kind: 'files', shared: false, logicalBytes: 1, fileCount: 2, tree: [tree]}],
          },
        ],
        logicalBytes: 1,
        storedBytes: 0,
      };
      manifests.push([id, treeOnly ? manifest : mutateManifest(r, manifest)]);
    }
    await writer.flush();
    await writer.close();
    await storage.put(backupKey(backupId), Buffer.from(JSON.stringify(record)));
    for (const [id, m] of manifests)
      await storage.put(pointKey(backupId, id as never), Buffer.from(m === undefined ? '{' : JSON.stringify(m)));
    repo = await Repository.open(new FilesystemStorage(join(work, 'repo')));
    // No system log round trip per audited run: `logger` is off the PATH for this test (the audit still anchors).
    process.env['PATH'] = '/nonexistent';
  },
  {timeout: 600_000},
);

after(async () => {
  useWriterBundle(undefined);
  process.env['PATH'] = savedPath;
  if (savedState === undefined) delete process.env['BACKHAUL_STATE_DIR'];
  else process.env['BACKHAUL_STATE_DIR'] = savedState;
  if (work) await fs.rm(work, {recursive: true, force: true});
  if (bundleDir) await fs.rm(bundleDir, {recursive: true, force: true});
});

const whole = new Set<string>();

/** Every regular file below `dir` is one of the backup's contents, whole; no temporary file is left. */
async function checkNothingHalfWritten(dir: string, what: string): Promise<void> {
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    const path = join(dir, name);
    assert.ok(!name.startsWith('.backhaul-restore-'), `${what}: a temporary file was left: ${path}`);
    const s = await fs.lstat(path);
    if (s.isDirectory()) await checkNothingHalfWritten(path, what);
    else if (s.isFile()) {
      const hash = createHash('sha256')
        .update(await fs.readFile(path))
        .digest('hex');
      assert.ok(whole.has(hash), `${what}: ${path} is not one of the backup's files, whole`);
    }
  }
}

function acceptable(e: unknown, what: string): void {
  assert.ok(e instanceof BackhaulError, `${what}: not a typed error (exit 1): ${(e as Error)?.stack ?? e}`);
  assert.notEqual(e.exitCode, 1, `${what}: exit 1: ${e.message}`);
}

test(
  `${CASES} malformed manifests, each restored four ways: a typed result, nothing outside, nothing half-written`,
  {skip, timeout: 1_800_000},
  async () => {
    for (const data of contents.values()) whole.add(createHash('sha256').update(data).digest('hex'));
    whole.add(createHash('sha256').update('').digest('hex'));
    const outside = join(work, 'outside');
    await fs.mkdir(outside, {mode: 0o777});
    await fs.chmod(outside, 0o777);
    const access = await contextFor(repo, asRoot);
    const outcomes = {ok: 0, refused: 0};
    // Four cases at a time: a delegated run waits on its writer child most of the time. A write outside
    // would be seen by whichever case looks next, so the check after every run still catches it.
    await mapLimit(
      Array.from({length: CASES}, (_, i) => i),
      4,
      async i => {
        const pointId = `p${String(i).padStart(12, '0')}`;
        const base = join(work, `case-${i}`);
        await fs.mkdir(base, {mode: 0o1777});
        await fs.chmod(base, 0o1777);
        const dirs = {plain: join(base, 'plain'), delegated: join(base, 'delegated')};
        for (const dir of Object.values(dirs)) {
          await fs.mkdir(dir);
          await fs.symlink(outside, join(dir, 'esc')); // a planted way out
        }
        await fs.chown(dirs.delegated, Number(nobody), Number(nobody));
        const runs: Array<[string, () => Promise<unknown>, string | undefined]> = [
          [
            'plain dir',
            async () => {
              const backup = await repo.getBackup(backupId);
              return restorePoint(repo, backup, await repo.getPoint(backupId, pointId), {
                to: dirs.plain,
                overwrite: true,
              });
            },
            undefined,
          ],
          [
            'plain tar',
            async () => {
              const backup = await repo.getBackup(backupId);
              return restorePoint(repo, backup, await repo.getPoint(backupId, pointId), {
                to: join(base, 'plain.tar'),
                tar: true,
              });
            },
            join(base, 'plain.tar'),
          ],
          [
            'delegated dir',
            () =>
              delegatedRestore(repo, access, {
                backupId,
                pointId,
                forUser: 'nobody',
                reason: 'fuzz',
                destination: {kind: 'dir', path: dirs.delegated, conflict: 'keep'},
              }),
            undefined,
          ],
          [
            'delegated tar',
            () =>
              delegatedRestore(repo, access, {
                backupId,
                pointId,
                forUser: 'nobody',
                reason: 'fuzz',
                destination: {kind: 'tar', path: join(base, 'delegated.tar')},
              }),
            join(base, 'delegated.tar'),
          ],
        ];
        for (const [mode, run, archive] of runs) {
          const what = `case ${i} (${pointId}), ${mode}`;
          try {
            await run();
            outcomes.ok++;
          } catch (e) {
            acceptable(e, what);
            outcomes.refused++;
            if (archive) await assert.rejects(fs.lstat(archive), `${what}: a failed export left its archive`);
          }
          assert.deepEqual(await fs.readdir(outside), [], `${what}: something was written outside the destination`);
        }
        for (const dir of Object.values(dirs)) await checkNothingHalfWritten(dir, `case ${i}`);
        assert.deepEqual(
          (await fs.readdir(base)).filter(n => !['plain', 'delegated', 'plain.tar', 'delegated.tar'].includes(n)),
          [],
          `case ${i}: stray files beside the destinations`,
        );
        await fs.rm(base, {recursive: true, force: true});
      },
    );
    // The generator must exercise both outcomes: some mutations are harmless (a mode, an mtime), most are not.
    assert.ok(outcomes.ok >= CASES / 10 && outcomes.refused >= CASES, JSON.stringify(outcomes));
  },
);
