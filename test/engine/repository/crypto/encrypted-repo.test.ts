// An encrypted repository end to end, on a directory and on a real Ceph RGW
// (issue 15, acceptance "encryption at rest"):
// - a backup straight into it and a copy plain → encrypted: no file name,
//   machine name, job name, content or plain chunk id is findable in any
//   stored byte (the same grep finds them all in the plain source: it works);
// - it opens only with its password: a wrong one is refused (denied, exit 15)
//   and nothing is written; after a password change the old one is refused
//   and the new one opens;
// - plain → encrypted → plain holds the same content, file by file and image
//   byte by byte, and every repository verifies;
// - a flipped byte in a manifest or a blob is 'corrupt' (exit 12) naming it.
import {after, before, describe, it} from 'node:test';
import {PutObjectCommand} from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import * as fs from 'node:fs/promises';
import {tmpdir, userInfo} from 'node:os';
import {join} from 'node:path';
import {runBackup} from '../../../../source/engine/agent/backup.js';
import {planCopy} from '../../../../source/engine/copy/plan.js';
import {runCopy} from '../../../../source/engine/copy/run.js';
import {BackhaulError, EXIT} from '../../../../source/engine/errors.js';
import type {BackupId} from '../../../../source/engine/ids.js';
import {changePassword, openKey} from '../../../../source/engine/repository/crypto/keys.js';
import {packKey} from '../../../../source/engine/repository/pack.js';
import {pointKey, Repository} from '../../../../source/engine/repository/repository.js';
import {verifyRepository} from '../../../../source/engine/repository/verify.js';
import {FilesystemStorage} from '../../../../source/engine/storage/filesystem.js';
import {S3Storage} from '../../../../source/engine/storage/s3.js';
import type {Storage} from '../../../../source/engine/storage/storage.js';
import {randomBuffer} from '../../../helpers/cli.js';
import {contentOf} from '../../../helpers/content.js';
import {rgwForThisFile, rgwSkipReason, type RgwServer} from '../../../helpers/rgw.js';

process.env.BACKHAUL_SCRYPT_N = String(2 ** 12);
const MiB = 1024 * 1024;
const PASSWORD = 'a long passphrase for the offsite copy';
const MACHINE = 'kestrel-fileserver-42';
const JOB = 'nightly-payroll-job';
const FILE = 'zebra-unicorn-salaries.xlsx';
/** Inside random (incompressible, so stored raw in a plain repository) content. */
const MARKER = Buffer.from('CONTENT-MARKER-7c1f9a52-d3e4-4b1a-9e0f-secret-payload');

const isCode = (code: string, exit: number, message?: RegExp) => (e: unknown) =>
  e instanceof BackhaulError && e.code === code && e.exitCode === exit && (!message || message.test(e.message));

let work: string;
let files: string;
let image: string;
let plainSource: Repository;
let markerChunkId: string;

before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-encrypted-'));
  files = join(work, 'files');
  await fs.mkdir(join(files, 'finance'), {recursive: true});
  await fs.writeFile(
    join(files, 'finance', FILE),
    Buffer.concat([randomBuffer(300 * 1024, 1), MARKER, randomBuffer(300 * 1024, 2)]),
  );
  await fs.writeFile(join(files, 'notes.txt'), 'quarterly figures\n'.repeat(2000));
  image = join(work, 'disk.img');
  await fs.writeFile(image, Buffer.concat([randomBuffer(MiB, 3), MARKER, Buffer.alloc(2 * MiB)]));
  plainSource = await Repository.create(new FilesystemStorage(join(work, 'plain-source')));
  await backupInto(plainSource);
  const [backup] = await plainSource.listBackups();
  const [point] = await plainSource.listPoints(backup!.id as BackupId);
  for await (const e of plainSource.readTree(point!.nodes[0]!.disks[0]!))
    if (e.path.endsWith(FILE)) markerChunkId = e.chunks![0]!;
});
after(() => fs.rm(work, {recursive: true, force: true}));

function backupInto(repo: Repository) {
  return runBackup(repo, {
    job: JOB,
    machine: MACHINE,
    kind: 'server',
    owner: userInfo().username,
    nodes: [
      {
        name: MACHINE,
        disks: [
          {name: 'files', kind: 'files', roots: [{root: files, prefix: 'data'}]},
          {name: 'disk', kind: 'image', image},
        ],
      },
    ],
  });
}

