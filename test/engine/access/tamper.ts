/**
 * What someone who can write a repository (but not root's state directory)
 * can do to its audit log while keeping the hash chain internally consistent:
 * the four classes the anchors exist to catch. Also a private state directory
 * per test and a fake `logger`. Not a test file (no `.test.` in the name).
 */
import {chmod, mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {auditKey, hashEntry, readAudit, type AuditEntry, type AuditInput} from '../../../source/engine/access/audit.js';
import type {Storage} from '../../../source/engine/storage/storage.js';

async function put(storage: Storage, entry: AuditEntry): Promise<void> {
  await storage.put(auditKey(entry.seq), Buffer.from(JSON.stringify(entry) + '\n'));
}

/** (a) Edits entry `seq` and recomputes it and every later entry, so the chain verifies on its own. */
export async function rewriteForward(storage: Storage, seq: number, change: Partial<AuditInput>): Promise<void> {
  const entries = await readAudit(storage);
  let prevHash = entries[seq - 2]?.hash;
  for (const old of entries.slice(seq - 1)) {
    const body = {...old, ...(old.seq === seq ? change : {}), prevHash: prevHash ?? old.prevHash};
    const entry = {...body, hash: hashEntry(body)};
    await put(storage, entry);
    prevHash = entry.hash;
  }
}

/** (b) Deletes every entry after `keep`. */
export async function truncateAfter(storage: Storage, keep: number): Promise<void> {
  for (const e of await readAudit(storage)) if (e.seq > keep) await storage.delete(auditKey(e.seq));
}

/** (c) Deletes every entry. */
export const deleteAll = (storage: Storage) => truncateAfter(storage, 0);

/** (d) Appends a correctly chained and hashed entry that Backhaul never wrote. */
export async function appendForged(storage: Storage, input: AuditInput): Promise<AuditEntry> {
  const last = (await readAudit(storage)).at(-1);
  const body = {
    ...input,
    seq: (last?.seq ?? 0) + 1,
    time: new Date().toISOString(),
    prevHash: last?.hash ?? '0'.repeat(64),
  };
  const entry = {...body, hash: hashEntry(body)};
  await put(storage, entry);
  return entry;
}

/** Points this process's state directory (root's override and XDG) at a fresh temp dir. */
export async function privateState(): Promise<{dir: string; cleanup: () => Promise<void>}> {
  const dir = await mkdtemp(join(tmpdir(), 'backhaul-state-'));
  const saved = {root: process.env['BACKHAUL_STATE_DIR'], xdg: process.env['XDG_STATE_HOME']};
  process.env['BACKHAUL_STATE_DIR'] = join(dir, 'root');
  process.env['XDG_STATE_HOME'] = join(dir, 'xdg');
  return {
    dir,
    async cleanup() {
      restoreEnv('BACKHAUL_STATE_DIR', saved.root);
      restoreEnv('XDG_STATE_HOME', saved.xdg);
      await rm(dir, {recursive: true, force: true});
    },
  };
}

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

/**
 * A directory holding a `logger` that appends its arguments, one call per
 * line, each argument in brackets, to `<dir>/calls`; `body` replaces that
 * behaviour (e.g. `sleep 30`).
 */
export async function fakeLogger(dir: string, body?: string): Promise<{bin: string; calls: string}> {
  await mkdir(dir, {recursive: true});
  const calls = join(dir, 'calls');
  const script = `#!/bin/sh\n${body ?? `printf '[%s]' "$@" >> '${calls}'\nprintf '\\n' >> '${calls}'`}\n`;
  await writeFile(join(dir, 'logger'), script);
  await chmod(join(dir, 'logger'), 0o755);
  return {bin: dir, calls};
}

/** Runs `fn` with PATH set to `path`. */
export async function withPath<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const saved = process.env['PATH'];
  process.env['PATH'] = path;
  try {
    return await fn();
  } finally {
    process.env['PATH'] = saved;
  }
}
