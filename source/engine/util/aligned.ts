/**
 * Page-aligned buffers, for writes that bypass the page cache (O_DIRECT needs
 * the memory, the offset and the length aligned to the device's blocks).
 * Node offers no aligned allocation, but a WebAssembly memory always starts
 * on a page boundary: buffers are carved from such arenas at 4 KiB steps.
 * They are never given back (callers recycle them), and their pages cost
 * nothing until touched.
 */
const PAGE = 4096;
const WASM_PAGE = 65536;
const ARENA = 64 * 1024 * 1024;

const alignedMemory = new WeakSet<ArrayBufferLike>();
let arena: {buffer: ArrayBuffer; used: number} | undefined;

/** A buffer of `bytes` whose first byte is page-aligned (an ordinary one where WebAssembly is off, e.g. --jitless). */
export function allocAligned(bytes: number): Buffer {
  if (typeof WebAssembly === 'undefined') return Buffer.allocUnsafeSlow(bytes);
  const need = Math.ceil(bytes / PAGE) * PAGE;
  if (!arena || arena.used + need > arena.buffer.byteLength) {
    const memory = new WebAssembly.Memory({initial: Math.ceil(Math.max(need, ARENA) / WASM_PAGE)});
    arena = {buffer: memory.buffer, used: 0};
    alignedMemory.add(memory.buffer);
  }
  const buffer = Buffer.from(arena.buffer, arena.used, bytes);
  arena.used += need;
  return buffer;
}

/** Whether `b` starts on a page boundary of memory from allocAligned. */
export function isAligned(b: Uint8Array): boolean {
  return alignedMemory.has(b.buffer) && b.byteOffset % PAGE === 0;
}

export const DIRECT_IO_BLOCK = PAGE;
