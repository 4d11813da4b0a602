/**
 * Whether files under `dir` can be opened with O_DIRECT (ext4, xfs, tmpfs on
 * Linux ≥ 6.6 can; some filesystems refuse with EINVAL). Tests that check
 * writes bypass the page cache skip, saying why, where it cannot.
 */
import {closeSync, constants, openSync, rmSync} from 'node:fs';
import {join} from 'node:path';

export function directIoSkip(dir: string): string | false {
  const probe = join(dir, `.direct-probe-${process.pid}`);
  try {
    closeSync(openSync(probe, constants.O_WRONLY | constants.O_CREAT | constants.O_DIRECT, 0o600));
    return false;
  } catch (e) {
    return `the filesystem of ${dir} refuses O_DIRECT (${(e as NodeJS.ErrnoException).code}), so writes go through the page cache`;
  } finally {
    rmSync(probe, {force: true});
  }
}
