/**
 * Reads chunks through a small LRU of whole packs. Restores and copies walk
 * data in roughly the order it was packed, so one GET per pack serves many
 * chunks (few large requests on object storage, few syscalls on disk).
 */
import type {ReadableStorage} from '../storage/storage.js';
import {packKey} from './pack.js';

export class PackCache {
  private readonly packs = new Map<string, Promise<Buffer>>();
  constructor(
    private readonly storage: ReadableStorage,
    private readonly capacity = 8,
  ) {}

  get(pack: string): Promise<Buffer> {
    let entry = this.packs.get(pack);
    if (entry) {
      this.packs.delete(pack);
      this.packs.set(pack, entry);
      return entry;
    }
    entry = this.storage.get(packKey(pack));
    entry.catch(() => this.packs.delete(pack));
    this.packs.set(pack, entry);
    while (this.packs.size > this.capacity) this.packs.delete(this.packs.keys().next().value!);
    return entry;
  }

  clear(): void {
    this.packs.clear();
  }
}
