/**
 * The demo's two servers. `web01` is backed up file by file (/etc, /var/www,
 * /var/log-like trees: configs, a web site with images, logs that grow and
 * rotate). `db01` is backed up at volume level: an ext4 disk image holding a
 * database whose pages are rewritten in place between restore points, so
 * incremental points carry changed blocks, as on a real database server.
 * Its image also holds alice's home (home.ts: notes, a SQLite database, a
 * Maildir), for file-level restore from an image and the explorers.
 */
import {rm, utimes} from 'node:fs/promises';
import {join} from 'node:path';
import type {Rng} from './random.js';
import {TreeWriter} from './tree-writer.js';
import {EXT4_BLOCK, makeExt4Image, rewriteFileBlocks} from './ext4-image.js';
import {buildHome} from './home.js';

const DAY = 86_400;
const SITES = ['shop.example.com', 'intranet.example.com', 'status.example.com'];
export const DB_IMAGE = 'db01/disks/system.img';
const DB_TABLES = 24;

export async function buildWebServer(w: TreeWriter, root: string, rng: Rng, now: number): Promise<void> {
  const past = () => now - rng.int(DAY, 400 * DAY);
  await w.file(`${root}/etc/hostname`, 'web01\n', {mtime: past()});
  await w.file(`${root}/etc/hosts`, '127.0.0.1 localhost\n10.0.0.10 web01\n10.0.0.20 db01\n', {mtime: past()});
  await w.file(
    `${root}/etc/passwd`,
    'root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n',
    {mtime: past()},
  );
  await w.file(`${root}/etc/shadow`, `root:$6$${rng.bytes(40).toString('base64')}:19000:0:99999:7:::\n`, {
    mode: 0o640,
    mtime: past(),
  });
  await w.file(`${root}/etc/ssh/sshd_config`, rng.config(40), {mtime: past()});
  for (const kind of ['rsa', 'ecdsa', 'ed25519']) {
    await w.file(`${root}/etc/ssh/ssh_host_${kind}_key`, rng.bytes(400).toString('base64'), {
      mode: 0o600,
      mtime: past(),
    });
  }
  await w.file(`${root}/etc/nginx/nginx.conf`, rng.config(60), {mtime: past()});
  for (const site of SITES) {
    await w.file(`${root}/etc/nginx/sites-available/${site}.conf`, rng.config(30), {mtime: past()});
    await w.symlink(`${root}/etc/nginx/sites-enabled/${site}.conf`, `../sites-available/${site}.conf`, past());
  }
  for (let i = 0; i < 40; i++) {
    await w.file(
      `${root}/etc/${rng.pick(['systemd/system', 'cron.d', 'default', 'sysctl.d'])}/${rng.word()}-${i}.conf`,
      rng.config(rng.int(5, 40)),
      {mtime: past()},
    );
  }
  await w.dir(`${root}/etc/nginx/modules-enabled`);
  for (const site of SITES) {
    const www = `${root}/var/www/${site}`;
    await w.file(`${www}/index.html`, `<html><body>${rng.prose(4000)}</body></html>\n`, {mtime: past()});
    for (let i = 0; i < 25; i++)
      await w.file(`${www}/js/${rng.word()}-${i}.js`, rng.code(rng.int(1000, 20_000)), {mtime: past()});
    for (let i = 0; i < 12; i++)
      await w.file(`${www}/img/${rng.word()}-${i}.png`, rng.bytes(rng.int(20_000, 300_000)), {mtime: past()});
  }
  await w.file(`${root}/var/log/nginx/access.log`, rng.log(25_000, now - 7 * DAY, 'web01').data, {
    mode: 0o640,
    mtime: now,
  });
  await w.file(`${root}/var/log/nginx/error.log`, rng.log(2_000, now - 7 * DAY, 'web01').data, {
    mode: 0o640,
    mtime: now,
  });
  await w.file(`${root}/var/log/syslog`, rng.log(20_000, now - 7 * DAY, 'web01').data, {mode: 0o640, mtime: now});
  await w.file(`${root}/var/log/syslog.1`, rng.log(10_000, now - 14 * DAY, 'web01').data, {
    mode: 0o640,
    mtime: now - 7 * DAY,
  });
  await w.file(`${root}/var/log/syslog.2.gz`, rng.bytes(400_000), {mode: 0o640, mtime: now - 14 * DAY});
  await w.file(`${root}/var/log/auth.log`, rng.log(3_000, now - 7 * DAY, 'web01').data, {mode: 0o640, mtime: now});
  await w.dir(`${root}/var/log/journal`);
}

