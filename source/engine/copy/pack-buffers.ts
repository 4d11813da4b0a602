/**
 * Reads local pack files into a few buffers that it hands out again and
 * again, for packs sent on to a target that checks their hash itself (S3:
 * the pack's id is the signed payload hash), so the copy reads them on the
 * main thread and hashes nothing here. They used to come back from a verify
 * worker, each in 16 MiB new to this thread, and V8 answered nearly every
 * pack with a garbage collection ("external memory pressure"): about a tenth
 * of the main thread's time, on the thread that also drives every upload.
 *
 * Guarantees: a buffer is handed out again only after release(); a file
 * that cannot be read whole rejects (its buffer goes back to the pool); at
 * most `keep` buffers, the largest, are kept between packs.
 */
import {open} from 'node:fs/promises';

const ROUND = 1024 * 1024;

export interface ReadPack {
  /** The file's bytes: a view of pooled memory, valid until release(). */
  readonly data: Buffer;
  /** Hands the memory back for the next pack; call once nothing reads `data` any more (repeat calls do nothing). */
  release(): void;
}

export class PackBuffers {
  private readonly free: Buffer[] = [];

  constructor(private readonly keep: number) {}

  async read(path: string): Promise<ReadPack> {
    const handle = await open(path, 'r');
    let buffer: Buffer | undefined;
    let size = 0;
    try {
      size = (await handle.stat()).size;
      buffer = this.take(size);
      for (let done = 0; done < size;) {
        const {bytesRead} = await handle.read(buffer, done, size - done, done);
        if (bytesRead === 0) throw new Error(`${path} ended after ${done} of ${size} bytes`);
        done += bytesRead;
      }
    } catch (e) {
      if (buffer) this.give(buffer);
      throw e;
    } finally {
      await handle.close();
    }
    const whole = buffer;
    let released = false;
    return {
      data: whole.subarray(0, size),
      release: () => {
        if (released) return;
        released = true;
        this.give(whole);
      },
    };
  }

  /** The smallest free buffer that holds `size` bytes, else a new one (rounded up to whole MiB, so it fits the next packs too). */
  private take(size: number): Buffer {
    let best = -1;
    for (let i = 0; i < this.free.length; i++)
      if (this.free[i]!.length >= size && (best < 0 || this.free[i]!.length < this.free[best]!.length)) best = i;
    if (best >= 0) return this.free.splice(best, 1)[0]!;
    return Buffer.allocUnsafeSlow(Math.max(ROUND, Math.ceil(size / ROUND) * ROUND));
  }

  /** Keeps the `keep` largest buffers. */
  private give(buffer: Buffer): void {
    this.free.push(buffer);
    if (this.free.length <= this.keep) return;
    let smallest = 0;
    for (let i = 1; i < this.free.length; i++) if (this.free[i]!.length < this.free[smallest]!.length) smallest = i;
    this.free.splice(smallest, 1);
  }
}
