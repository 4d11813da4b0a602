// Key files and the encrypted codec on a real directory repository
// (FORMAT.md "Encryption"):
// - a password opens the master key; a wrong one is 'denied' (exit 15) and
//   writes nothing; a damaged key file is told apart from a wrong password;
// - changing the password: the new one opens the same material, the old is refused;
// - several keys: each password opens; the last key and the key in use are not removable;
// - key files hold no password and no key material in the clear;
// - the codec: objects bound to their storage key, blobs sealed, a flipped
//   byte is 'corrupt' naming the object; chunk ids keyed (HMAC), not SHA-256.
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {mkdtemp, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {BackhaulError, EXIT} from '../../../../source/engine/errors.js';
import {FilesystemStorage} from '../../../../source/engine/storage/filesystem.js';
import {
  addKey,
  changePassword,
  listKeys,
  openKey,
  removeKey,
} from '../../../../source/engine/repository/crypto/keys.js';
import {masterKeyBytes, newMasterKey} from '../../../../source/engine/repository/crypto/master-key.js';
import {EncryptedCodec} from '../../../../source/engine/repository/crypto/encrypted-codec.js';
import {acceptableParams} from '../../../../source/engine/repository/crypto/kdf.js';

process.env.BACKHAUL_SCRYPT_N = String(2 ** 12); // the same code path, a fraction of the time

const isCode = (code: string, exit?: number, message?: RegExp) => (e: unknown) =>
  e instanceof BackhaulError &&
  e.code === code &&
  (exit === undefined || e.exitCode === exit) &&
  (!message || message.test(e.message));

async function snapshot(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const name of await readdir(dir, {recursive: true})) {
    const path = join(dir, name);
    if ((await stat(path)).isFile())
      files.set(
        name,
        createHash('sha256')
          .update(await readFile(path))
          .digest('hex'),
      );
  }
  return files;
}

describe('key files', () => {
  let dir: string;
  let storage: FilesystemStorage;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bh-keys-'));
    storage = new FilesystemStorage(dir);
  });
  after(() => rm(dir, {recursive: true, force: true}));

  it('opens with its password; a wrong one is denied (exit 15) and nothing is written', async () => {
    const master = newMasterKey();
    const id = await addKey(storage, master, 'correct horse');
    const opened = await openKey(storage, 'correct horse');
    assert.equal(opened.id, id);
    assert.deepEqual(masterKeyBytes(opened.master), masterKeyBytes(master));
    const before = await snapshot(dir);
    await assert.rejects(openKey(storage, 'correct horse '), isCode('denied', EXIT.denied, /password does not open/));
    assert.deepEqual(await snapshot(dir), before, 'a refused password changes no byte');
    const text = await readFile(join(dir, 'keys', id), 'utf8');
    assert.ok(!text.includes('correct horse'));
    for (const part of [master.encryption, master.mac]) {
      assert.ok(
        !text.includes(part.toString('base64')) && !text.includes(part.toString('hex')),
        'no key material in the clear',
      );
    }
  });

  it('password change: the new password opens the same material, the old is refused, one key file remains', async () => {
    const opened = await openKey(storage, 'correct horse');
    const newId = await changePassword(storage, opened, 'battery staple');
    assert.notEqual(newId, opened.id);
    const reopened = await openKey(storage, 'battery staple');
    assert.deepEqual(masterKeyBytes(reopened.master), masterKeyBytes(opened.master));
    await assert.rejects(openKey(storage, 'correct horse'), isCode('denied', EXIT.denied));
    assert.deepEqual(
      (await listKeys(storage)).map(k => k.id),
      [newId],
    );
  });

  it('several keys: each password opens; the key in use and the last key are not removed', async () => {
    const first = await openKey(storage, 'battery staple');
    const second = await addKey(storage, first.master, 'second password');
    assert.equal((await openKey(storage, 'second password')).id, second);
    await assert.rejects(removeKey(storage, first.id.slice(0, 10), first.id), isCode('usage', undefined, /opened/));
    assert.equal(await removeKey(storage, second.slice(0, 10), first.id), second);
    await assert.rejects(openKey(storage, 'second password'), isCode('denied'));
    await assert.rejects(removeKey(storage, first.id, 'none'), isCode('usage', undefined, /last key/));
    await assert.rejects(removeKey(storage, 'ffffffffff', first.id), isCode('not-found'));
  });

  it('a damaged key file is corrupt, not a wrong password; another intact key still opens', async () => {
    const dir2 = await mkdtemp(join(tmpdir(), 'bh-keys-'));
    try {
      const s = new FilesystemStorage(dir2);
      const master = newMasterKey();
      const id = await addKey(s, master, 'pw');
      const path = join(dir2, 'keys', id);
      const bytes = await readFile(path);
      bytes[bytes.length - 5] ^= 1;
      await writeFile(path, bytes);
      await assert.rejects(openKey(s, 'pw'), isCode('corrupt', EXIT.corrupt, /Key file keys\/.* is damaged/));
      await addKey(s, master, 'pw');
      assert.deepEqual(masterKeyBytes((await openKey(s, 'pw')).master), masterKeyBytes(master));
    } finally {
      await rm(dir2, {recursive: true, force: true});
    }
  });

  it('an empty keys/ is corrupt, naming the repository', async () => {
    const dir3 = await mkdtemp(join(tmpdir(), 'bh-keys-'));
    try {
      await assert.rejects(
        openKey(new FilesystemStorage(dir3), 'pw'),
        isCode('corrupt', EXIT.corrupt, /holds no key file/),
      );
    } finally {
      await rm(dir3, {recursive: true, force: true});
    }
  });

  it('scrypt parameters from a key file are bounded (memory, N a power of two)', () => {
    assert.equal(acceptableParams({N: 2 ** 15, r: 8, p: 1}), true);
    assert.equal(acceptableParams({N: 2 ** 24, r: 8, p: 1}), false, '16 GiB');
    assert.equal(acceptableParams({N: 3000, r: 8, p: 1}), false);
    assert.equal(acceptableParams({N: 2 ** 15, r: 8, p: 1000}), false);
    assert.equal(acceptableParams({N: -1, r: 8, p: 1}), false);
  });
});

