/** The part of ext2fs (libext2fs in WASM; it ships no types) that images/ uses. */
declare module 'ext2fs' {
  export interface Ext2Stats {
    mode: number;
    nlink: number;
    uid: number;
    gid: number;
    ino: number;
    size: number;
    mtime: Date;
    isDirectory(): boolean;
    isFile(): boolean;
    isSymbolicLink(): boolean;
  }
  /** Its close() neither waits nor reports: use promises.close(handle.fd). */
  export interface Ext2FileHandle {
    readonly fd: number;
  }
  export interface Ext2Promises {
    readdir(path: string, options: {encoding: 'buffer'}): Promise<Array<Buffer | string>>;
    lstat(path: string): Promise<Ext2Stats>;
    readlink(path: string, options: {encoding: 'buffer'}): Promise<Buffer | string>;
    open(path: string, flags: number): Promise<Ext2FileHandle>;
    read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<{bytesRead: number}>;
    fstat(fd: number): Promise<Ext2Stats>;
    close(fd: number): Promise<void>;
    constants: {O_RDONLY: number; O_NOFOLLOW: number};
  }
  export interface Ext2Fs {
    promises: Ext2Promises;
  }
  export interface Ext2Disk {
    read(buffer: Buffer, bufferOffset: number, length: number, fileOffset: number): Promise<unknown>;
    write(buffer: Buffer, bufferOffset: number, length: number, fileOffset: number): Promise<unknown>;
    discard(offset: number, length: number): Promise<void>;
    flush(): Promise<void>;
  }
  export function mount(disk: Ext2Disk, offset?: number): Promise<Ext2Fs>;
  export function umount(fs: Ext2Fs): Promise<void>;
}
