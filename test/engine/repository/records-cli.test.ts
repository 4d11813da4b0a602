/**
 * Crafted records through the real CLI: a repository built by the engine,
 * then one JSON object edited on disk per case (a null or list record,
 * `nodes: null`, ids that differ from their keys, a node named `lnk/sub`, a
 * disk named `..`, and tree lines that are garbage, name a 300-byte
 * component, put a NUL in a symlink target, or carry a string gid, a string
 * mtimeMs or mtimeMs 1e20). `list`, `points`, `restore` (to a directory and
 * to a tar) and `verify` exit 12 naming the object and the field, or succeed
 * when they never read it; never exit 1, and nothing is written anywhere.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import {tmpdir, userInfo} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {pathsDisk, runBackup} from '../../../source/engine/agent/backup.js';
import type {PointManifest, TreeEntry} from '../../../source/engine/repository/model.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {RepositoryWriter} from '../../../source/engine/repository/writer.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {runCli, type CliResult} from '../../helpers/cli.js';

let work: string;
let base: string;
let alpha: PointManifest;
let beta: PointManifest;
let entries: TreeEntry[];

before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-records-'));
  base = join(work, 'base');
  const src = join(work, 'src');
  for (const m of ['alpha', 'beta']) {
    await fs.mkdir(join(src, m, 'docs'), {recursive: true});
    await fs.writeFile(join(src, m, 'docs', 'a.txt'), `${m} a\n`);
    await fs.symlink('docs/a.txt', join(src, m, 'link'));
  }
  const repo = await Repository.create(new FilesystemStorage(base));
  const spec = (m: string) => ({
    job: 'daily',
    machine: m,
    kind: 'workstation' as const,
    owner: userInfo().username,
    nodes: [{name: m, disks: [pathsDisk([join(src, m)])]}],
  });
  alpha = await runBackup(repo, spec('alpha'));
  beta = await runBackup(repo, spec('beta'));
  entries = [];
  for await (const e of repo.readTree(alpha.nodes[0]!.disks[0]!)) entries.push(e);
});
after(async () => {
  await fs.rm(work, {recursive: true, force: true});
});

const backupFile = (dir: string, id = alpha.backupId) => join(dir, 'backups', id, 'backup.json');
const pointFile = (dir: string) => join(dir, 'backups', alpha.backupId, 'points', `${alpha.id}.json`);
const pointKey = () => `backups/${alpha.backupId}/points/${alpha.id}.json`;

async function editJson(path: string, edit: (v: any) => unknown): Promise<void> {
  const v: unknown = JSON.parse(await fs.readFile(path, 'utf8'));
  const out = edit(v);
  await fs.writeFile(path, JSON.stringify(out === undefined ? v : out));
}

/** Replaces alpha's file tree with these lines (stored as a real, verified chunk). */
async function replaceTree(dir: string, lines: string[]): Promise<void> {
  const repo = await Repository.open(new FilesystemStorage(dir));
  const writer = await RepositoryWriter.begin(repo, 'test');
  const id = await writer.addChunk(Buffer.from(lines.join('\n') + '\n'));
  await writer.flush();
  await writer.close();
  await editJson(pointFile(dir), m => {
    m.nodes[0].disks[0].tree = [id];
  });
}

/** The tree's lines with the entry whose path ends in `suffix` changed by `edit` (as parsed JSON). */
const treeWith = (suffix: string, edit: (e: any) => void) =>
  entries.map(e => {
    const copy = {...e} as Record<string, unknown>;
    if (e.path.endsWith(suffix)) edit(copy);
    return JSON.stringify(copy);
  });

type Where = 'record' | 'manifest' | 'tree';
interface Case {
  what: string;
  where: Where;
  /** Words the error must name (the object's key or the disk, and the field). */
  names: () => string[];
  craft: (dir: string) => Promise<void>;
}

