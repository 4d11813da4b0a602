/**
 * Writes the frozen version-2 test vectors: test/fixtures/repo-v2 (plain)
 * and test/fixtures/repo-v2-encrypted (password in repo-v2-content.ts), and
 * test/fixtures/repo-v2-vectors.json (each file's SHA-256, and the encrypted
 * one's master key, so a test can open it without Backhaul's code).
 *
 * Each holds a workstation backup of two restore points (full, then an
 * edit, an add and a delete) and a two-node cluster whose shared image disk
 * is owned by one node; the workstation's two index files are also merged
 * into a third that supersedes them, both left in place (as a compaction
 * killed before its deletes leaves them). Written through the engine's
 * writer (data, index, record, manifest, catalogue) on the main thread.
 *
 * Deterministic: for this script only, node:crypto's randomBytes is a seeded
 * stream and the clock stands still (V2_CLOCK), so ids, nonces, salts and
 * the master key are the same at every run; a run with the same zstd
 * library writes the same bytes. Run it only to re-create lost fixtures of
 * the SAME format version (they are frozen):
 *
 *   node --import tsx scripts/make-repo-v2-fixtures.ts [--force]
 */
import {createHash} from 'node:crypto';
import * as fs from 'node:fs/promises';
import {createRequire, syncBuiltinESMExports} from 'node:module';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {V2_CLOCK} from '../test/fixtures/repo-v2-content.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures');

/** randomBytes as a SHA-256 counter stream per request size: calls of one size never shift another's. */
function seedRandomness(seed: string): void {
  const crypto = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  const counters = new Map<number, number>();
  crypto.randomBytes = ((size: number) => {
    const n = counters.get(size) ?? 0;
    counters.set(size, n + 1);
    const out = Buffer.alloc(size);
    for (let at = 0, block = 0; at < size; at += 32, block++) {
      createHash('sha256').update(`${seed}/${size}/${n}/${block}`).digest().copy(out, at);
    }
    return out;
  }) as typeof crypto.randomBytes;
  syncBuiltinESMExports(); // `import {randomBytes} from 'node:crypto'` in the engine now sees it
}

/** A clock that always reads V2_CLOCK (`new Date()` and Date.now); dates made from values are untouched. */
function stopClock(): void {
  const Real = Date;
  const fixed = Real.parse(V2_CLOCK);
  class StoppedDate extends Real {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(fixed);
      else super(...(args as [number]));
    }
    static override now(): number {
      return fixed;
    }
  }
  globalThis.Date = StoppedDate as DateConstructor;
}

async function sums(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const path of (await fs.readdir(dir, {recursive: true})).map(String).sort()) {
    const file = join(dir, path);
    if ((await fs.stat(file)).isFile())
      out[path] = createHash('sha256')
        .update(await fs.readFile(file))
        .digest('hex');
  }
  return out;
}

async function main(): Promise<void> {
  stopClock();
  const names = ['repo-v2', 'repo-v2-encrypted'];
  for (const name of names) {
    if (
      await fs.stat(join(fixtures, name)).then(
        () => true,
        () => false,
      )
    ) {
      if (!process.argv.includes('--force'))
        throw new Error(`${name} exists; it is frozen. Pass --force only to re-create a lost fixture.`);
      await fs.rm(join(fixtures, name), {recursive: true});
    }
  }
  const {makeV2Fixture} = await import('./repo-v2-fixture-writer.js');
  const vectors: Record<string, unknown> = {};
  for (const name of names) {
    seedRandomness(`backhaul ${name}`); // each fixture from its own seed: one can be re-made alone
    const made = await makeV2Fixture(join(fixtures, name), name.endsWith('encrypted'));
    vectors[name] = {...made, files: await sums(join(fixtures, name))};
  }
  await fs.writeFile(join(fixtures, 'repo-v2-vectors.json'), JSON.stringify(vectors, null, 2) + '\n');
  process.stdout.write(`Wrote ${names.map(n => join(fixtures, n)).join(' and ')}, and repo-v2-vectors.json\n`);
}

await main();
