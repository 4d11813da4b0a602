/**
 * One restore write, start to end, in whichever process does the writing:
 * open the destination (creating it if asked), place every entry, write them,
 * and — when the restore is refused before anything was written — take back
 * the directories made for it. writer-child.ts runs this after dropping to
 * the recipient's rights; restore-writer.ts runs it in this process when the
 * writer is this process's own user.
 */
import {DirHandle} from './dir-handle.js';
import {
  placeEntries,
  writeEntries,
  type FileData,
  type WriteEntry,
  type WriteHooks,
  type WriteOptions,
  type WriteOutcome,
} from './tree-writer.js';

export interface TreeJob {
  /** Absolute path of the directory to write into. */
  destination: string;
  create: boolean;
  options: WriteOptions;
  entries: WriteEntry[];
}

export async function writeTree(
  job: TreeJob,
  data: FileData,
  hooks: WriteHooks & {onPlaced?: () => Promise<void>} = {},
): Promise<WriteOutcome> {
  const {dir, created} = await DirHandle.openDestination(
    job.destination,
    {uid: process.geteuid!(), name: job.options.writerName},
    job.create,
  );
  let wrote = false;
  try {
    const places = await placeEntries(dir, job.entries, job.options);
    await hooks.onPlaced?.();
    wrote = true;
    return await writeEntries(dir, job.entries, places, data, job.options, hooks);
  } finally {
    await dir.close();
    for (const c of created.reverse()) {
      if (!wrote) await c.parent.removeDir(c.name);
      await c.parent.close();
    }
  }
}
