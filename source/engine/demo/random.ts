/**
 * A small seeded PRNG (xoshiro128**, seeded through splitmix32) for the demo
 * workspace and the benchmark data set. Guarantees: the same seed (number or
 * string label) gives the same stream on every platform and Node version, since
 * it uses only 32-bit integer arithmetic; `fork(label)` gives an independent
 * stream, so adding a draw in one generator never shifts another's data.
 * `fill` writes whole 32-bit words in a tight loop (hundreds of MB/s) and is
 * incompressible; the text helpers give compressible, realistic-looking lines.
 */

const WORDS = (
  'the of and to in is for on with as by at from that this be are was it an or not have has will can all ' +
  'backup restore server client cluster node disk volume file folder data report meeting budget project ' +
  'quarterly review draft final notes invoice customer order account service network config update release ' +
  'monday tuesday friday team plan design schedule build test deploy database table index query cache ' +
  'storage copy job policy user admin access log error warning info debug request response timeout retry ' +
  'summary agenda action item owner deadline status open closed pending approved version change migration'
).split(' ');

const PIECE = 16384;
const LOG_LEVELS = ['INFO', 'INFO', 'INFO', 'DEBUG', 'WARN', 'ERROR'];
const SERVICES = ['sshd', 'nginx', 'cron', 'systemd', 'kernel', 'postgres', 'backhaul-agent', 'dockerd'];

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** FNV-1a, to turn labels into seeds. */
export function hashLabel(label: string, base = 0x811c9dc5): number {
  let h = base >>> 0;
  for (const byte of Buffer.from(label, 'utf8')) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h;
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number | string) {
    const next = splitmix32(typeof seed === 'number' ? seed : hashLabel(seed));
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** An independent stream named by `label`, derived from this one's state. */
  fork(label: string): Rng {
    return new Rng(hashLabel(label, this.s0 ^ Math.imul(this.s3, 0x9e3779b9)));
  }

  /** Next uniform 32-bit unsigned integer. */
  u32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }
  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.float() * items.length)]!;
  }
  /** A shuffled copy (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
  /** `count` distinct items, in their original order. */
  sample<T>(items: readonly T[], count: number): T[] {
    const chosen = new Set(this.shuffle(items.map((_, i) => i)).slice(0, count));
    return items.filter((_, i) => chosen.has(i));
  }

  /** Fills `target` with incompressible bytes. */
  fill(target: Uint8Array): Uint8Array {
    let s0 = this.s0,
      s1 = this.s1,
      s2 = this.s2,
      s3 = this.s3;
    const whole = target.byteLength >>> 2;
    const words = (target.byteOffset & 3) === 0 ? new Uint32Array(target.buffer, target.byteOffset, whole) : undefined;
    const tail = words ? whole * 4 : 0;
    for (let i = 0, n = words ? whole : 0; i < n; i++) {
      const r = Math.imul((Math.imul(s1, 5) << 7) | (Math.imul(s1, 5) >>> 25), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      words![i] = r;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
    for (let i = tail; i < target.byteLength; i++) target[i] = this.u32() & 0xff;
    return target;
  }

  /** `n` incompressible bytes. */
  bytes(n: number): Buffer {
    const buf = Buffer.allocUnsafeSlow(n);
    this.fill(buf);
    return buf;
  }

  word(): string {
    return this.pick(WORDS);
  }

  sentence(): string {
    const n = this.int(4, 14);
    let s = this.word();
    s = s[0]!.toUpperCase() + s.slice(1);
    for (let i = 1; i < n; i++) s += ' ' + this.word();
    return s + this.pick(['.', '.', '.', '?', '!']);
  }

  /** Pseudo-English prose of about `size` bytes, in paragraphs. */
  prose(size: number): string {
    if (size > PIECE) return this.pieces(size, n => this.prose(n));
    const parts: string[] = [];
    let length = 0;
    while (length < size) {
      let para = this.pick(sentencePool());
      for (let i = this.int(1, 6); i > 0; i--) para += ' ' + this.pick(sentencePool());
      parts.push(para);
      length += para.length + 2;
    }
    return parts.join('\n\n') + '\n';
  }

  /** A key = value configuration file of `lines` settings in a few sections. */
  config(lines: number): string {
    let out = `# generated by ${this.word()}-${this.word()} ${this.int(1, 9)}.${this.int(0, 20)}\n`;
    for (let i = 0; i < lines; i++) {
      if (i % 8 === 0) out += `\n[${this.word()}]\n`;
      const value = this.chance(0.5) ? String(this.int(0, 65535)) : `${this.word()}-${this.word()}`;
      out += `${this.word()}_${this.word()} = ${value}\n`;
    }
    return out;
  }

  /** One syslog-like line stamped at `epochSeconds`. */
  logLine(epochSeconds: number, host = 'localhost'): string {
    return `${isoSeconds(epochSeconds)} ${host} ${this.pick(messagePool())}\n`;
  }

  /**
   * `count` log lines starting at `start`, 0-30 s apart, as bytes (written
   * straight into a buffer: logs are the bulk of the demo's text); `end` is the
   * last line's time.
   */
  log(count: number, start: number, host = 'localhost'): {data: Buffer; end: number} {
    const pool = messageBuffers();
    const hostBytes = Buffer.from(`Z ${host} `, 'latin1');
    let out: Buffer = Buffer.allocUnsafe(count * 64 + 256);
    let off = 0;
    let t = Math.floor(start);
    let minute = NaN;
    let prefix: Buffer = Buffer.alloc(0);
    for (let i = 0; i < count; i++) {
      t += this.u32() % 31;
      const m = Math.floor(t / 60);
      if (m !== minute) {
        minute = m;
        prefix = Buffer.from(isoSeconds(m * 60).slice(0, 17), 'latin1');
      }
      const msg = pool[this.u32() & (pool.length - 1)]!;
      if (off + 64 + hostBytes.length + msg.length > out.length) out = grow(out, off);
      out.set(prefix, off);
      off += prefix.length;
      const sec = t - m * 60;
      out[off++] = 48 + Math.floor(sec / 10);
      out[off++] = 48 + (sec % 10);
      out.set(hostBytes, off);
      off += hostBytes.length;
      out.set(msg, off);
      off += msg.length;
    }
    return {data: out.subarray(0, off), end: t};
  }

  /** Big texts are built from small pieces: V8 slows down a lot growing one huge string. */
  private pieces(size: number, make: (n: number) => string): string {
    const parts: string[] = [];
    for (let done = 0; done < size;) {
      const part = make(Math.min(PIECE, size - done));
      parts.push(part);
      done += part.length;
    }
    return parts.join('');
  }

  /** Source-code-looking text of about `size` bytes. */
  code(size: number): string {
    if (size > PIECE) return this.pieces(size, n => this.code(n));
    let out = `// ${this.sentence()}\n`;
    while (out.length < size) {
      const name = `${this.word()}${this.word()[0]!.toUpperCase()}${this.word().slice(1)}`;
      out += `\nexport function ${name}(${this.word()}: number, ${this.word()}: string) {\n`;
      for (let i = this.int(2, 9); i > 0; i--) {
        out += `  const ${this.word()}_${i} = ${this.word()}(${this.int(0, 999)}, '${this.word()}');\n`;
      }
      out += `  return ${this.word()};\n}\n`;
    }
    return out;
  }
}

let pool: string[] | undefined;
/** Prose draws from a fixed pool of sentences: much faster than building each one, same look. */
function sentencePool(): string[] {
  if (!pool) {
    const rng = new Rng('backhaul sentence pool');
    pool = Array.from({length: 4096}, () => rng.sentence());
  }
  return pool;
}

let messages: string[] | undefined;
function messagePool(): string[] {
  if (!messages) {
    const rng = new Rng('backhaul log pool');
    messages = Array.from(
      {length: 4096},
      () =>
        `${rng.pick(SERVICES)}[${rng.int(100, 65000)}]: ${rng.pick(LOG_LEVELS)} ${rng.word()} ${rng.word()} ` +
        `${rng.word()} id=${rng.u32().toString(16)} took=${rng.int(1, 900)}ms`,
    );
  }
  return messages;
}

let messageBytes: Buffer[] | undefined;
function messageBuffers(): Buffer[] {
  messageBytes ??= messagePool().map(m => Buffer.from(`${m}\n`, 'latin1'));
  return messageBytes;
}

function grow(buf: Buffer, used: number): Buffer {
  const bigger = Buffer.allocUnsafe(buf.length * 2 + 4096);
  buf.copy(bigger, 0, 0, used);
  return bigger;
}

let dayCache = {day: NaN, prefix: ''};
/** `YYYY-MM-DDTHH:MM:SSZ`, without a Date per call (logs are written in bulk). */
function isoSeconds(epochSeconds: number): string {
  const day = Math.floor(epochSeconds / 86400);
  if (day !== dayCache.day) dayCache = {day, prefix: new Date(day * 86400000).toISOString().slice(0, 11)};
  const rest = Math.floor(epochSeconds) - day * 86400;
  const two = (n: number) => (n < 10 ? '0' : '') + n;
  return `${dayCache.prefix}${two(Math.floor(rest / 3600))}:${two(Math.floor(rest / 60) % 60)}:${two(rest % 60)}Z`;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