/** Every key under the repository, and every known string found in its bytes. */
async function findKnown(storage: Storage): Promise<{keys: string[]; found: string[]}> {
  const needles = [MACHINE, JOB, FILE, 'finance', 'quarterly figures', MARKER.toString(), markerChunkId];
  const keys: string[] = [];
  const found: string[] = [];
  for await (const info of storage.list('')) {
    keys.push(info.key);
    const bytes = await storage.get(info.key);
    for (const needle of needles) {
      for (const form of [Buffer.from(needle), Buffer.from(needle, 'utf16le')]) {
        if (bytes.includes(form) || info.key.includes(needle)) found.push(`${needle} in ${info.key}`);
      }
    }
  }
  return {keys, found};
}

/** A directory's files, path → SHA-256: what "nothing was written" compares. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of await fs.readdir(dir, {recursive: true})) {
    const path = join(dir, name);
    if ((await fs.stat(path)).isFile())
      out.set(
        name,
        createHash('sha256')
          .update(await fs.readFile(path))
          .digest('hex'),
      );
  }
  return out;
}

async function sameContent(a: Repository, b: Repository): Promise<void> {
  for (const backup of await a.listBackups()) {
    for (const point of await a.listPoints(backup.id as BackupId)) {
      assert.deepEqual(
        await contentOf(b, await b.getPoint(backup.id as BackupId, point.id)),
        await contentOf(a, point),
      );
    }
  }
}

/** A place for one repository: its storage, its directory if it has one, and a put that bypasses every check (tampering). */
interface Place {
  storage: () => Storage;
  dir?: string;
  putRaw: (key: string, data: Buffer) => Promise<void>;
}

