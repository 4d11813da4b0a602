/**
 * The pipe between a restore and its writer child (writer-client.ts →
 * writer-child.ts). Parent to child: frames of one kind byte, a 32-bit
 * big-endian length and the payload — the plan (JSON), each file's bytes
 * (DATA frames, then END), FINISH, or ABORT. Child to parent: one JSON
 * message per line. The child trusts nothing it cannot check itself: it
 * writes only below the destination it opened, with its own (dropped) rights.
 */
import type {Readable} from 'node:stream';
import type {BackhaulError, ErrorCode} from '../errors.js';
import type {WriteEntry, WriteOptions, WriteOutcome} from './tree-writer.js';

export const FRAME = {plan: 1, data: 2, end: 3, finish: 4, abort: 5} as const;
export type FrameKind = (typeof FRAME)[keyof typeof FRAME];

/** Parent → child, first frame. */
export interface PlanMessage {
  destination: string;
  /** Create the destination (and missing parents) when it does not exist. */
  create: boolean;
  options: WriteOptions;
  entries: WriteEntry[];
}

export type ChildMessage =
  | {type: 'placed'}
  | {type: 'file'; index: number}
  | {type: 'done'; outcome: WriteOutcome}
  | {type: 'error'; error: {code: ErrorCode | null; message: string; hint: string}};

const HEADER = 5;

export function frame(kind: FrameKind, payload: Uint8Array = new Uint8Array(0)): Buffer[] {
  const header = Buffer.allocUnsafe(HEADER);
  header.writeUInt8(kind, 0);
  header.writeUInt32BE(payload.length, 1);
  return [header, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)];
}

export const jsonFrame = (kind: FrameKind, value: unknown) => frame(kind, Buffer.from(JSON.stringify(value)));

export function errorMessage(e: unknown): ChildMessage {
  const b = e as Partial<BackhaulError> | undefined;
  const known = typeof b?.code === 'string' && typeof b?.hint === 'string' && (e as Error).name === 'BackhaulError';
  return {
    type: 'error',
    error: {code: known ? b!.code! : null, message: String((e as Error)?.message ?? e), hint: known ? b!.hint! : ''},
  };
}

/** Reads frames from a stream in order; one reader per stream. Bytes are copied once per frame at most. */
export class FrameReader {
  private parts: Buffer[] = [];
  private size = 0;
  private readonly chunks: AsyncIterator<Buffer>;
  constructor(stream: Readable) {
    this.chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /** Waits until `n` bytes are buffered; false at the end of the stream. */
  private async fill(n: number): Promise<boolean> {
    while (this.size < n) {
      const {value, done} = await this.chunks.next();
      if (done) {
        if (this.size > 0) throw new Error('The restore pipe ended inside a frame.');
        return false;
      }
      this.parts.push(value);
      this.size += value.length;
    }
    return true;
  }

  /** Takes `n` buffered bytes (joined only when they span several reads). */
  private take(n: number): Buffer {
    let first = this.parts[0]!;
    if (first.length < n) {
      first = Buffer.concat(this.parts);
      this.parts = [first];
    }
    const out = first.subarray(0, n);
    if (first.length === n) this.parts.shift();
    else this.parts[0] = first.subarray(n);
    this.size -= n;
    return out;
  }

  /** The next frame; undefined at the end of the stream. */
  async next(): Promise<{kind: number; payload: Buffer} | undefined> {
    if (!(await this.fill(HEADER))) return undefined;
    const header = this.take(HEADER);
    const length = header.readUInt32BE(1);
    if (length > 0 && !(await this.fill(length))) throw new Error('The restore pipe ended inside a frame.');
    return {kind: header.readUInt8(0), payload: length === 0 ? Buffer.alloc(0) : this.take(length)};
  }
}
