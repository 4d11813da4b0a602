/**
 * File I/O of the verify pool's workers: a pack read whole into reused
 * memory, a tree chunk read from its pack, and a pack written to a new file
 * past the page cache. Reused memory matters: a fresh buffer per pack costs
 * more in page faults than the copy. Synchronous reads: each worker has its
 * own thread, and the read is the next thing it needs.
 */
import {closeSync, constants, fstatSync, openSync, readSync} from 'node:fs';
import {open} from 'node:fs/promises';
import {CHUNK_MAX} from '../repository/chunker.js';
import {PACK_TARGET} from '../repository/pack.js';
import {allocAligned, DIRECT_IO_BLOCK} from '../util/aligned.js';

/**
 * Reads a whole file into `buffer` (a bigger one if it does not fit), to its
 * end whatever its size was when opened.
 */
export function readInto(path: string, buffer: ArrayBuffer): {buffer: ArrayBuffer; length: number} {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    let view = new Uint8Array(size >= buffer.byteLength ? new ArrayBuffer(size + 4096) : buffer);
    let length = 0;
    for (;;) {
      if (length === view.length) {
        const bigger = new Uint8Array(view.length * 2);
        bigger.set(view);
        view = bigger;
      }
      const n = readSync(fd, view, length, view.length - length, length);
      if (n === 0) return {buffer: view.buffer as ArrayBuffer, length};
      length += n;
    }
  } finally {
    closeSync(fd);
  }
}

// Tree chunks are read into this thread's own scratch memory: they are small, and only what is scanned from them goes back.
let scratch = new Uint8Array(0);

/** `length` bytes of the file at `offset`, in scratch memory valid until the next call. */
export function readRange(path: string, offset: number, length: number): Buffer {
  if (scratch.length < length) scratch = new Uint8Array(Math.max(length, 1 << 20));
  const fd = openSync(path, 'r');
  try {
    let done = 0;
    while (done < length) {
      const n = readSync(fd, scratch, done, length - done, offset + done);
      if (n === 0) throw Object.assign(new Error('short read'), {code: 'ESHORT'});
      done += n;
    }
    return Buffer.from(scratch.buffer, 0, length);
  } finally {
    closeSync(fd);
  }
}

/**
 * A copy holds at most this many page-aligned buffers: one being filled and
 * checked, the others being written.
 */
const COPY_BUFFERS = 2;
/** Big enough for any pack a writer makes (PACK_TARGET plus one blob and the trailer). */
const COPY_BUFFER_SIZE = PACK_TARGET + CHUNK_MAX + 65536;
const freeAligned: Buffer[] = [];
const waitingAligned: (() => void)[] = [];
let madeAligned = 0;

/** A page-aligned buffer of at least `size` bytes, once one of the COPY_BUFFERS is free. */
export async function takeAligned(size: number): Promise<Buffer> {
  for (;;) {
    const i = freeAligned.findIndex(b => b.length >= size);
    if (i >= 0) return freeAligned.splice(i, 1)[0]!;
    if (freeAligned.length > 0) {
      freeAligned.pop(); // too small for this pack: replaced by one that fits (an unusual pack: it is not kept)
      return allocAligned(size);
    }
    if (madeAligned < COPY_BUFFERS) {
      madeAligned++;
      return allocAligned(Math.max(size, COPY_BUFFER_SIZE));
    }
    await new Promise<void>(resolve => waitingAligned.push(resolve));
  }
}

export function giveAligned(buffer: Buffer): void {
  freeAligned.push(buffer);
  waitingAligned.shift()?.();
}

/** False once the filesystem refused direct I/O: every later write goes through the cache. */
let directIo = true;

/**
 * Writes `data` (page-aligned memory) to the new file `temp`, mode 0600: its
 * block-aligned head with O_DIRECT where the filesystem allows it, the tail
 * through the cache. Not fsynced (the storage does that when it commits the
 * file). New page-cache pages are the dearest part of a copy on virtual
 * machines that hand freed memory back to their host.
 */
export async function writeNewFile(temp: string, data: Buffer): Promise<void> {
  const out = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    let done = directIo ? await writeDirect(temp, data) : 0;
    while (done < data.length) done += (await out.write(data, done, data.length - done, done)).bytesWritten;
  } finally {
    await out.close();
  }
}

/** Writes the block-aligned head of `data` past the page cache; returns how much it wrote. */
async function writeDirect(temp: string, data: Buffer): Promise<number> {
  const head = data.length - (data.length % DIRECT_IO_BLOCK);
  if (head === 0) return 0;
  let direct;
  try {
    direct = await open(temp, constants.O_WRONLY | constants.O_DIRECT);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
    directIo = false; // the filesystem does not do direct I/O
    return 0;
  }
  let done = 0;
  try {
    while (done < head) {
      const {bytesWritten} = await direct.write(data, done, head - done, done);
      done += bytesWritten;
      if (bytesWritten === 0 || done % DIRECT_IO_BLOCK !== 0) break; // the rest goes through the cache
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
    directIo = false;
  } finally {
    await direct.close();
  }
  return done;
}