function scenario(name: string, make: (label: string) => Promise<Place>) {
  describe(`an encrypted repository on ${name}`, () => {
    it('the grep finds every known string in the plain source (so it can find them)', async () => {
      const {found} = await findKnown(plainSource.storage);
      // File names live in compressed trees, so a plain repository shows them only after decompression.
      for (const needle of [MACHINE, JOB, MARKER.toString(), markerChunkId])
        assert.ok(
          found.some(f => f.startsWith(needle)),
          `${needle} not found in the plain repository`,
        );
    });

    it('backup into it, copy plain → encrypted → plain: nothing known is stored in the clear; the content comes back the same', async () => {
      const enc = await make('enc');
      const encrypted = await Repository.create(enc.storage(), {encryption: {password: PASSWORD}});
      assert.equal(encrypted.codec.encrypted, true);
      await backupInto(encrypted); // straight in: the agent's workers name chunks with the keyed id
      const copied = await runCopy(plainSource, encrypted, await planCopy(plainSource, encrypted, {points: 'all'}));
      assert.equal(copied.result, 'success', JSON.stringify(copied.failed));
      assert.equal(copied.pointsCopied, 1);

      const reopened = await Repository.open(enc.storage(), {password: async () => PASSWORD});
      const {keys, found} = await findKnown(reopened.storage);
      assert.deepEqual(found, [], 'known strings in stored bytes of the encrypted repository');
      assert.ok(
        keys.some(k => k.startsWith('data/')) &&
          keys.some(k => k.startsWith('index/')) &&
          keys.some(k => k.startsWith('keys/')),
        keys.join(' '),
      );
      const report = await verifyRepository(reopened);
      assert.equal(report.ok, true, JSON.stringify(report).slice(0, 400));
      assert.equal(report.points, 2);
      await sameContent(plainSource, reopened);

      const back = await Repository.create((await make('back')).storage());
      const returned = await runCopy(reopened, back, await planCopy(reopened, back, {points: 'all'}));
      assert.equal(returned.result, 'success', JSON.stringify(returned.failed));
      assert.equal(returned.pointsCopied, 2);
      await sameContent(plainSource, back);
      assert.equal((await verifyRepository(back)).ok, true);
      // Plain again, the ids are SHA-256 again: the chunks the plain source holds are the same ones.
      assert.ok(back.index.has(markerChunkId));

      // A second copy finds everything there.
      const again = await runCopy(plainSource, reopened, await planCopy(plainSource, reopened, {points: 'all'}));
      assert.equal(again.pointsCopied, 0);
    });

    it('a wrong password is refused (exit 15) and writes nothing; a password change refuses the old one and opens with the new', async () => {
      const enc = await make('pw');
      await Repository.create(enc.storage(), {encryption: {password: PASSWORD}});
      const before = enc.dir ? await snapshot(enc.dir) : undefined;
      await assert.rejects(
        Repository.open(enc.storage(), {password: async () => 'not the password'}),
        isCode('denied', EXIT.denied, /password does not open/),
      );
      await assert.rejects(Repository.open(enc.storage()), isCode('usage', EXIT.usage, /no password was given/));
      if (enc.dir) assert.deepEqual(await snapshot(enc.dir), before, 'a refused open writes nothing');
      const storage = enc.storage();
      await changePassword(storage as Storage, await openKey(storage, PASSWORD), 'the new password');
      await assert.rejects(
        Repository.open(enc.storage(), {password: async () => PASSWORD}),
        isCode('denied', EXIT.denied),
      );
      const opened = await Repository.open(enc.storage(), {password: async () => 'the new password'});
      assert.equal(opened.codec.encrypted, true);
    });

    it('a flipped byte in a blob or in a manifest is corrupt (exit 12), naming it', async () => {
      const enc = await make('tamper');
      const repo = await Repository.create(enc.storage(), {encryption: {password: PASSWORD}});
      const made = await backupInto(repo);
      const storage = enc.storage();
      const open = () => Repository.open(enc.storage(), {password: async () => PASSWORD});

      const id = made.nodes[0]!.disks[1]!.image!.chunks[0]!;
      const loc = (await (await open()).locate(id))!;
      const pack = await storage.get(packKey(loc.pack));
      pack[loc.offset + 20] ^= 1;
      await enc.putRaw(packKey(loc.pack), pack);
      await assert.rejects(
        (await open()).readChunk(id),
        isCode('corrupt', EXIT.corrupt, new RegExp(`pack ${loc.pack.slice(0, 12)}`)),
      );
      const report = await verifyRepository(await open());
      assert.equal(report.ok, false);
      assert.ok(
        report.badPacks.includes(loc.pack) || report.badChunks.includes(id),
        JSON.stringify(report).slice(0, 300),
      );

      const key = pointKey(made.backupId, made.id);
      const manifest = await storage.get(key);
      manifest[manifest.length - 20] ^= 1;
      await enc.putRaw(key, manifest);
      const named = isCode('corrupt', EXIT.corrupt, new RegExp(key.replace(/[.]/g, '\\.')));
      await assert.rejects((await open()).getPoint(made.backupId, made.id), named);
      await assert.rejects(verifyRepository(await open()), named);
    });
  });
}

scenario('a directory', async label => {
  const dir = join(work, `dir-${label}`);
  return {storage: () => new FilesystemStorage(dir), dir, putRaw: (key, data) => fs.writeFile(join(dir, key), data)};
});

const skip = rgwSkipReason();
const rgw = rgwForThisFile();
let server: RgwServer | undefined;
if (skip) it('an encrypted repository on a real Ceph RGW', {skip}, () => {});
else {
  describe('on a real Ceph RGW', () => {
    after(() => rgw.stop());
    scenario('a real Ceph RGW', async label => {
      if (!server) {
        server = await rgw.get();
        process.env.AWS_ACCESS_KEY_ID = server.accessKeyId;
        process.env.AWS_SECRET_ACCESS_KEY = server.secretAccessKey;
        await new S3Storage('s3://bh-crypto/x', {endpoint: server.endpoint}).ensureBucket();
      }
      const s = server;
      const location = `s3://bh-crypto/${label}-${process.pid}`;
      const storage = () => new S3Storage(location, {endpoint: s.endpoint});
      return {
        storage,
        putRaw: async (key, data) => {
          const raw = storage();
          await raw.client.send(new PutObjectCommand({Bucket: raw.bucket, Key: raw.objectKey(key), Body: data}));
        },
      };
    });
  });
}
