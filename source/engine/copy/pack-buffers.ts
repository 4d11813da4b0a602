/**
 * Reads local pack files into a few buffers that it hands out again and
 * again, for packs sent on to a target that checks their hash itself (S3:
 * the pack's id is the signed payload hash), so the copy reads them on the
 * main thread and hashes nothing. Fresh memory for every pack made a long
 * copy to S3 allocate ~16 MiB a pack, and V8 answered each allocation with a
 * garbage collection ("external memory pressure"): about a tenth of the main
 * thread's time, on the thread that also drives every upload.
 *
 * Guarantees: a buffer is handed out again only after release(); a file
 * that cannot be read whole rejects (its buffer goes back to the pool); at
 * most `keep` buffers are kept between packs.
 */
import {open} from 'node:fs/promises';

const SIZE = 16 * 1024 * 1024;

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

  private take(size: number): Buffer {
    const i = this.free.findIndex(b => b.length >= size);
    if (i >= 0) return this.free.splice(i, 1)[0]!;
    return Buffer.allocUnsafeSlow(Math.max(SIZE, size));
  }

  private give(buffer: Buffer): void {
    if (this.free.length < this.keep) this.free.push(buffer);
  }
}
