/**
 * The body of the walking worker thread (see walk.ts): it lists directories
 * and lstats every entry on its own core, so the main thread can read, cut
 * and pack the files found so far instead of waiting for the whole walk.
 * `walkWorker` is stringified into the worker, so it MUST NOT reference
 * anything outside its own body and parameters.
 *
 * Messages out: {root, paths, nums, links}   a batch of entries of roots[root]
 *               {end: true, skipped}          the walk is complete
 *               {error: {code, message, path}} the walk cannot go on
 * `nums` holds FIELDS numbers per entry (see walk.ts decode); `links` the
 * targets of symlinks as [index in batch, target].
 */

/** Numbers per entry: type (0 dir, 1 file, 2 symlink), mode, uid, gid, mtimeMs, size, ino, ctimeMs. */
export const FIELDS = 8;

export function walkWorker(require: NodeJS.Require, roots: {root: string; prefix: string}[], batchSize: number): void {
  const {parentPort} = require('node:worker_threads') as typeof import('node:worker_threads');
  const fs = require('node:fs') as typeof import('node:fs');
  const {join} = require('node:path') as typeof import('node:path');
  const port = parentPort!;
  const F = 8;
  const nums = new Float64Array(batchSize * F);
  let paths: string[] = [];
  let links: [number, string][] = [];
  let root = 0;
  const skipped: string[] = [];

  function flush(): void {
    if (paths.length === 0) return;
    port.postMessage({root, paths, nums: nums.slice(0, paths.length * F), links});
    paths = [];
    links = [];
  }
  function add(path: string, s: import('node:fs').Stats, type: number, target?: string): void {
    const o = paths.length * F;
    paths.push(path);
    nums[o] = type;
    nums[o + 1] = s.mode & 0o7777;
    nums[o + 2] = s.uid;
    nums[o + 3] = s.gid;
    nums[o + 4] = Math.floor(s.mtimeMs);
    nums[o + 5] = type === 1 ? s.size : 0;
    nums[o + 6] = s.ino;
    nums[o + 7] = Math.floor(s.ctimeMs);
    if (target !== undefined) links.push([paths.length - 1, target]);
    if (paths.length === batchSize) flush();
  }
  function fail(e: unknown, path: string): void {
    const {code, message} = e as {code?: string; message?: string};
    port.postMessage({error: {code, message: message ?? String(e), path}});
  }

  for (let r = 0; r < roots.length; r++) {
    flush();
    root = r;
    const {root: top, prefix} = roots[r]!;
    let st: import('node:fs').Stats;
    try {
      st = fs.statSync(top);
    } catch (e) {
      return fail(e, top);
    }
    if (!st.isDirectory()) return fail({code: 'ENOTDIR', message: `${top} is not a directory`}, top);
    if (prefix) add(prefix, st, 0);
    const stack: [string, string][] = [[top, prefix]];
    while (stack.length > 0) {
      const [abs, rel] = stack.pop()!;
      let names: string[];
      try {
        names = fs.readdirSync(abs);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // vanished while walking
        return fail(e, abs);
      }
      for (const name of names) {
        const a = join(abs, name);
        const path = rel ? `${rel}/${name}` : name;
        const s = fs.lstatSync(a, {throwIfNoEntry: false});
        if (!s) continue; // vanished while walking
        if (s.isDirectory()) {
          add(path, s, 0);
          stack.push([a, path]);
        } else if (s.isFile()) {
          add(path, s, 1);
        } else if (s.isSymbolicLink()) {
          let target: string;
          try {
            target = fs.readlinkSync(a);
          } catch {
            continue; // vanished while walking
          }
          add(path, s, 2, target);
        } else {
          skipped.push(path); // sockets, FIFOs, devices
        }
      }
    }
  }
  flush();
  port.postMessage({end: true, skipped});
}