describe('the encrypted codec', () => {
  const codec = new EncryptedCodec(newMasterKey());
  const json = Buffer.from('{"hostname":"fileserver-07","path":"/home/alice/salaries.xlsx"}');

  it('objects: sealed bytes hold no plaintext, open under their key only', () => {
    const sealed = codec.sealObject('backups/b1/points/p1.json', json);
    assert.equal(sealed.length, json.length + 28);
    assert.ok(!sealed.includes(Buffer.from('fileserver-07')));
    assert.deepEqual(codec.openObject('backups/b1/points/p1.json', sealed), json);
    assert.notDeepEqual(codec.sealObject('backups/b1/points/p1.json', json), sealed, 'a fresh nonce each time');
    assert.throws(
      () => codec.openObject('backups/b1/points/p2.json', sealed),
      isCode('corrupt', EXIT.corrupt, /Object backups\/b1\/points\/p2\.json fails authentication/),
    );
  });

  it('a flipped bit anywhere is corrupt naming the object or blob', () => {
    const sealed = codec.sealObject('index/x', json);
    for (const at of [0, 12, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[at] ^= 0x80;
      assert.throws(() => codec.openObject('index/x', bad), isCode('corrupt', EXIT.corrupt, /index\/x/));
    }
    const blob = codec.sealBlob(json);
    assert.deepEqual(codec.openBlob(blob, 'blob 1234 in pack ab'), json);
    blob[20] ^= 1;
    assert.throws(
      () => codec.openBlob(blob, 'blob 1234 in pack ab'),
      isCode('corrupt', EXIT.corrupt, /blob 1234 in pack ab/),
    );
    assert.throws(() => codec.openBlob(Buffer.alloc(5), 'short blob'), isCode('corrupt', EXIT.corrupt, /short blob/));
  });

  it('another key opens nothing; chunk ids are keyed, not SHA-256, and the same key gives the same ids', () => {
    const other = new EncryptedCodec(newMasterKey());
    assert.throws(() => other.openObject('k', codec.sealObject('k', json)), isCode('corrupt'));
    assert.throws(() => other.openBlob(codec.sealBlob(json), 'b'), isCode('corrupt'));
    const sha = createHash('sha256').update(json).digest('hex');
    assert.notEqual(codec.chunkId(json), sha);
    assert.notEqual(codec.chunkId(json), other.chunkId(json));
    assert.match(codec.chunkId(json), /^[0-9a-f]{64}$/);
    const twin = EncryptedCodec.fromParams(structuredClone(codec.params()));
    assert.equal(twin.chunkId(json), codec.chunkId(json));
    assert.deepEqual(twin.openObject('k', codec.sealObject('k', json)), json);
    assert.ok(twin.sameKeyAs(codec) && !other.sameKeyAs(codec));
    assert.ok(!codec.sameKeyAs({encrypted: false, keyIdentity: 'plain'}));
  });
});