export async function mutateWebServer(w: TreeWriter, root: string, rng: Rng, state: number): Promise<void> {
  const log = `${root}/var/log`;
  if (state === 2) {
    // A log rotation: the oldest goes, the others shift, a new syslog starts.
    await w.remove(`${log}/syslog.2.gz`);
    await w.rename(`${log}/syslog.1`, `${log}/syslog.2.gz`);
    await w.rename(`${log}/syslog`, `${log}/syslog.1`);
    await w.file(`${log}/syslog`, rng.log(3_000, w.time - DAY, 'web01').data, {mode: 0o640});
  } else {
    await w.append(`${log}/syslog`, rng.log(3_000, w.time - DAY, 'web01').data);
  }
  await w.append(`${log}/nginx/access.log`, rng.log(6_000, w.time - DAY, 'web01').data);
  await w.append(`${log}/auth.log`, rng.log(300, w.time - DAY, 'web01').data);
  await w.file(`${root}/etc/nginx/sites-available/${rng.pick(SITES)}.conf`, rng.config(32));
  const site = `${root}/var/www/${rng.pick(SITES)}`;
  await w.file(`${site}/js/release-${state}.js`, rng.code(rng.int(2000, 15_000)));
  await w.file(`${site}/img/banner-${state}.png`, rng.bytes(rng.int(50_000, 250_000)));
  await w.remove(rng.pick(await w.files(`${site}/img`)));
}

/** Builds db01's tree in a scratch directory, makes the image from it, and drops the tree. */
export async function buildDbServer(stagingDir: string, rng: Rng, now: number, seed: number): Promise<void> {
  const scratch = '.scratch-db01';
  const w = new TreeWriter(stagingDir, now);
  await rm(join(stagingDir, scratch), {recursive: true, force: true});
  await w.file(`${scratch}/etc/hostname`, 'db01\n');
  await w.file(`${scratch}/etc/postgresql/postgresql.conf`, rng.config(120));
  await w.file(`${scratch}/etc/postgresql/pg_hba.conf`, rng.config(20), {mode: 0o640});
  for (let i = 0; i < DB_TABLES; i++) {
    // Tables: half-filled 8 KiB pages, so the image is partly compressible, as real ones are.
    // The free halves are not zeros: mkfs would turn zero blocks into holes, fragmenting
    // the file into an extent tree whose blocks `mutateDbServer` must never overwrite.
    const pages = rng.int(40, 140);
    const data = Buffer.alloc(pages * 8192, 'free space ');
    for (let p = 0; p < pages; p++) rng.fill(data.subarray(p * 8192, p * 8192 + 4096));
    await w.file(`${scratch}/var/lib/postgresql/base/table_${String(i).padStart(2, '0')}.dat`, data, {mode: 0o600});
  }
  await w.file(`${scratch}/var/log/postgresql/postgresql.log`, rng.log(12_000, now - 7 * DAY, 'db01').data);
  for (let i = 0; i < 30; i++)
    await w.file(`${scratch}/usr/lib/app/${rng.word()}-${i}.py`, rng.code(rng.int(2000, 30_000)));
  await buildHome(w, scratch, rng, now);
  await w.finish(); // mkfs copies the scratch tree's directory mtimes
  await w.dir('db01/disks');
  await makeExt4Image(join(stagingDir, scratch), w.abs(DB_IMAGE), 48, 'db01-root', seed);
  await utimes(w.abs(DB_IMAGE), now, now);
  await rm(join(stagingDir, scratch), {recursive: true});
  await w.finish();
}

/** Rewrites some table pages and part of the log inside the image, in place. */
export async function mutateDbServer(w: TreeWriter, rng: Rng): Promise<void> {
  for (const i of rng.sample(
    Array.from({length: DB_TABLES}, (_, n) => n),
    4,
  )) {
    await rewriteFileBlocks(
      w,
      DB_IMAGE,
      `/var/lib/postgresql/base/table_${String(i).padStart(2, '0')}.dat`,
      rng,
      rng.int(4, 24),
    );
  }
  await rewriteFileBlocks(w, DB_IMAGE, '/var/log/postgresql/postgresql.log', rng, 8, () => logBlock(rng, w.time));
}

export function logBlock(rng: Rng, time: number): Buffer {
  const block = Buffer.alloc(EXT4_BLOCK, '\n');
  rng.log(60, time - DAY, 'db').data.copy(block);
  return block;
}
