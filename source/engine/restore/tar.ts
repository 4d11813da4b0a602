/**
 * A small POSIX tar (ustar + pax) writer: header blocks for regular files,
 * directories and symlinks. A pax extended header ('x') carries whatever
 * ustar cannot hold exactly: paths or link targets longer than its fields or
 * not plain ASCII, sizes of 8 GiB and more, large ids, sub-second mtimes.
 * GNU tar, bsdtar and Python's tarfile read the result.
 */

export interface TarMember {
  /** '/'-separated relative path; directories without the trailing slash. */
  path: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtimeMs: number;
  size: number;
  target?: string;
}

export const BLOCK = 512;
const MAX_OCTAL_11 = 0o77777777777;
const MAX_OCTAL_7 = 0o7777777;

/** Zero bytes that pad `size` to a whole block. */
export function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

/** The two zero blocks that end an archive. */
export const END = Buffer.alloc(2 * BLOCK);

const ascii = (s: string) => /^[\x20-\x7e]*$/.test(s);

function octal(buf: Buffer, offset: number, length: number, value: number): void {
  buf.write(value.toString(8).padStart(length - 1, '0') + '\0', offset, length, 'ascii');
}

function text(buf: Buffer, offset: number, length: number, value: string): void {
  buf.write(value, offset, length, 'utf8');
}

/** One pax record: "LEN key=value\n", LEN counting itself. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLen = Buffer.byteLength(body);
  let len = bodyLen + String(bodyLen).length;
  if (String(len).length + bodyLen !== len) len = bodyLen + String(len).length;
  return `${len}${body}`;
}

function header(
  name: string,
  type: string,
  m: {mode: number; uid: number; gid: number; uname: string; gname: string; mtimeMs: number},
  size: number,
  linkname = '',
): Buffer {
  const b = Buffer.alloc(BLOCK);
  text(b, 0, 100, name);
  octal(b, 100, 8, m.mode & 0o7777);
  octal(b, 108, 8, Math.min(m.uid, MAX_OCTAL_7));
  octal(b, 116, 8, Math.min(m.gid, MAX_OCTAL_7));
  octal(b, 124, 12, Math.min(size, MAX_OCTAL_11));
  octal(b, 136, 12, Math.max(0, Math.min(Math.floor(m.mtimeMs / 1000), MAX_OCTAL_11)));
  b.fill(' ', 148, 156);
  b.write(type, 156, 1, 'ascii');
  text(b, 157, 100, linkname);
  b.write('ustar\u000000', 257, 8, 'ascii');
  text(b, 265, 32, ascii(m.uname) && m.uname.length <= 31 ? m.uname : '');
  text(b, 297, 32, ascii(m.gname) && m.gname.length <= 31 ? m.gname : '');
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return b;
}

/** A name that fits ustar's 100-byte field; the pax record holds the real one. */
function fallbackName(path: string): string {
  const safe = path.replace(/[^\x20-\x7e]/g, '_');
  return safe.length <= 100 ? safe : safe.slice(-100);
}

/** The header block(s) for one member: a pax header when needed, then the ustar header. */
export function memberHeader(m: TarMember): Buffer {
  const name = m.type === 'dir' ? `${m.path}/` : m.path;
  const size = m.type === 'file' ? m.size : 0;
  const records: string[] = [];
  if (!ascii(name) || Buffer.byteLength(name) > 100) records.push(paxRecord('path', name));
  if (m.target !== undefined && (!ascii(m.target) || Buffer.byteLength(m.target) > 100))
    records.push(paxRecord('linkpath', m.target));
  if (size > MAX_OCTAL_11) records.push(paxRecord('size', String(size)));
  if (m.uid > MAX_OCTAL_7) records.push(paxRecord('uid', String(m.uid)));
  if (m.gid > MAX_OCTAL_7) records.push(paxRecord('gid', String(m.gid)));
  // The ustar fields hold 31 bytes: a longer name would be cut to someone else's.
  if (!ascii(m.uname) || m.uname.length > 31) records.push(paxRecord('uname', m.uname));
  if (!ascii(m.gname) || m.gname.length > 31) records.push(paxRecord('gname', m.gname));
  if (m.mtimeMs % 1000 !== 0) records.push(paxRecord('mtime', (m.mtimeMs / 1000).toFixed(3)));
  const type = m.type === 'dir' ? '5' : m.type === 'symlink' ? '2' : '0';
  const main = header(
    records.length ? fallbackName(name) : name,
    type,
    m,
    size,
    m.target && ascii(m.target) && m.target.length <= 100 ? m.target : fallbackName(m.target ?? ''),
  );
  if (records.length === 0) return main;
  const body = Buffer.from(records.join(''), 'utf8');
  const paxName = fallbackName(`PaxHeaders/${name.replace(/\/$/, '')}`).slice(0, 99);
  return Buffer.concat([
    header(paxName, 'x', {...m, mode: 0o644, mtimeMs: Math.floor(m.mtimeMs / 1000) * 1000}, body.length),
    body,
    padding(body.length),
    main,
  ]);
}
