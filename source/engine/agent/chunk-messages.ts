/**
 * The messages between the chunk pool (chunk-pool.ts) and its workers
 * (chunk-worker.ts), both ways: the one place their shape is written. Tasks
 * are numbered by the pool; every answer carries its task's number.
 */
import type {Compression, Encoding} from '../repository/blob.js';
import type {ChunkerParams} from '../repository/chunker.js';
import type {CodecParams} from '../repository/codec.js';
import type {KnownIds} from '../repository/known-ids.js';

/**
 * One chunk: [chunk id, raw length, encoding, payload offset, payload length].
 * Encoding -1: already in the repository (no payload); 0: payload in the
 * task's raw buffer (the data as read, never copied); 1: deflated, in its
 * packed buffer.
 */
export type ChunkOut = [id: string, rawLength: number, encoding: -1 | Encoding, offset: number, length: number];
export type FileOut = {chunks: ChunkOut[]; size: number} | {error: WorkerError};
export interface WorkerError {
  code?: string;
  message: string;
}

/** What a worker is started with: the chunk ids the repository held when the pool started (durable and indexed). */
export interface ChunkWorkerData {
  /** In shared memory: every worker reads the one copy (known-ids.ts). */
  known: KnownIds;
  /** The repository's compression (config.ts, compressionOf) and codec (codec.ts): the workers encode and name chunks as the repository would. */
  compression: Compression;
  codec: CodecParams;
  /** The repository's chunker parameters (config.ts, chunkerOf): the workers cut as the repository's writers must. */
  chunker: ChunkerParams;
}

/** A task's slots: buffers shared with the main thread, by number (see ChunkPool.takeSlot). */
interface Slots {
  task: number;
  rawSlot: number;
  packedSlot: number;
}

export type ToChunkWorker =
  /** A buffer shared with the main thread from now on, named by `slot` in tasks. */
  | {type: 'share'; slot: number; sab: SharedArrayBuffer}
  /** Read, cut, hash and encode whole files (`sizes`: as the walk saw them). */
  | (Slots & {type: 'files'; paths: string[]; sizes: number[]})
  /** Cut a stream's segment (raw slot bytes [start, end)), hash and encode its chunks. */
  | (Slots & {type: 'stream'; start: number; end: number; eof: boolean})
  /** Private buffers of the worker's (see Payload) that the main thread is done with. */
  | {type: 'recycle'; buffers: ArrayBuffer[]};

/**
 * Where a task's bytes are: its shared slot, or a private buffer of the
 * worker's, transferred, when the slot overflowed (a file grew while read).
 */
export type Payload = {slot: number} | {buffer: ArrayBuffer};

export type FromChunkWorker =
  /** Early, for a stream segment: where its uncut tail starts (the next segment starts with it). */
  | {type: 'cut'; task: number; at: number}
  | {type: 'files'; task: number; files: FileOut[]; raw: Payload; packed: Payload}
  | {type: 'stream'; task: number; chunks: ChunkOut[]; raw: Payload; packed: Payload}
  | {type: 'error'; task: number; error: WorkerError};
