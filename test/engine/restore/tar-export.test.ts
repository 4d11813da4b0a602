/**
 * The tar archive a restore exports (tar-export.ts on tar.ts): what a reader
 * finds in it member by member — names that ustar cannot hold (long,
 * non-ASCII), link targets, modes (a mode of 0 included), sub-second mtimes,
 * the writer as every member's owner, setuid bits dropped unless kept — read
 * back by another implementation (tar-stream's extractor) and by GNU tar; and
 * the pax records for what only pax can say (8 GiB and more, large ids, long
 * user names), which no test can afford to write for real.
 */
import assert from 'node:assert/strict';
import {createReadStream} from 'node:fs';
import {mkdtemp, readFile, rm, stat} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import {execa} from 'execa';
import {extract, type Header} from 'tar-stream';
import {restorePoint} from '../../../source/engine/restore/restore.js';
import {memberHeader, type TarMember} from '../../../source/engine/restore/tar.js';
import {craftedRepo, MTIME, type Spec} from './crafted.js';

const LONG = `${'deep/'.repeat(40)}file-${'x'.repeat(120)}.txt`;
const SPECS: Spec[] = [
  {path: 'docs', mode: 0o750},
  {path: 'docs/résumé ünïcode 日本.txt', content: 'accents\n', mtimeMs: MTIME + 789},
  {path: 'docs/plain.txt', content: 'plain\n', mtimeMs: Date.parse('2026-03-01T10:20:30Z')},
  {path: LONG, content: 'long path\n'},
  {path: 'docs/secret', content: 'nobody may read this\n', mode: 0o000},
  {path: 'docs/tool', content: '#!/bin/sh\n', mode: 0o4755},
  {path: 'docs/link-日本', target: `../${'t'.repeat(150)}/目標`},
];

interface Member {
  header: Header;
  data: Buffer;
}

async function readArchive(file: string): Promise<Map<string, Member>> {
  const members = new Map<string, Member>();
  const ex = extract();
  createReadStream(file).pipe(ex as never);
  for await (const entry of ex) {
    const parts: Buffer[] = [];
    for await (const chunk of entry) parts.push(chunk as Buffer);
    members.set(entry.header.name, {header: entry.header, data: Buffer.concat(parts)});
  }
  return members;
}

test('an exported archive holds each member exactly, as tar-stream and GNU tar read it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bh-tar-export-'));
  try {
    const {repo, backup, point} = await craftedRepo(join(dir, 'repo'), SPECS);
    const archive = join(dir, 'out.tar');
    const result = await restorePoint(repo, backup, point, {to: archive, tar: true});
    assert.equal(result.files, 5);
    const members = await readArchive(archive);
    const prefix = '';
    const get = (path: string) => {
      const m = members.get(prefix + path);
      assert.ok(m, `${path} is in the archive (found: ${[...members.keys()].slice(0, 12).join(', ')})`);
      return m;
    };
    const root = process.geteuid!() === 0;
    assert.equal(get('docs/').header.type, 'directory');
    assert.equal(get('docs/').header.mode, 0o750);
    const accents = get('docs/résumé ünïcode 日本.txt');
    assert.equal(accents.data.toString(), 'accents\n');
    assert.equal(
      (accents.header.pax as Record<string, string>).mtime,
      ((MTIME + 789) / 1000).toFixed(3),
      'the mtime keeps its milliseconds (pax)',
    );
    assert.equal(accents.header.uid, process.geteuid!(), 'members belong to the writer');
    assert.equal(get('docs/plain.txt').header.pax, null, 'a member ustar can hold gets no pax header');
    assert.equal(get(LONG).data.toString(), 'long path\n');
    assert.equal(get('docs/secret').header.mode, 0, 'a mode of 0 stays 0');
    assert.equal(get('docs/tool').header.mode, root ? 0o4755 : 0o755, 'setuid is kept only by root restoring for root');
    const link = get('docs/link-日本');
    assert.equal(link.header.type, 'symlink');
    assert.equal(link.header.linkname, `../${'t'.repeat(150)}/目標`);
    // GNU tar agrees on the names and sizes.
    const listing = await execa('tar', ['--numeric-owner', '-tvf', archive], {env: {LC_ALL: 'C.UTF-8'}});
    assert.match(listing.stdout, /résumé ünïcode 日本\.txt/);
    assert.match(listing.stdout, new RegExp(`${LONG.slice(-60).replace(/\./g, '\\.')}`));
    assert.match(listing.stdout, /^---------- \S+ +21 .*docs\/secret$/m);
    const x = join(dir, 'x');
    await execa('mkdir', [x]);
    await execa('tar', ['-xf', archive, '-C', x]);
    assert.equal(await readFile(join(x, prefix, LONG), 'utf8'), 'long path\n');
    assert.equal(
      (await stat(join(x, prefix, 'docs/résumé ünïcode 日本.txt'))).mtimeMs,
      MTIME + 789,
      'GNU tar applies the pax mtime',
    );
  } finally {
    await rm(dir, {recursive: true, force: true});
  }
});

const member = (over: Partial<TarMember>): TarMember => ({
  path: 'a/b',
  type: 'file',
  mode: 0o644,
  uid: 1000,
  gid: 1000,
  uname: 'alice',
  gname: '1000',
  mtimeMs: 1_000_000,
  size: 10,
  ...over,
});

/** The pax records of a member's header blocks (none: ustar holds it all). */
async function paxOf(m: TarMember): Promise<Record<string, string> | null> {
  const ex = extract();
  ex.end(
    Buffer.concat([
      memberHeader(m),
      Buffer.alloc(m.type === 'file' ? Math.ceil(Math.min(m.size, 512) / 512) * 512 : 0),
      Buffer.alloc(1024),
    ]),
  );
  for await (const entry of ex) {
    entry.resume();
    return entry.header.pax as Record<string, string> | null;
  }
  return null;
}

test('pax records say what ustar cannot: 8 GiB and more, large ids, long or non-ASCII names', async () => {
  assert.equal(await paxOf(member({})), null, 'nothing to add');
  assert.equal((await paxOf(member({size: 2 ** 33 + 5})))?.size, String(2 ** 33 + 5));
  const ids = await paxOf(member({uid: 3_000_000, gid: 4_000_000}));
  assert.deepEqual([ids?.uid, ids?.gid], ['3000000', '4000000']);
  const names = await paxOf(member({uname: 'a'.repeat(32), gname: 'grüppe'}));
  assert.deepEqual([names?.uname, names?.gname], ['a'.repeat(32), 'grüppe']);
  assert.equal((await paxOf(member({path: 'é'})))?.path, 'é');
  assert.equal((await paxOf(member({mtimeMs: 1_000_250})))?.mtime, '1000.250');
  assert.equal((await paxOf(member({type: 'symlink', size: 0, target: 'ü'.repeat(60)})))?.linkpath, 'ü'.repeat(60));
});
