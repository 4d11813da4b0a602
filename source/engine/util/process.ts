/**
 * Whether a process on this host is (still) running, and which one it is.
 * A pid alone is reused: after a reboot, or once enough processes have come
 * and gone, the pid a lock names may belong to someone else. `processStamp`
 * pairs it with the boot and the process's start time (Linux /proc), so a
 * lock holder recorded with its stamp is believed alive only while that
 * very process runs.
 */
import {readFileSync} from 'node:fs';

/** Whether a process id on this host is running (EPERM: it runs, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let bootId: string | undefined;

/**
 * "<boot id>/<start time in clock ticks>" of a running process, or undefined
 * when it is not running (or /proc cannot say: then only its pid is checked).
 */
export function processStamp(pid: number): string | undefined {
  try {
    bootId ??= readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return `${bootId}/${fields[19]}`;
  } catch {
    return undefined;
  }
}

/** Whether the process recorded as `pid` with `stamp` (from processStamp) still runs. */
export function sameProcessAlive(pid: number, stamp: string | undefined): boolean {
  if (!processAlive(pid)) return false;
  if (stamp === undefined) return true;
  const now = processStamp(pid);
  return now === undefined || now === stamp;
}
