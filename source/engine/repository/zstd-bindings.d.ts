// The native half of @mongodb-js/zstd, imported without its index.js (which drops the level).
declare module '@mongodb-js/zstd/bindings.js' {
  const bindings: {
    compress(data: Buffer, level?: number): Promise<Buffer>;
    decompress(data: Buffer): Promise<Buffer>;
  };
  export default bindings;
}
