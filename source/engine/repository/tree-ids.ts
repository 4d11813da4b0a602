/**
 * The chunk ids a serialised file tree references (FORMAT.md: NDJSON, one
 * TreeEntry per line), found without parsing every entry: a copy plan needs
 * only the `chunks` arrays, and JSON.parse of 60,000 entries (plus the
 * garbage it leaves) cost it most of a second. The bytes are scanned for the
 * key `"chunks":[` followed by quoted 64-hex ids, exactly as JSON.stringify
 * writes them. That key cannot occur inside a JSON string (its quotes would
 * be escaped), so every match is a key. Anything else — other spacing, a
 * value that is not such a list — makes the region fall back to JSON.parse
 * line by line, so the result is always what parsing would give (at most a
 * superset, if some line repeats the key). Ids are not checked for being hex
 * here, as parsing would not either: each is looked up in the index, which
 * holds only valid ids, so a malformed one is reported as a missing chunk.
 *
 * The verify pool's workers (workers/verify-worker.ts) import this very
 * function to decode and scan tree chunks off the main thread.
 */

/** The ids in the complete NDJSON lines of data[start, end); throws on a line that is not JSON. */
export function scanTreeIds(data: Buffer, start: number, end: number): string[] {
  const ids = quickIds(data, start, end);
  return ids ?? parsedIds(data, start, end);
}

/** The ids as JSON.stringify writes them, or undefined at the first thing that is written otherwise. */
function quickIds(data: Buffer, start: number, end: number): string[] | undefined {
  const ids: string[] = [];
  let p = start;
  for (;;) {
    const q = data.indexOf('"chunks"', p, 'latin1');
    if (q < 0 || q >= end) return ids;
    let i = q + 8;
    if (data[i] !== 0x3a || data[i + 1] !== 0x5b) return undefined; // not followed by :[
    i += 2;
    if (data[i] !== 0x5d) {
      for (;;) {
        if (i + 66 > end || data[i] !== 0x22 || data[i + 65] !== 0x22) return undefined; // not a quoted 64-character id
        ids.push(data.toString('latin1', i + 1, i + 65));
        i += 66;
        if (data[i] === 0x2c) {
          i++;
          continue;
        }
        if (data[i] === 0x5d) break;
        return undefined;
      }
    }
    p = i + 1;
  }
}

/** The ids found by parsing each line. */
function parsedIds(data: Buffer, start: number, end: number): string[] {
  const ids: string[] = [];
  let s = start;
  while (s < end) {
    let e = data.indexOf(10, s);
    if (e < 0 || e > end) e = end;
    if (e > s) {
      const entry = JSON.parse(data.toString('utf8', s, e)) as {chunks?: unknown} | null;
      if (entry && Array.isArray(entry.chunks)) for (const id of entry.chunks) ids.push(String(id));
    }
    s = e + 1;
  }
  return ids;
}

/**
 * Collects a tree's ids from its chunks in order, each already split into
 * the part before its first line break (`head`), the ids of its complete
 * lines, and the part after its last one (`tail`); lines that span chunks
 * are joined here. The result is a list of groups: each chunk's own ids (the
 * very array given, so a plan that meets the same tree chunk in many restore
 * points holds its ids once) and the ids of each joined line. An id may be
 * in more than one group.
 */
export class TreeIdCollector {
  readonly groups: (readonly string[])[] = [];
  private carry: Buffer[] = [];

  /** `tail` undefined: the chunk holds no line break at all (all of it is `head`). */
  add(head: Buffer, ids: readonly string[], tail: Buffer | undefined): void {
    if (tail === undefined) {
      this.carry.push(head);
      return;
    }
    this.line(Buffer.concat([...this.carry, head]));
    if (ids.length > 0) this.groups.push(ids);
    this.carry = [tail];
  }

  /** Adds a decoded tree chunk scanned here (no worker). */
  addChunk(data: Buffer): void {
    const first = data.indexOf(10);
    if (first < 0) return this.add(data, [], undefined);
    const last = data.lastIndexOf(10);
    this.add(data.subarray(0, first), scanTreeIds(data, first + 1, last + 1), data.subarray(last + 1));
  }

  finish(): (readonly string[])[] {
    this.line(Buffer.concat(this.carry));
    this.carry = [];
    return this.groups;
  }

  private line(data: Buffer): void {
    if (data.length === 0) return;
    const ids = scanTreeIds(data, 0, data.length);
    if (ids.length > 0) this.groups.push(ids);
  }
}
