/**
 * Encrypted repositories on the built CLI: `repo add --encrypt` takes its
 * password from --password-file or BACKHAUL_PASSWORD (and, with neither and
 * no terminal, fails with exit 2 saying how, creating nothing); every command
 * that opens it needs the password; a wrong one exits 15 and writes nothing;
 * `repo passwd` changes it (old refused, new works); `repo key` lists, adds
 * and removes keys; copies plain → encrypted → plain restore bit-identical;
 * `--copy-key` makes a target with the same key material.
 */
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {mkdir, readdir, readFile, stat, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {emptyWorkspace, type Result, type Workspace} from '../helpers/demo-cache.js';
import {randomBuffer} from '../helpers/cli.js';
import {assertSameRestore} from '../helpers/restore-compare.js';

async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of await readdir(dir, {recursive: true})) {
    const path = join(dir, name);
    if ((await stat(path)).isFile())
      out.set(
        name,
        createHash('sha256')
          .update(await readFile(path))
          .digest('hex'),
      );
  }
  return out;
}

describe('encrypted repositories on the CLI', () => {
  let ws: Workspace;
  let pw: string;
  let pw2: string;
  const ok = (r: Result, what: string) => assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}`);

  before(async () => {
    ws = await emptyWorkspace('repo-encrypt');
    ws.env.BACKHAUL_SCRYPT_N = String(2 ** 12);
    delete ws.env.BACKHAUL_PASSWORD;
    pw = join(ws.dir, 'pw');
    pw2 = join(ws.dir, 'pw2');
    await writeFile(pw, 'first password\n');
    await writeFile(pw2, 'second password\n');
    const src = join(ws.dir, 'src');
    await mkdir(join(src, 'docs'), {recursive: true});
    await writeFile(join(src, 'docs', 'report.bin'), randomBuffer(700 * 1024, 11));
    await writeFile(join(src, 'docs', 'notes.txt'), 'plain text\n'.repeat(3000));
    ok(await ws.run(['repo', 'add', 'plain', join(ws.dir, 'plain')]), 'plain repo');
    ok(
      await ws.run([
        'agent',
        'backup',
        '--repo',
        'plain',
        '--job',
        'j',
        '--machine',
        'm',
        '--kind',
        'server',
        '--path',
        src,
      ]),
      'backup',
    );
  });
  after(async () => ws?.cleanup());

  test('no password and no terminal: exit 2 saying how to give one, nothing created', async () => {
    const r = await ws.run(['repo', 'add', 'nopw', join(ws.dir, 'nopw'), '--encrypt']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /no terminal/);
    assert.match(r.stderr, /--password-file FILE or set BACKHAUL_PASSWORD/);
    await assert.rejects(stat(join(ws.dir, 'nopw', 'config')));
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  test('create, copy plain → encrypted → plain, restore bit-identical; wrong password exit 15 writes nothing', async () => {
    const enc = join(ws.dir, 'enc');
    const add = await ws.run(['repo', 'add', 'enc', enc, '--encrypt', '--password-file', pw]);
    ok(add, 'repo add --encrypt');
    assert.match(add.stdout, /encrypted/);
    assert.deepEqual(JSON.parse(await readFile(join(enc, 'config'), 'utf8')).encryption, {
      keyDerivation: 'scrypt',
      cipher: 'aes-256-gcm',
    });
    ok(
      await ws.run(['copy', '--from', 'plain', '--to', 'enc', '--points', 'all', '--password-file', pw]),
      'copy to encrypted',
    );

    const before = await snapshot(enc);
    const wrong = await ws.run(['list', '--repo', 'enc', '--password-file', pw2]);
    assert.equal(wrong.code, 15, wrong.stderr);
    assert.match(wrong.stderr, /password does not open/);
    const none = await ws.run(['list', '--repo', 'enc']);
    assert.equal(none.code, 2, none.stderr);
    assert.deepEqual(await snapshot(enc), before, 'nothing written by refused opens');

    ok(await ws.run(['verify', '--repo', 'enc', '--password-file', pw]), 'verify encrypted');
    ok(await ws.run(['repo', 'add', 'back', join(ws.dir, 'back')]), 'plain target');
    ws.env.BACKHAUL_PASSWORD = 'first password';
    try {
      ok(
        await ws.run(['copy', '--from', 'enc', '--to', 'back', '--points', 'all']),
        'copy back to plain (password from the environment)',
      );
      const [backup] = await ws.json<{id: string}[]>(['list', '--repo', 'enc', '--json']);
      const [point] = await ws.json<{id: string}[]>(['points', backup!.id, '--repo', 'enc', '--json']);
      await assertSameRestore(ws, 'plain', 'back', {backup: backup!.id, point: point!.id}, join(ws.dir, 'cmp1'));
      await assertSameRestore(ws, 'plain', 'enc', {backup: backup!.id, point: point!.id}, join(ws.dir, 'cmp2'));
    } finally {
      delete ws.env.BACKHAUL_PASSWORD;
    }
  });

  test('repo passwd: the old password is refused, the new one opens; repo key list/add/rm', async () => {
    const enc = join(ws.dir, 'keys');
    ok(await ws.run(['repo', 'add', 'keys', enc, '--encrypt', '--password-file', pw]), 'create');
    ok(await ws.run(['repo', 'passwd', 'keys', '--password-file', pw, '--new-password-file', pw2]), 'passwd');
    assert.equal((await ws.run(['list', '--repo', 'keys', '--password-file', pw])).code, 15, 'old password refused');
    ok(await ws.run(['list', '--repo', 'keys', '--password-file', pw2]), 'new password opens');
    ok(await ws.run(['repo', 'key', 'add', 'keys', '--password-file', pw2, '--new-password-file', pw]), 'key add');
    const keys = await ws.json<{id: string; current: boolean}[]>([
      'repo',
      'key',
      'list',
      'keys',
      '--password-file',
      pw2,
      '--json',
    ]);
    assert.equal(keys.length, 2);
    const other = keys.find(k => !k.current)!;
    ok(await ws.run(['list', '--repo', 'keys', '--password-file', pw]), 'the added password opens too');
    const self = await ws.run([
      'repo',
      'key',
      'rm',
      'keys',
      keys.find(k => k.current)!.id.slice(0, 12),
      '--password-file',
      pw2,
    ]);
    assert.equal(self.code, 2, 'the key in use is not removed');
    ok(await ws.run(['repo', 'key', 'rm', 'keys', other.id.slice(0, 12), '--password-file', pw2]), 'key rm');
    assert.equal(
      (await ws.run(['list', '--repo', 'keys', '--password-file', pw])).code,
      15,
      'removed password refused',
    );
  });

  test('--copy-key: the target shares the key material, copies pass packs through unchanged', async () => {
    ok(await ws.run(['repo', 'add', 'src-enc', join(ws.dir, 'src-enc'), '--encrypt', '--password-file', pw]), 'source');
    ok(
      await ws.run(['copy', '--from', 'plain', '--to', 'src-enc', '--points', 'all', '--password-file', pw]),
      'fill it',
    );
    ok(
      await ws.run([
        'repo',
        'add',
        'twin',
        join(ws.dir, 'twin'),
        '--encrypt',
        '--copy-key',
        'src-enc',
        '--password-file',
        pw,
        '--new-password-file',
        pw2,
      ]),
      'twin',
    );
    const one = await ws.run(['copy', '--from', 'src-enc', '--to', 'twin', '--points', 'all', '--password-file', pw]);
    assert.equal(one.code, 15, "the source's password does not open the twin");
    ok(
      await ws.run([
        'copy',
        '--from',
        'src-enc',
        '--to',
        'twin',
        '--points',
        'all',
        '--password-file',
        pw,
        '--to-password-file',
        pw2,
      ]),
      'copy to the twin',
    );
    const packs = async (dir: string) =>
      (await readdir(join(ws.dir, dir, 'data'), {recursive: true})).filter(n => /[0-9a-f]{64}$/.test(n)).sort();
    assert.ok((await packs('src-enc')).length > 0);
    assert.deepEqual(
      await packs('twin'),
      await packs('src-enc'),
      'the same key material: the very same packs, passed through',
    );
    ok(await ws.run(['verify', '--repo', 'twin', '--password-file', pw2]), 'the twin verifies');
  });
});
