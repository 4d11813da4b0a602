/**
 * The structure of a zstd frame (RFC 8878, section 3.1.1), walked without
 * decompressing: how many bytes the frame can produce at most. A reader
 * calls it before handing a blob to the decompressor, which allocates as the
 * frame says: a blob of a few bytes could otherwise claim gigabytes.
 *
 * Guarantees: undefined unless `data` is exactly one frame (no dictionary,
 * no reserved bits, no bytes after it) whose blocks are well-formed; else an
 * upper bound of its decompressed size (raw and RLE blocks count exactly,
 * each compressed block as the largest block, 128 KiB).
 */
const MAGIC = 0xfd2fb528;
const BLOCK_MAX = 128 * 1024;
const FCS_BYTES = [0, 2, 4, 8];

export function zstdFrameBound(data: Uint8Array): number | undefined {
  if (data.length < 6) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (view.getUint32(0, true) !== MAGIC) return undefined;
  const fhd = data[4]!;
  const single = (fhd & 0x20) !== 0;
  if ((fhd & 0x08) !== 0 || (fhd & 0x03) !== 0) return undefined; // reserved bit, dictionary
  let at = 5 + (single ? 0 : 1) + (FCS_BYTES[fhd >> 6]! || (single ? 1 : 0));
  let bound = 0;
  for (;;) {
    if (at + 3 > data.length) return undefined;
    const header = data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16);
    at += 3;
    const last = (header & 1) !== 0;
    const type = (header >> 1) & 3;
    const size = header >>> 3;
    if (type === 3 || size > BLOCK_MAX) return undefined;
    if (type === 0) {
      at += size;
      bound += size;
    } else if (type === 1) {
      at += 1;
      bound += size;
    } else {
      at += size;
      bound += BLOCK_MAX;
    }
    if (at > data.length) return undefined;
    if (last) break;
  }
  if ((fhd & 0x04) !== 0) at += 4; // content checksum
  return at === data.length ? bound : undefined;
}
