/**
 * The walking worker thread (an entry of its own in the bundle; see
 * walk.ts): it lists directories and lstats every entry on its own core, so
 * the main thread can read, cut and pack the files found so far instead of
 * waiting for the whole walk. Entries go out in batches of numbers (cheap to
 * send), decoded by walk.ts.
 */
import {lstatSync, readdirSync, readlinkSync, statSync, type Stats} from 'node:fs';
import {join} from 'node:path';
import {workerData} from 'node:worker_threads';
import {parentChannel} from '../workers/port.js';
import {DIR, FIELDS, FILE, SYMLINK, type FromWalkWorker, type WalkWorkerData} from './walk-messages.js';

const port = parentChannel<never, FromWalkWorker>();
const {roots, batch} = workerData as WalkWorkerData;
const nums = new Float64Array(batch * FIELDS);
let paths: string[] = [];
let links: [number, string][] = [];
let root = 0;
const skipped: string[] = [];

function flush(): void {
  if (paths.length === 0) return;
  port.send({type: 'batch', root, paths, nums: nums.slice(0, paths.length * FIELDS), links});
  paths = [];
  links = [];
}

function add(path: string, s: Stats, type: number, target?: string): void {
  const o = paths.length * FIELDS;
  paths.push(path);
  nums[o] = type;
  nums[o + 1] = s.mode & 0o7777;
  nums[o + 2] = s.uid;
  nums[o + 3] = s.gid;
  nums[o + 4] = Math.floor(s.mtimeMs);
  nums[o + 5] = type === FILE ? s.size : 0;
  nums[o + 6] = s.ino;
  nums[o + 7] = Math.floor(s.ctimeMs);
  if (target !== undefined) links.push([paths.length - 1, target]);
  if (paths.length === batch) flush();
}

class WalkFailure {
  constructor(
    readonly error: unknown,
    readonly path: string,
  ) {}
}

/** Adds the entries of one directory, and its subdirectories to `dirs` (to walk). */
function list(abs: string, rel: string, dirs: [string, string][]): void {
  let names: string[];
  try {
    names = readdirSync(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // vanished while walking
    throw new WalkFailure(e, abs);
  }
  for (const name of names) {
    const a = join(abs, name);
    const path = rel ? `${rel}/${name}` : name;
    const s = lstatSync(a, {throwIfNoEntry: false});
    if (!s) continue; // vanished while walking
    if (s.isDirectory()) {
      add(path, s, DIR);
      dirs.push([a, path]);
    } else if (s.isFile()) {
      add(path, s, FILE);
    } else if (s.isSymbolicLink()) {
      let target: string;
      try {
        target = readlinkSync(a);
      } catch {
        continue; // vanished while walking
      }
      add(path, s, SYMLINK, target);
    } else {
      skipped.push(path); // sockets, FIFOs, devices
    }
  }
}

function walk(top: string, prefix: string): void {
  let st: Stats;
  try {
    st = statSync(top);
  } catch (e) {
    throw new WalkFailure(e, top);
  }
  if (!st.isDirectory()) throw new WalkFailure({code: 'ENOTDIR', message: `${top} is not a directory`}, top);
  if (prefix) add(prefix, st, DIR);
  const stack: [string, string][] = [[top, prefix]];
  while (stack.length > 0) {
    const [abs, rel] = stack.pop()!;
    list(abs, rel, stack);
  }
}

try {
  for (let r = 0; r < roots.length; r++) {
    flush();
    root = r;
    walk(roots[r]!.root, roots[r]!.prefix);
  }
  flush();
  port.send({type: 'end', skipped});
} catch (e) {
  if (!(e instanceof WalkFailure)) throw e;
  const {code, message} = e.error as {code?: string; message?: string};
  port.send({type: 'error', error: {code, message: message ?? String(e.error), path: e.path}});
}
