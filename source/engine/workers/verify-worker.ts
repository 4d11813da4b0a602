/**
 * The verify pool's worker thread (an entry of its own in the bundle; see
 * verify-pool.ts for what the pool is for). It takes one job at a time and
 * answers each with its job number; the checks themselves are pack-checks.ts,
 * the format's own definitions.
 */
import {closeSync, fstatSync, openSync, readSync} from 'node:fs';
import {workerData} from 'node:worker_threads';
import {codecFromParams} from '../repository/codec.js';
import {packProblem} from '../repository/pack.js';
import {checkPack, scanTreeChunk} from './pack-checks.js';
import {giveAligned, readInto, readRange, takeAligned, writeNewFile} from './pack-files.js';
import {parentChannel} from './port.js';
import type {FromVerifyWorker, ToVerifyWorker, VerifyWorkerData} from './verify-messages.js';

type Job<T extends ToVerifyWorker['type']> = Extract<ToVerifyWorker, {type: T}>;

const port = parentChannel<ToVerifyWorker, FromVerifyWorker>();
/** The repository's codec (plain, or an encrypted one's keys): how its blobs and trailers open, how its chunks are named. */
const codec = codecFromParams((workerData as VerifyWorkerData | undefined)?.codec ?? {kind: 'plain'});
const codeOf = (e: unknown) => String((e as {code?: unknown})?.code ?? e);

async function check(m: Job<'check'>): Promise<Extract<FromVerifyWorker, {type: 'checked'}>> {
  let {buffer, length} = m;
  if (m.path !== undefined) {
    try {
      ({buffer, length} = readInto(m.path, buffer));
    } catch (e) {
      return {type: 'checked', job: m.job, buffer, length: 0, packOk: false, bad: [], error: codeOf(e)};
    }
  }
  const {packOk, bad} = await checkPack(Buffer.from(buffer, 0, length), m.kind, m.packId, m.blobs, codec);
  return {type: 'checked', job: m.job, buffer, length, packOk, bad};
}

async function tree(m: Job<'tree'>): Promise<Extract<FromVerifyWorker, {type: 'tree'}>> {
  const [, offset, length] = m.blob;
  try {
    const given = m.data ?? new Uint8Array(0);
    const stored =
      m.path !== undefined
        ? readRange(m.path, offset, length)
        : Buffer.from(given.buffer, given.byteOffset, given.byteLength);
    return {type: 'tree', job: m.job, ...(await scanTreeChunk(stored, m.blob, codec))};
  } catch (e) {
    return {type: 'tree', job: m.job, error: codeOf(e)};
  }
}

/** Reads the file whole into `buffer` (big enough for its size when opened); undefined if its size changed meanwhile. */
function readWhole(fd: number, size: number, buffer: Buffer): Buffer | undefined {
  let length = 0;
  while (length < size) {
    const n = readSync(fd, buffer, length, size - length, length);
    if (n === 0) break;
    length += n;
  }
  return length === size ? buffer.subarray(0, length) : undefined;
}

/**
 * Copies a pack to `temp` if it is sound: read whole into page-aligned
 * memory, checked like any pack passed through (hash and trailer), then
 * written past the page cache. The worker says it is free as soon as the
 * pack is checked, so it reads and hashes the next pack while the disk
 * writes this one (libuv's thread pool does the write): the disk is kept
 * busy instead of waiting on the hash, and the processor on the disk.
 */
async function copy(m: Job<'copy'>): Promise<Extract<FromVerifyWorker, {type: 'copied'}>> {
  let fd: number | undefined;
  let buffer: Buffer | undefined;
  try {
    fd = openSync(m.source, 'r');
    const size = fstatSync(fd).size;
    buffer = await takeAligned(size);
    const data = readWhole(fd, size, buffer);
    closeSync(fd);
    fd = undefined;
    if (!data || packProblem(data, {id: m.packId, blobs: m.blobs}, codec) !== undefined)
      return {type: 'copied', job: m.job, packOk: false};
    port.send({type: 'freed', job: m.job});
    await writeNewFile(m.temp, data);
    return {type: 'copied', job: m.job, packOk: true};
  } catch (e) {
    return {type: 'copied', job: m.job, packOk: false, error: codeOf(e)};
  } finally {
    if (fd !== undefined) closeSync(fd);
    if (buffer) giveAligned(buffer);
  }
}

port.receive(m => {
  switch (m.type) {
    case 'exit':
      port.close(); // the thread ends once the writes it started are done
      return;
    case 'copy':
      void copy(m).then(reply => port.send(reply));
      return;
    case 'tree':
      void tree(m).then(reply => port.send(reply));
      return;
    case 'check':
      void check(m).then(reply => port.send(reply, [reply.buffer]));
  }
});