const cases: Case[] = [
  {
    what: 'a null backup record',
    where: 'record',
    names: () => [`backups/${alpha.backupId}/backup.json`, 'null'],
    craft: d => editJson(backupFile(d), () => null),
  },
  {
    what: 'a backup record that is a list',
    where: 'record',
    names: () => [`backups/${alpha.backupId}/backup.json`, 'a list'],
    craft: d => editJson(backupFile(d), () => []),
  },
  {
    what: 'a backup record with nodes: null',
    where: 'record',
    names: () => [`backups/${alpha.backupId}/backup.json`, 'nodes'],
    craft: d =>
      editJson(backupFile(d), r => {
        r.nodes = null;
      }),
  },
  {
    what: "a backup record claiming another backup's id",
    where: 'record',
    names: () => [`backups/${alpha.backupId}/backup.json`, 'id', beta.backupId],
    craft: d =>
      editJson(backupFile(d), r => {
        r.id = beta.backupId;
      }),
  },
  {
    what: 'a backup record with a node named lnk/sub',
    where: 'record',
    names: () => ['nodes[0].name', 'lnk/sub'],
    craft: d =>
      editJson(backupFile(d), r => {
        r.nodes[0].name = 'lnk/sub';
      }),
  },
  {
    what: 'a null point manifest',
    where: 'manifest',
    names: () => [pointKey(), 'null'],
    craft: d => editJson(pointFile(d), () => null),
  },
  {
    what: 'a point manifest that is a list',
    where: 'manifest',
    names: () => [pointKey(), 'a list'],
    craft: d => editJson(pointFile(d), () => []),
  },
  {
    what: 'a point manifest with nodes: null',
    where: 'manifest',
    names: () => [pointKey(), 'nodes'],
    craft: d =>
      editJson(pointFile(d), m => {
        m.nodes = null;
      }),
  },
  {
    what: "a point manifest claiming another point's id",
    where: 'manifest',
    names: () => [pointKey(), 'id', beta.id],
    craft: d =>
      editJson(pointFile(d), m => {
        m.id = beta.id;
      }),
  },
  {
    what: 'a point manifest claiming another backup',
    where: 'manifest',
    names: () => [pointKey(), 'backupId', beta.backupId],
    craft: d =>
      editJson(pointFile(d), m => {
        m.backupId = beta.backupId;
      }),
  },
  {
    what: 'a point manifest with a node named lnk/sub',
    where: 'manifest',
    names: () => [pointKey(), 'nodes[0].name', 'lnk/sub'],
    craft: d =>
      editJson(pointFile(d), m => {
        m.nodes = [
          {...m.nodes[0], name: 'lnk/sub'},
          {...m.nodes[0], name: 'other'},
        ];
      }),
  },
  {
    what: 'a point manifest with a disk named ..',
    where: 'manifest',
    names: () => [pointKey(), 'nodes[0].disks[0].name', '".."'],
    craft: d =>
      editJson(pointFile(d), m => {
        m.nodes[0].disks[0].name = '..';
      }),
  },
  {
    what: 'a point manifest with a 300-byte node name',
    where: 'manifest',
    names: () => [pointKey(), 'nodes[0].name', '255 bytes'],
    craft: d =>
      editJson(pointFile(d), m => {
        m.nodes[0].name = 'n'.repeat(300);
      }),
  },
  {
    what: 'a garbage tree line',
    where: 'tree',
    names: () => ['disk "files"', `line ${entries.length + 1}`, 'not valid JSON'],
    craft: d => replaceTree(d, [...treeWith('', () => {}), 'garbage {']),
  },
  {
    what: 'a null tree line',
    where: 'tree',
    names: () => ['disk "files"', 'line 1', 'null'],
    craft: d => replaceTree(d, ['null', ...treeWith('', () => {})]),
  },
  {
    what: 'a 300-byte name in a tree path',
    where: 'tree',
    names: () => ['disk "files"', 'path', 'longer than 255 bytes'],
    craft: d =>
      replaceTree(
        d,
        treeWith('a.txt', e => {
          e.path = `${e.path}-${'n'.repeat(300)}`;
        }),
      ),
  },
  {
    what: 'a NUL in a symlink target',
    where: 'tree',
    names: () => ['disk "files"', 'target', 'NUL'],
    craft: d =>
      replaceTree(
        d,
        treeWith('link', e => {
          e.target = 'docs/a.txt\0/etc/shadow';
        }),
      ),
  },
  {
    what: 'a string gid',
    where: 'tree',
    names: () => ['disk "files"', 'gid "0"'],
    craft: d =>
      replaceTree(
        d,
        treeWith('a.txt', e => {
          e.gid = '0';
        }),
      ),
  },
  {
    what: 'mtimeMs 1e20',
    where: 'tree',
    names: () => ['disk "files"', 'mtimeMs'],
    craft: d =>
      replaceTree(
        d,
        treeWith('a.txt', e => {
          e.mtimeMs = 1e20;
        }),
      ),
  },
  {
    what: 'a string mtimeMs',
    where: 'tree',
    names: () => ['disk "files"', 'mtimeMs "1736200800000"'],
    craft: d =>
      replaceTree(
        d,
        treeWith('a.txt', e => {
          e.mtimeMs = '1736200800000';
        }),
      ),
  },
  {
    what: 'a tree path climbing out with ..',
    where: 'tree',
    names: () => ['disk "files"', 'unsafe path'],
    craft: d =>
      replaceTree(
        d,
        treeWith('a.txt', e => {
          e.path = '../../outside/evil';
        }),
      ),
  },
];

