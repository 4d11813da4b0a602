/**
 * The messages between the verify pool (verify-pool.ts) and its workers
 * (verify-worker.ts), both ways: the one place their shape is written, so
 * the compiler checks each side against the other. Every job's reply
 * carries its job number. Buffers named `buffer` are transferred, never
 * copied; other binary fields are small and copied.
 */
import type {BlobPlace} from '../repository/pack.js';
import type {CodecParams} from '../repository/codec.js';

/** What a worker starts with: the codec of the repository whose packs it checks (plain when absent). */
export interface VerifyWorkerData {
  codec?: CodecParams;
}

/** A blob of a pack: [chunk id, offset, length, raw length, encoding] (FORMAT.md, "Packs"). */
export type BlobRef = BlobPlace;

/**
 * What to check of a pack: 'pack', the pack whole (its hash against its id,
 * its trailer against the blobs), and only if that fails each blob; 'blobs',
 * each blob (picked out of a pack); 'layout', only the trailer against the
 * blobs (the storage checks the hash itself as it stores the pack).
 */
export type CheckKind = 'pack' | 'blobs' | 'layout';

/** Chunk ids: joined into one string when each has 64 characters (see pack-checks.ts packIds), else a list. */
export type TreeIds = string | string[];

export type ToVerifyWorker =
  /** A pack given in `buffer` (its first `length` bytes), or read from the file `path` into it. */
  | {
      type: 'check';
      job: number;
      kind: CheckKind;
      buffer: ArrayBuffer;
      length: number;
      path?: string;
      packId?: string;
      blobs: BlobRef[];
    }
  /** Copy the pack file `source` to `temp` (which must not exist) if it is sound. */
  | {type: 'copy'; job: number; source: string; temp: string; packId: string; blobs: BlobRef[]}
  /** Decode one tree chunk (stored bytes given, or read from the pack file at `path`) and scan it for chunk ids. */
  | {type: 'tree'; job: number; blob: BlobRef; path?: string; data?: Uint8Array}
  /** Take no more jobs; end once the ones started are done. */
  | {type: 'exit'};

export type FromVerifyWorker =
  /** `error`: the file could not be read (a code such as ENOENT); nothing was checked. */
  | {type: 'checked'; job: number; buffer: ArrayBuffer; length: number; packOk: boolean; bad: string[]; error?: string}
  /** The copy's pack is checked: the worker takes another job while it writes this one. */
  | {type: 'freed'; job: number}
  /** `packOk` false: the source is not sound and nothing was written; `error`: reading or writing failed. */
  | {type: 'copied'; job: number; packOk: boolean; error?: string}
  /** `ids`: the ids of the chunk's complete lines; `head`/`tail`: the partial lines at its ends. */
  | {type: 'tree'; job: number; ids: TreeIds; head: Uint8Array; tail?: Uint8Array}
  /** The chunk could not be read or does not match its id: the caller reads it itself, which says why. */
  | {type: 'tree'; job: number; error: string};