function assertRefused(r: CliResult, c: Case, command: string): void {
  const label = `${c.what}: ${command}`;
  assert.equal(r.code, 12, `${label}: exit ${r.code}\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, `${label}: no internal error`);
  assert.match(r.stderr, /^backhaul: /, label);
  for (const word of c.names()) assert.ok(r.stderr.includes(word), `${label}: names ${word}\n${r.stderr}`);
}

/** One case on its own copy of the repository. */
async function attempt(c: Case, dir: string): Promise<void> {
  const repo = join(dir, 'repo');
  await fs.cp(base, repo, {recursive: true});
  await c.craft(repo);
  const outside = join(dir, 'outside');
  const dest = join(dir, 'dest');
  await fs.mkdir(outside);
  await fs.mkdir(dest);
  await fs.symlink(outside, join(dest, 'lnk')); // where a node named lnk/sub would write
  const home = join(dir, 'home');
  const run = (args: string[]) => runCli(home, [...args, '--repo', repo]);

  const list = await run(['list']);
  const points = await run(['points', alpha.backupId]);
  if (c.where === 'tree') {
    assert.equal(list.code, 0, `list reads no tree\n${list.stderr}`);
    assert.equal(points.code, 0, `points reads no tree\n${points.stderr}`);
    const verify = await run(['verify', '--json']);
    assert.equal(verify.code, 12, `verify\n${verify.stderr}`);
    const report = JSON.parse(verify.stdout) as {brokenPoints: {pointId: string; reason: string}[]};
    assert.deepEqual(
      report.brokenPoints.map(p => p.pointId),
      [alpha.id],
      'verify names the point',
    );
    for (const word of c.names())
      assert.ok(
        report.brokenPoints[0]!.reason.includes(word),
        `verify says ${word}: ${report.brokenPoints[0]!.reason}`,
      );
  } else if (c.where === 'manifest') {
    // A version 2 repository lists points from its catalogue: list and points read no manifest.
    assert.equal(list.code, 0, `list reads no manifest\n${list.stderr}`);
    assert.equal(points.code, 0, `points reads no manifest\n${points.stderr}`);
  } else {
    assertRefused(list, c, 'list');
    assertRefused(points, c, 'points');
  }
  assertRefused(await run(['restore', '--backup', alpha.backupId, '--to', dest]), c, 'restore --to');
  assertRefused(await run(['restore', '--backup', alpha.backupId, '--tar', join(dir, 'out.tar')]), c, 'restore --tar');
  assert.deepEqual(await fs.readdir(outside), [], 'nothing written outside');
  assert.deepEqual(await fs.readdir(dest), ['lnk'], 'nothing restored');
  await assert.rejects(fs.lstat(join(dir, 'out.tar')), 'no archive left');
  if (c.what.includes('claiming')) {
    // The backup whose id was claimed is untouched: it restores its own files.
    const ok = await run(['restore', '--backup', beta.backupId, '--to', join(dir, 'beta')]);
    assert.equal(ok.code, 0, `beta still restores\n${ok.stderr}`);
    assert.equal(await fs.readFile(join(dir, 'beta', 'beta', 'docs', 'a.txt'), 'utf8'), 'beta a\n');
  }
}

test(
  'crafted records and tree lines: list, points, restore and verify exit 12 naming them, and write nothing',
  {concurrency: 2},
  async t => {
    await Promise.all(cases.map((c, i) => t.test(c.what, () => attempt(c, join(work, `case${i}`)))));
  },
);
